// Package throttle counts failed sign-in attempts in Redis, per account
// and client address, for the admin and customer sign-ins.
package throttle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Limits bound attempts within Window: PerClient for one account from one
// client address, PerAccount for one account from all addresses.
type Limits struct {
	Window     time.Duration
	PerClient  int
	PerAccount int
}

// countAttempt counts an attempt against KEYS[1] (account and client) and
// KEYS[2] (account), atomically. ARGV contains the window in milliseconds
// and the two limits. When either count reached its limit it counts
// nothing and returns the milliseconds until that key expires. Otherwise
// it counts the attempt on both keys, starting each key's window on its
// first attempt, and returns 0.
var countAttempt = redis.NewScript(`
local limits = {tonumber(ARGV[2]), tonumber(ARGV[3])}
for i = 1, 2 do
  local attempts = tonumber(redis.call("GET", KEYS[i]) or "0")
  if attempts >= limits[i] then
    local wait = redis.call("PTTL", KEYS[i])
    if wait <= 0 then
      wait = tonumber(ARGV[1])
    end
    return wait
  end
end
for i = 1, 2 do
  local attempts = redis.call("INCR", KEYS[i])
  if attempts == 1 or redis.call("PTTL", KEYS[i]) < 0 then
    redis.call("PEXPIRE", KEYS[i], ARGV[1])
  end
end
return 0
`)

// Count counts one attempt for account from clientIP under prefix, such
// as "loginattempts", and returns how long to wait when a limit was
// already reached, or 0. A rejected attempt counts against neither limit.
func Count(ctx context.Context, rdb redis.Scripter, prefix, account, clientIP string, limits Limits) (time.Duration, error) {
	keys := []string{ClientKey(prefix, account, clientIP), AccountKey(prefix, account)}
	waitMillis, err := countAttempt.Run(ctx, rdb, keys, limits.Window.Milliseconds(), limits.PerClient, limits.PerAccount).Int64()
	if err != nil {
		return 0, fmt.Errorf("count sign-in attempt: %w", err)
	}
	return time.Duration(max(waitMillis, 0)) * time.Millisecond, nil
}

// AccountKey is the Redis key counting one account's attempts from all
// addresses. The braces keep both keys of one account in one Redis
// Cluster slot, as the script needs.
func AccountKey(prefix, account string) string { return prefix + ":{" + account + "}" }

// ClientKey is the Redis key counting one account's attempts from one
// client address. Clearing it after a successful sign-in resets that
// address's count.
func ClientKey(prefix, account, clientIP string) string {
	return AccountKey(prefix, account) + ":" + AddressKey(clientIP)
}

// AddressKey names a client address in keys and logs without the address
// itself: the first 16 hex digits of its SHA-256.
func AddressKey(clientIP string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(clientIP)))
	return hex.EncodeToString(sum[:])[:16]
}
