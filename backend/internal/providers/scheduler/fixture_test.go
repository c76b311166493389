package scheduler_test

import (
	"bytes"
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	catalogapp "esimscan/backend/internal/catalog/app"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/eventstore/filestore"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/platform/secrets"
	"esimscan/backend/internal/providers/adapters"
	providersapp "esimscan/backend/internal/providers/app"
	"esimscan/backend/internal/providers/scheduler"
	"esimscan/backend/money"
)

const slug = "esim-access"

// clock is a clock that moves only when a test advances it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fakeClient is an adapters.Client whose balance succeeds and whose
// listing returns one package.
type fakeClient struct{}

func (fakeClient) Balance(context.Context) (adapters.Balance, error) {
	return adapters.Balance{Amount: usd("10")}, nil
}

func (fakeClient) ListPackages(ctx context.Context, yield func(adapters.Package) error) error {
	return yield(adapters.Package{
		ProviderPackageID: "JP-1GB-7D",
		Name:              "Japan 1GB 7 days",
		Countries:         []string{"JP"},
		DataMB:            1024,
		ValidityDays:      7,
		Wholesale:         usd("4.20"),
	})
}

func (fakeClient) Order(context.Context, adapters.OrderRequest) (adapters.OrderResult, error) {
	return adapters.OrderResult{}, &adapters.Error{Cause: adapters.CauseServerError, Message: "not faked"}
}

func (fakeClient) QueryOrder(context.Context, string) (adapters.OrderResult, error) {
	return adapters.OrderResult{}, &adapters.Error{Cause: adapters.CauseServerError, Message: "not faked"}
}

func usd(text string) money.Money {
	amount, err := money.ParseAmount(text)
	if err != nil {
		panic(err)
	}
	return money.New(amount, "USD")
}

// world is one event store, one clock and one Redis shared by any number
// of app instances, each a providers service with its own scheduler.
type world struct {
	store     *filestore.Store
	keys      *secrets.Keyring
	clock     *clock
	rdb       redis.UniversalClient
	prefix    string
	logs      *syncBuffer
	instances []*instance
}

type instance struct {
	service   *providersapp.Service
	scheduler *scheduler.Scheduler
}

func newWorld(t *testing.T, rdb redis.UniversalClient) *world {
	t.Helper()
	store, err := filestore.Open(t.TempDir(), filestore.Options{NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	appKey, err := secrets.GenerateAppKey()
	require.NoError(t, err)
	keys, err := secrets.ParseAppKey(appKey)
	require.NoError(t, err)
	return &world{
		store:  store,
		keys:   keys,
		clock:  &clock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)},
		rdb:    rdb,
		prefix: "test-" + uuid.NewString() + ":",
		logs:   &syncBuffer{},
	}
}

// addInstance builds another app instance on the world's store and Redis.
func (w *world) addInstance(leaseTTL time.Duration) *instance {
	repo := &esrepo.Repository{Store: w.store}
	logger := zerolog.New(w.logs).Level(zerolog.DebugLevel)
	catalog := catalogapp.NewService(catalogapp.Deps{Repo: repo, Logger: logger})
	service := providersapp.NewService(providersapp.Deps{
		Repo:      repo,
		Keys:      w.keys,
		Factories: map[string]adapters.Factory{slug: func(adapters.Settings) (adapters.Client, error) { return fakeClient{}, nil }},
		Catalog:   catalog,
		Logger:    logger,
		Now:       w.clock.Now,
	})
	added := &instance{
		service: service,
		scheduler: scheduler.New(scheduler.Options{
			Providers:      service,
			Redis:          w.rdb,
			Logger:         logger,
			LeaseTTL:       leaseTTL,
			LeaseKeyPrefix: w.prefix,
			Now:            w.clock.Now,
		}),
	}
	w.instances = append(w.instances, added)
	return added
}

func adminContext() context.Context {
	return esrepo.WithActor(context.Background(), "admin-1")
}

// configure saves esim-access with a 60-minute sync interval and, when
// enable is set, tests and enables it.
func (w *world) configure(t *testing.T, service *providersapp.Service, enable bool) {
	t.Helper()
	_, err := service.ConfigureProvider(adminContext(), providersapp.ConfigureProvider{
		Slug:                slug,
		BaseURL:             "https://api.esimaccess.example",
		MarginPercent:       "25",
		SyncIntervalMinutes: 60,
		Credentials:         map[string]string{"access_code": "access-code-1", "secret_key": "secret-key-1"},
	})
	require.NoError(t, err)
	outcome, _, err := service.TestProvider(adminContext(), slug)
	require.NoError(t, err)
	require.True(t, outcome.OK, "connection test of the fake client")
	if enable {
		_, err = service.EnableProvider(adminContext(), slug)
		require.NoError(t, err)
	}
}

// syncStarts returns the SyncStarted events of the provider stream.
func (w *world) syncStarts(t *testing.T) []eventstore.RecordedEvent {
	t.Helper()
	events, err := w.store.ReadStream(context.Background(), "provider-"+slug, 0)
	require.NoError(t, err)
	var starts []eventstore.RecordedEvent
	for _, event := range events {
		if event.Type == "SyncStarted" {
			starts = append(starts, event)
		}
	}
	return starts
}

// finishSync runs the sync of the last SyncStarted event on every
// instance, as the reactor would, and waits for its outcome.
func (w *world) finishSync(t *testing.T) {
	t.Helper()
	starts := w.syncStarts(t)
	require.NotEmpty(t, starts)
	last := starts[len(starts)-1]
	for _, running := range w.instances {
		require.NoError(t, running.service.Reactions()[0].Handle(context.Background(), last))
	}
	for _, running := range w.instances {
		waitSyncs(t, running.service)
	}
}

func waitSyncs(t *testing.T, service *providersapp.Service) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		service.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("background sync did not finish within 10s")
	}
}

// redisServers returns a client of an in-process miniredis, and of the
// real Redis at REDIS_TEST_URL when that is set, by name.
func redisServers(t *testing.T) map[string]redis.UniversalClient {
	t.Helper()
	mini := miniredis.RunT(t)
	miniClient := redis.NewClient(&redis.Options{Addr: mini.Addr()})
	t.Cleanup(func() { _ = miniClient.Close() })
	servers := map[string]redis.UniversalClient{"miniredis": miniClient}

	url := os.Getenv("REDIS_TEST_URL")
	if url == "" {
		t.Log("REDIS_TEST_URL is unset, so the real-Redis cases are skipped")
		return servers
	}
	options, err := redis.ParseURL(url)
	require.NoError(t, err, "parse REDIS_TEST_URL")
	realClient := redis.NewClient(options)
	t.Cleanup(func() { _ = realClient.Close() })
	require.NoError(t, realClient.Ping(context.Background()).Err(), "ping REDIS_TEST_URL")
	servers["redis"] = realClient
	return servers
}
