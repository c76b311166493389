package ratelimit_test

import (
	"bytes"
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters/httpx"
	"esimscan/backend/internal/providers/ratelimit"
)

var _ httpx.Limiter = (*ratelimit.RedisLimiter)(nil)

// clock is a clock that moves only when a test advances it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock {
	return &clock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
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

// redisServers returns a client of an in-process miniredis, and of the
// real Redis at REDIS_TEST_URL when that is set, by name.
func redisServers(t *testing.T) map[string]redis.UniversalClient {
	t.Helper()
	servers := map[string]redis.UniversalClient{}
	mini := miniredis.RunT(t)
	miniClient := redis.NewClient(&redis.Options{Addr: mini.Addr()})
	t.Cleanup(func() { _ = miniClient.Close() })
	servers["miniredis"] = miniClient

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

func uniqueKey() string { return ratelimit.ProviderKey("test-" + uuid.NewString()) }

func TestRedisLimiter_twoInstancesShareLimit(t *testing.T) {
	for name, rdb := range redisServers(t) {
		t.Run(name, func(t *testing.T) {
			clock := newClock()
			key := uniqueKey()
			first := ratelimit.NewRedisLimiter(rdb, key, 5, clock.Now)
			second := ratelimit.NewRedisLimiter(rdb, key, 5, clock.Now)

			allowed := 0
			for range 10 {
				if first.Allow() {
					allowed++
				}
				if second.Allow() {
					allowed++
				}
				clock.Advance(time.Second)
			}
			assert.Equal(t, 5, allowed, "both instances together stay within the limit")
			assert.Equal(t, 5, first.Limit())
		})
	}
}

func TestRedisLimiter_windowSlides(t *testing.T) {
	for name, rdb := range redisServers(t) {
		t.Run(name, func(t *testing.T) {
			clock := newClock()
			limiter := ratelimit.NewRedisLimiter(rdb, uniqueKey(), 2, clock.Now)

			require.True(t, limiter.Allow(), "first call at 12:00")
			clock.Advance(30 * time.Minute)
			require.True(t, limiter.Allow(), "second call at 12:30")
			assert.False(t, limiter.Allow(), "third call at 12:30 is over the limit")

			clock.Advance(30*time.Minute - time.Millisecond)
			assert.False(t, limiter.Allow(), "the 12:00 call still counts just before 13:00")
			clock.Advance(time.Millisecond)
			assert.True(t, limiter.Allow(), "the 12:00 call expired at 13:00")
			assert.False(t, limiter.Allow(), "the 12:30 and 13:00 calls fill the limit")

			clock.Advance(time.Hour)
			assert.True(t, limiter.Allow(), "a new hour starts with a full budget")
		})
	}
}

func TestRedisLimiter_rejectedCallsDoNotCount(t *testing.T) {
	for name, rdb := range redisServers(t) {
		t.Run(name, func(t *testing.T) {
			clock := newClock()
			limiter := ratelimit.NewRedisLimiter(rdb, uniqueKey(), 1, clock.Now)

			require.True(t, limiter.Allow())
			for range 5 {
				clock.Advance(10 * time.Minute)
				require.False(t, limiter.Allow())
			}
			clock.Advance(10 * time.Minute)
			assert.True(t, limiter.Allow(), "only the allowed call at 12:00 counted")
		})
	}
}

func TestRedisLimiter_concurrentCallers(t *testing.T) {
	for name, rdb := range redisServers(t) {
		t.Run(name, func(t *testing.T) {
			const limit = 37
			key := uniqueKey()
			limiters := []*ratelimit.RedisLimiter{
				ratelimit.NewRedisLimiter(rdb, key, limit, nil),
				ratelimit.NewRedisLimiter(rdb, key, limit, nil),
			}
			var allowed atomic.Int64
			var callers sync.WaitGroup
			for worker := range 20 {
				limiter := limiters[worker%len(limiters)]
				callers.Go(func() {
					for range 10 {
						if limiter.Allow() {
							allowed.Add(1)
						}
					}
				})
			}
			callers.Wait()
			assert.Equal(t, int64(limit), allowed.Load(), "200 concurrent calls, limit 37")
		})
	}
}

func TestRedisLimiter_separateKeys(t *testing.T) {
	for name, rdb := range redisServers(t) {
		t.Run(name, func(t *testing.T) {
			clock := newClock()
			first := ratelimit.NewRedisLimiter(rdb, uniqueKey(), 1, clock.Now)
			second := ratelimit.NewRedisLimiter(rdb, uniqueKey(), 1, clock.Now)

			assert.True(t, first.Allow())
			assert.True(t, second.Allow(), "another key has its own budget")
			assert.False(t, first.Allow())
		})
	}
}

func TestRedisLimiter_zeroLimitAllowsNothing(t *testing.T) {
	rdb := redisServers(t)["miniredis"]
	limiter := ratelimit.NewRedisLimiter(rdb, uniqueKey(), 0, nil)
	assert.False(t, limiter.Allow())
}

func TestRedisLimiter_redisDownFailsClosed(t *testing.T) {
	mini := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mini.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	var logs bytes.Buffer
	limiter := ratelimit.NewRedisLimiter(rdb, uniqueKey(), 100, nil,
		ratelimit.WithLogger(zerolog.New(&logs)), ratelimit.WithTimeout(time.Second))

	require.True(t, limiter.Allow(), "Redis is up")
	mini.Close()
	assert.False(t, limiter.Allow(), "a configured limit fails closed while Redis is down")
	assert.False(t, limiter.Allow())

	output := logs.String()
	assert.Contains(t, output, `"level":"error"`)
	assert.Contains(t, output, "rate limit unavailable")
	assert.Equal(t, 1, bytes.Count(logs.Bytes(), []byte("\n")), "the second failure within a minute is counted, not logged")
}
