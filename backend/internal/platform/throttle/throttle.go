// Package throttle limits attempts in Redis: failed sign-ins per account
// and client address, for the admin and customer sign-ins, and plain
// fixed-window counts such as the emails sent to one address.
package throttle

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultPendingTimeout is Limits.PendingTimeout when it is zero.
const DefaultPendingTimeout = time.Minute

// Limits bound failed attempts within Window: PerClient for one account
// from one client address, PerAccount for one account from all addresses.
// Attempts in progress hold a place under both limits, so that parallel
// guesses cannot pass a limit before their failures are counted.
// PendingTimeout is how long an attempt that never finishes, because its
// process died, keeps its place.
type Limits struct {
	Window         time.Duration
	PerClient      int
	PerAccount     int
	PendingTimeout time.Duration
}

// beginAttempt admits an attempt. KEYS are the client's and the account's
// failure counters, then the client's and the account's sorted sets of
// attempts in progress, scored by when each times out. ARGV contains the
// window in milliseconds, the two limits, the pending timeout in
// milliseconds and the attempt id. Failures plus attempts in progress must
// stay below each limit. When one would not, the script admits nothing and
// returns the milliseconds until a place frees up. Otherwise it records
// the attempt as in progress and returns 0.
var beginAttempt = redis.NewScript(`
local window = tonumber(ARGV[1])
local limits = {tonumber(ARGV[2]), tonumber(ARGV[3])}
local timeout = tonumber(ARGV[4])
local clock = redis.call("TIME")
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
for i = 1, 2 do
  redis.call("ZREMRANGEBYSCORE", KEYS[i + 2], "-inf", now)
  local failures = tonumber(redis.call("GET", KEYS[i]) or "0")
  if failures >= limits[i] then
    local wait = redis.call("PTTL", KEYS[i])
    if wait <= 0 then
      wait = window
    end
    return wait
  end
  if failures + redis.call("ZCARD", KEYS[i + 2]) >= limits[i] then
    local oldest = redis.call("ZRANGE", KEYS[i + 2], 0, 0, "WITHSCORES")
    return math.max(tonumber(oldest[2]) - now, 1)
  end
end
for i = 3, 4 do
  redis.call("ZADD", KEYS[i], now + timeout, ARGV[5])
  redis.call("PEXPIRE", KEYS[i], timeout)
end
return 0
`)

// finishAttempt ends an attempt that beginAttempt admitted. KEYS are as
// for beginAttempt. ARGV contains the window in milliseconds, the attempt
// id and the outcome: "failed" counts a failure on both counters, starting
// each counter's window on its first failure, and "succeeded" clears the
// client's failures but keeps the account's. Any other outcome counts
// nothing.
var finishAttempt = redis.NewScript(`
redis.call("ZREM", KEYS[3], ARGV[2])
redis.call("ZREM", KEYS[4], ARGV[2])
if ARGV[3] == "failed" then
  for i = 1, 2 do
    local failures = redis.call("INCR", KEYS[i])
    if failures == 1 or redis.call("PTTL", KEYS[i]) < 0 then
      redis.call("PEXPIRE", KEYS[i], ARGV[1])
    end
  end
elseif ARGV[3] == "succeeded" then
  redis.call("DEL", KEYS[1])
end
return 0
`)

// Attempt is a sign-in attempt that Begin admitted. The caller ends it
// with exactly one of Fail, Succeed or Abandon.
type Attempt struct {
	rdb    redis.Scripter
	keys   []string
	id     string
	window time.Duration
}

// Begin admits one attempt for account from clientIP under prefix, such
// as "loginattempts", and returns it. When the failures and the attempts
// in progress already reach a limit, it admits nothing and returns a nil
// Attempt with how long to wait. Begin counts no failure.
func Begin(
	ctx context.Context,
	rdb redis.Scripter,
	prefix, account, clientIP string,
	limits Limits,
) (*Attempt, time.Duration, error) {
	timeout := limits.PendingTimeout
	if timeout <= 0 {
		timeout = DefaultPendingTimeout
	}
	client, whole := ClientKey(prefix, account, clientIP), AccountKey(prefix, account)
	attempt := &Attempt{
		rdb:    rdb,
		keys:   []string{client, whole, client + ":pending", whole + ":pending"},
		id:     randomID(),
		window: limits.Window,
	}
	waitMillis, err := beginAttempt.Run(ctx, rdb, attempt.keys,
		limits.Window.Milliseconds(), limits.PerClient, limits.PerAccount, timeout.Milliseconds(), attempt.id).Int64()
	if err != nil {
		return nil, 0, fmt.Errorf("begin sign-in attempt: %w", err)
	}
	if waitMillis > 0 {
		return nil, time.Duration(waitMillis) * time.Millisecond, nil
	}
	return attempt, 0, nil
}

// Fail ends the attempt and counts a failure against both limits.
func (a *Attempt) Fail(ctx context.Context) error { return a.finish(ctx, "failed") }

// Succeed ends the attempt and clears the client's failures. The
// account's failures stay, so that a successful sign-in from one address
// does not reset what guesses from other addresses have counted.
func (a *Attempt) Succeed(ctx context.Context) error { return a.finish(ctx, "succeeded") }

// Abandon ends the attempt without counting anything, for attempts that
// ended in a server fault before the password was checked.
func (a *Attempt) Abandon(ctx context.Context) error { return a.finish(ctx, "abandoned") }

func (a *Attempt) finish(ctx context.Context, outcome string) error {
	err := finishAttempt.Run(ctx, a.rdb, a.keys, a.window.Milliseconds(), a.id, outcome).Err()
	if err != nil {
		return fmt.Errorf("record %s sign-in attempt: %w", outcome, err)
	}
	return nil
}

// countUse counts one use of KEYS[1] unless it already reached ARGV[1]
// uses. ARGV[2] is the window in milliseconds, which starts at the first
// use. It returns 0 when it counted the use, or else the milliseconds
// until the window ends.
var countUse = redis.NewScript(`
local uses = tonumber(redis.call("GET", KEYS[1]) or "0")
if uses >= tonumber(ARGV[1]) then
  local wait = redis.call("PTTL", KEYS[1])
  if wait <= 0 then
    wait = tonumber(ARGV[2])
  end
  return wait
end
uses = redis.call("INCR", KEYS[1])
if uses == 1 or redis.call("PTTL", KEYS[1]) < 0 then
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0
`)

// Allow counts one use of key when key has had fewer than limit uses in
// its current window, which starts at its first use, and returns 0. Past
// the limit it counts nothing and returns the time until the window ends.
func Allow(ctx context.Context, rdb redis.Scripter, key string, limit int, window time.Duration) (time.Duration, error) {
	waitMillis, err := countUse.Run(ctx, rdb, []string{key}, limit, window.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("count use of %s: %w", key, err)
	}
	return time.Duration(max(waitMillis, 0)) * time.Millisecond, nil
}

// AccountKey is the Redis key counting one account's failures from all
// addresses. The braces keep every key of one account in one Redis
// Cluster slot, as the scripts need.
func AccountKey(prefix, account string) string { return prefix + ":{" + account + "}" }

// ClientKey is the Redis key counting one account's failures from one
// client address. A successful sign-in clears it.
func ClientKey(prefix, account, clientIP string) string {
	return AccountKey(prefix, account) + ":" + AddressKey(clientIP)
}

// AddressKey names a client address in keys and logs without the address
// itself: the first 16 hex digits of its SHA-256.
func AddressKey(clientIP string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(clientIP)))
	return hex.EncodeToString(sum[:])[:16]
}

func randomID() string {
	raw := make([]byte, 12)
	_, _ = rand.Read(raw) // crypto/rand.Read returns no error since Go 1.24
	return hex.EncodeToString(raw)
}
