// Package ratelimit keeps the hourly budget of calls to a provider in Redis,
// so that every esimScan instance sharing that Redis draws from one budget.
package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// Defaults of a RedisLimiter.
const (
	// DefaultTimeout bounds one Redis round trip of Allow, because the
	// Limiter interface carries no context.
	DefaultTimeout = 2 * time.Second
	// errorLogInterval is the minimum time between two logged Redis errors
	// of one limiter. Errors in between are counted in the next logged line.
	errorLogInterval = time.Minute
	// window is the span over which calls are counted.
	window = time.Hour
)

// keyPrefix starts every key of a provider budget.
const keyPrefix = "esimscan:ratelimit:provider:"

// ProviderKey returns the Redis key of the call budget of the provider
// with slug.
func ProviderKey(slug string) string { return keyPrefix + slug }

// allowScript keeps the start times (Unix milliseconds) of the calls of the
// last hour in a sorted set. It drops the expired ones, and adds the new
// call only while fewer than the limit remain, in one atomic step on the
// Redis server, so concurrent callers in any process never overshoot.
//
//	KEYS[1] the sorted set
//	ARGV[1] now in Unix milliseconds
//	ARGV[2] window length in milliseconds
//	ARGV[3] limit
//	ARGV[4] a unique member for this call
var allowScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window)
return 1
`)

// RedisLimiter allows at most perHour calls in any sliding hour, counted
// in Redis across all processes that use the same key. It implements
// httpx.Limiter and is safe for concurrent use.
//
// When Redis cannot be reached, Allow returns false: a configured limit
// fails closed, so an outage of Redis cannot make esimScan overspend a
// provider's quota. The error is logged at most once a minute.
type RedisLimiter struct {
	rdb     redis.UniversalClient
	key     string
	perHour int
	now     func() time.Time
	timeout time.Duration
	logger  zerolog.Logger

	mu         sync.Mutex
	lastLogged time.Time
	suppressed int
}

// Option changes a RedisLimiter built by NewRedisLimiter.
type Option func(*RedisLimiter)

// WithLogger logs Redis errors to logger. By default nothing is logged.
func WithLogger(logger zerolog.Logger) Option {
	return func(l *RedisLimiter) { l.logger = logger }
}

// WithTimeout replaces DefaultTimeout as the bound of one Redis call.
func WithTimeout(timeout time.Duration) Option {
	return func(l *RedisLimiter) { l.timeout = timeout }
}

// NewRedisLimiter returns a limiter of perHour calls per sliding hour whose
// state lives in rdb under key. A perHour of zero or less allows no call, so
// callers that mean "no limit" use no limiter. A nil now uses the system
// clock. Instances whose clocks disagree count a call at their own time.
func NewRedisLimiter(
	rdb redis.UniversalClient,
	key string,
	perHour int,
	now func() time.Time,
	opts ...Option,
) *RedisLimiter {
	if now == nil {
		now = time.Now
	}
	limiter := &RedisLimiter{
		rdb:     rdb,
		key:     key,
		perHour: perHour,
		now:     now,
		timeout: DefaultTimeout,
		logger:  zerolog.Nop(),
	}
	for _, opt := range opts {
		opt(limiter)
	}
	return limiter
}

// Allow records a call and returns true while fewer than the limit were
// made in the past hour by all users of the key. It returns false when
// Redis fails.
func (l *RedisLimiter) Allow() bool {
	if l.perHour <= 0 {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.timeout)
	defer cancel()
	allowed, err := l.take(ctx)
	if err != nil {
		l.logFailure(err)
		return false
	}
	return allowed
}

// Limit returns the number of calls allowed per hour.
func (l *RedisLimiter) Limit() int { return l.perHour }

func (l *RedisLimiter) take(ctx context.Context) (bool, error) {
	args := []any{
		l.now().UnixMilli(),
		window.Milliseconds(),
		l.perHour,
		uuid.NewString(),
	}
	result, err := allowScript.Run(ctx, l.rdb, []string{l.key}, args...).Int()
	if err != nil {
		return false, fmt.Errorf("take a call from rate limit %s: %w", l.key, err)
	}
	return result == 1, nil
}

// logFailure logs err unless another error was logged in the last
// errorLogInterval, in which case it only counts it.
func (l *RedisLimiter) logFailure(err error) {
	l.mu.Lock()
	now := time.Now()
	if !l.lastLogged.IsZero() && now.Sub(l.lastLogged) < errorLogInterval {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	suppressed := l.suppressed
	l.suppressed = 0
	l.lastLogged = now
	l.mu.Unlock()

	l.logger.Error().Err(err).
		Str("key", l.key).
		Int("limit_per_hour", l.perHour).
		Int("errors_not_logged", suppressed).
		Msg("rate limit unavailable, so the provider call was rejected: check that Redis is reachable")
}
