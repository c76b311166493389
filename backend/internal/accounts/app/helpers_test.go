package app

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/accounts/domain"
	"esimscan/backend/internal/eventstore/memstore"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
)

// fastParams keeps hashing quick in tests. The PHC format is the same.
var fastParams = domain.PasswordParams{Time: 1, Memory: 8 * 1024, Threads: 1, SaltLen: 16, KeyLen: 32}

const testPassword = "correct horse battery staple"

// redisBackend is a Redis server the tests run against.
type redisBackend struct {
	client redis.UniversalClient
	// fastForward moves the server's clock, or is nil on a real server.
	fastForward func(time.Duration)
}

// forEachRedis runs test against miniredis and, when REDIS_TEST_URL is
// set, against that real Redis server.
func forEachRedis(t *testing.T, test func(t *testing.T, backend redisBackend)) {
	t.Run("miniredis", func(t *testing.T) {
		server := miniredis.RunT(t)
		client := redis.NewClient(&redis.Options{Addr: server.Addr()})
		t.Cleanup(func() { client.Close() })
		test(t, redisBackend{client: client, fastForward: server.FastForward})
	})
	t.Run("redis", func(t *testing.T) {
		url := os.Getenv("REDIS_TEST_URL")
		if url == "" {
			t.Skip("REDIS_TEST_URL is not set; set it to redis://127.0.0.1:PORT/DB to run against a real Redis server")
		}
		options, err := redis.ParseURL(url)
		if err != nil {
			t.Fatalf("parse REDIS_TEST_URL: %v", err)
		}
		client := redis.NewClient(options)
		t.Cleanup(func() { client.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := client.Ping(ctx).Err(); err != nil {
			t.Fatalf("ping REDIS_TEST_URL: %v", err)
		}
		test(t, redisBackend{client: client})
	})
}

type fixture struct {
	store   *memstore.Store
	service *Service
	clock   *testClock
	// miniredis is the server of newMiniredisFixture, or nil.
	miniredis *miniredis.Miniredis
}

type testClock struct{ now time.Time }

func (c *testClock) Now() time.Time { return c.now }

func newFixture(t *testing.T, client redis.UniversalClient) *fixture {
	t.Helper()
	store := memstore.New()
	t.Cleanup(func() { store.Close() })
	clock := &testClock{now: time.Now().UTC()}
	return &fixture{store: store, clock: clock, service: newService(t, store, client, clock)}
}

func newService(t *testing.T, store *memstore.Store, client redis.UniversalClient, clock *testClock) *Service {
	return NewService(Deps{
		Repo:           &esrepo.Repository{Store: store},
		Redis:          client,
		Logger:         zerolog.New(zerolog.NewTestWriter(t)),
		SessionTTL:     time.Hour,
		Now:            clock.Now,
		PasswordParams: fastParams,
	})
}

// uniqueEmail returns an address no other test uses, so tests sharing a
// real Redis server do not share throttle counters.
func uniqueEmail(prefix string) string {
	return prefix + "-" + uuid.NewString()[:8] + "@example.com"
}

func (f *fixture) install(t *testing.T, email string) {
	t.Helper()
	_, err := f.service.Install(context.Background(), Install{StoreName: "Tokyo SIMs", AdminEmail: email, AdminPassword: testPassword})
	if err != nil {
		t.Fatalf("Install: %v", err)
	}
}

func (f *fixture) eventTypes() []string {
	var types []string
	for _, event := range f.store.All() {
		types = append(types, event.Stream+":"+event.Type)
	}
	return types
}

// assertLogHasNo fails when any stored event contains one of secrets.
func (f *fixture) assertLogHasNo(t *testing.T, secrets ...string) {
	t.Helper()
	for _, event := range f.store.All() {
		for _, secret := range secrets {
			if bytes.Contains(event.Data, []byte(secret)) || strings.Contains(event.Stream, secret) {
				t.Errorf("%s in %s contains a secret", event.Type, event.Stream)
			}
		}
	}
}

func wantAppError(t *testing.T, err error, kind apperr.Kind, code, field string) {
	t.Helper()
	appErr, ok := apperr.As(err)
	if !ok {
		t.Fatalf("error = %v, want an apperr.Error with code %s", err, code)
	}
	if appErr.Kind != kind {
		t.Errorf("kind = %d, want %d", appErr.Kind, kind)
	}
	if appErr.Code != code {
		t.Errorf("code = %q, want %q", appErr.Code, code)
	}
	if appErr.Field != field {
		t.Errorf("field = %q, want %q", appErr.Field, field)
	}
}
