package throttle_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"esimscan/backend/internal/platform/throttle"
)

// backend is a Redis server under test. passTime makes d pass for the
// keys' TTLs and for the server's TIME: miniredis moves its clock, a real
// server is polled until check holds or a deadline passes.
type backend struct {
	client   *redis.Client
	passTime func(t *testing.T, d time.Duration, check func() bool) bool
}

func forEachRedis(t *testing.T, test func(t *testing.T, b backend)) {
	t.Run("miniredis", func(t *testing.T) {
		server := miniredis.RunT(t)
		clock := time.Now()
		server.SetTime(clock)
		client := redis.NewClient(&redis.Options{Addr: server.Addr()})
		t.Cleanup(func() { client.Close() })
		test(t, backend{client: client, passTime: func(t *testing.T, d time.Duration, check func() bool) bool {
			clock = clock.Add(d)
			server.SetTime(clock)
			server.FastForward(d)
			return check()
		}})
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
		test(t, backend{client: client, passTime: func(t *testing.T, d time.Duration, check func() bool) bool {
			deadline := time.Now().Add(d + 5*time.Second)
			for time.Now().Before(deadline) {
				if check() {
					return true
				}
				time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
			}
			return false
		}})
	})
}

func uniquePrefix() string { return "throttletest-" + uuid.NewString()[:8] }

// begin starts an attempt that the limits must admit.
func begin(t *testing.T, b backend, prefix, clientIP string, limits throttle.Limits) *throttle.Attempt {
	t.Helper()
	attempt, wait, err := throttle.Begin(context.Background(), b.client, prefix, "acct", clientIP, limits)
	if err != nil {
		t.Fatal(err)
	}
	if attempt == nil || wait != 0 {
		t.Fatalf("attempt from %s rejected for %v; want admitted", clientIP, wait)
	}
	return attempt
}

// rejected reports whether the limits reject an attempt from clientIP,
// ending an admitted one without counting it.
func rejected(t *testing.T, b backend, prefix, clientIP string, limits throttle.Limits) bool {
	t.Helper()
	attempt, wait, err := throttle.Begin(context.Background(), b.client, prefix, "acct", clientIP, limits)
	if err != nil {
		t.Fatal(err)
	}
	if attempt == nil {
		if wait <= 0 {
			t.Errorf("rejected attempt has wait %v; want positive", wait)
		}
		return true
	}
	if err := attempt.Abandon(context.Background()); err != nil {
		t.Fatal(err)
	}
	return false
}

func TestBegin_successesNeverLock(t *testing.T) {
	forEachRedis(t, func(t *testing.T, b backend) {
		prefix := uniquePrefix()
		limits := throttle.Limits{Window: time.Minute, PerClient: 10, PerAccount: 100}
		for range limits.PerAccount {
			if err := begin(t, b, prefix, "10.0.0.1", limits).Succeed(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if rejected(t, b, prefix, "10.0.0.1", limits) {
			t.Error("sign-in after 100 successes rejected; successes must not count")
		}
	})
}

func TestBegin_failuresLockClientThenAccount(t *testing.T) {
	forEachRedis(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		prefix := uniquePrefix()
		limits := throttle.Limits{Window: time.Minute, PerClient: 2, PerAccount: 3}
		for range limits.PerClient {
			if err := begin(t, b, prefix, "10.0.0.1", limits).Fail(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if !rejected(t, b, prefix, "10.0.0.1", limits) {
			t.Error("third attempt from one address admitted after two failures")
		}
		if err := begin(t, b, prefix, "10.0.0.2", limits).Fail(ctx); err != nil {
			t.Fatal(err)
		}
		if !rejected(t, b, prefix, "10.0.0.3", limits) {
			t.Error("the account limit did not apply across addresses")
		}
	})
}

func TestSucceed_clearsClientKeepsAccount(t *testing.T) {
	forEachRedis(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		prefix := uniquePrefix()
		limits := throttle.Limits{Window: time.Minute, PerClient: 2, PerAccount: 4}
		if err := begin(t, b, prefix, "10.0.0.9", limits).Fail(ctx); err != nil {
			t.Fatal(err)
		}
		if err := begin(t, b, prefix, "10.0.0.1", limits).Fail(ctx); err != nil {
			t.Fatal(err)
		}
		if err := begin(t, b, prefix, "10.0.0.1", limits).Succeed(ctx); err != nil {
			t.Fatal(err)
		}
		// The client's count restarts: two more failures fit under PerClient,
		// and they fill the account's four with the two kept.
		for range 2 {
			if err := begin(t, b, prefix, "10.0.0.1", limits).Fail(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if !rejected(t, b, prefix, "10.0.0.2", limits) {
			t.Error("a success cleared the account's failures")
		}
	})
}

func TestBegin_manyAddressesLockAccountUntilWindowEnds(t *testing.T) {
	forEachRedis(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		prefix := uniquePrefix()
		limits := throttle.Limits{Window: 2 * time.Second, PerClient: 10, PerAccount: 20}
		for i := range limits.PerAccount {
			if err := begin(t, b, prefix, fmt.Sprintf("192.0.2.%d", i), limits).Fail(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if !rejected(t, b, prefix, "198.51.100.20", limits) {
			t.Fatal("an unused address was admitted after the account's limit of failures")
		}
		ended := b.passTime(t, limits.Window, func() bool { return !rejected(t, b, prefix, "198.51.100.20", limits) })
		if !ended {
			t.Error("the account stayed locked after its window")
		}
	})
}

func TestBegin_attemptsInProgressHoldPlaces(t *testing.T) {
	forEachRedis(t, func(t *testing.T, b backend) {
		prefix := uniquePrefix()
		limits := throttle.Limits{Window: time.Minute, PerClient: 3, PerAccount: 10, PendingTimeout: time.Second}
		for range limits.PerClient {
			begin(t, b, prefix, "10.0.0.1", limits) // never finished, as when a process dies
		}
		if !rejected(t, b, prefix, "10.0.0.1", limits) {
			t.Fatal("an attempt past the limit was admitted while the others were in progress")
		}
		freed := b.passTime(t, limits.PendingTimeout+10*time.Millisecond, func() bool {
			return !rejected(t, b, prefix, "10.0.0.1", limits)
		})
		if !freed {
			t.Error("unfinished attempts kept their places after the pending timeout")
		}
	})
}

func TestAllow_limitsUsesPerWindow(t *testing.T) {
	forEachRedis(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		key := uniquePrefix() + ":mail"
		for use := 1; use <= 3; use++ {
			if wait, err := throttle.Allow(ctx, b.client, key, 3, 2*time.Second); err != nil || wait != 0 {
				t.Fatalf("use %d: wait %v, err %v; want allowed", use, wait, err)
			}
		}
		wait, err := throttle.Allow(ctx, b.client, key, 3, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if wait <= 0 || wait > 2*time.Second {
			t.Errorf("fourth use: wait %v; want within (0, 2s]", wait)
		}
		allowed := b.passTime(t, 2*time.Second, func() bool {
			wait, err := throttle.Allow(ctx, b.client, key, 3, 2*time.Second)
			return err == nil && wait == 0
		})
		if !allowed {
			t.Error("uses stayed rejected after the window")
		}
	})
}
