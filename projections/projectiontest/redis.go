// Package projectiontest helps tests of projectors and of the projection
// runner: Redis clients for miniredis and for a real Redis server, and an
// in-memory event Source.
package projectiontest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// RedisURLEnv names the environment variable with the URL of a disposable
// Redis server for tests, such as redis://127.0.0.1:6390.
const RedisURLEnv = "REDIS_TEST_URL"

// claimTTL bounds how long a crashed test keeps a database claimed.
const claimTTL = 30 * time.Minute

// NewMiniredis returns a client of a fresh in-process miniredis server,
// closed when the test ends.
func NewMiniredis(t testing.TB) redis.UniversalClient {
	t.Helper()
	_, rdb := StartMiniredis(t)
	return rdb
}

// StartMiniredis is NewMiniredis that also returns the server, for tests
// that restart it or inspect it directly.
func StartMiniredis(t testing.TB) (*miniredis.Miniredis, redis.UniversalClient) {
	t.Helper()
	server := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: server.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	return server, rdb
}

// RealRedis returns a client of the Redis server that REDIS_TEST_URL names,
// on a database index of its own from 1 upwards. Database 0 stores the
// claims, so tests running in parallel, even in other test binaries, never
// share a database. The database is emptied before use and again when the
// test ends. The test is skipped when REDIS_TEST_URL is unset.
func RealRedis(t testing.TB) redis.UniversalClient {
	t.Helper()
	url := os.Getenv(RedisURLEnv)
	if url == "" {
		t.Skipf("%s is not set; set it to a disposable Redis server (for example redis://127.0.0.1:6390) to run against real Redis", RedisURLEnv)
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("parse %s: %v", RedisURLEnv, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	adminOpts := *opts
	adminOpts.DB = 0
	admin := redis.NewClient(&adminOpts)
	t.Cleanup(func() { _ = admin.Close() })

	db, claimKey := claimDatabase(ctx, t, admin)
	clientOpts := *opts
	clientOpts.DB = db
	rdb := redis.NewClient(&clientOpts)
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("flush redis database %d: %v", db, err)
	}

	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := rdb.FlushDB(ctx).Err(); err != nil {
			t.Errorf("flush redis database %d: %v", db, err)
		}
		_ = rdb.Close()
		_ = admin.Del(ctx, claimKey).Err()
	})
	return rdb
}

// claimDatabase reserves a database index with SET NX on database 0.
func claimDatabase(ctx context.Context, t testing.TB, admin *redis.Client) (int, string) {
	t.Helper()
	databases := 16 // the Redis default when CONFIG is unavailable
	if config, err := admin.ConfigGet(ctx, "databases").Result(); err == nil {
		if n, err := strconv.Atoi(config["databases"]); err == nil {
			databases = n
		}
	}

	token := uuid.NewString()
	for db := 1; db < databases; db++ {
		claimKey := fmt.Sprintf("projectiontest:claim:%d", db)
		claimed, err := admin.SetNX(ctx, claimKey, token, claimTTL).Result()
		if err != nil {
			t.Fatalf("claim redis database %d at %s: %v", db, RedisURLEnv, err)
		}
		if claimed {
			return db, claimKey
		}
	}
	t.Fatalf("claim redis database: all %d databases of %s are in use by other tests", databases-1, RedisURLEnv)
	return 0, ""
}

// ForEachRedis runs fn as a subtest on miniredis, then on real Redis. The
// real Redis subtest is skipped when REDIS_TEST_URL is unset.
func ForEachRedis(t *testing.T, fn func(t *testing.T, rdb redis.UniversalClient)) {
	t.Helper()
	t.Run("miniredis", func(t *testing.T) {
		fn(t, NewMiniredis(t))
	})
	t.Run("redis", func(t *testing.T) {
		fn(t, RealRedis(t))
	})
}
