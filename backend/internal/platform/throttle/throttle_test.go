package throttle_test

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"esimscan/backend/internal/platform/throttle"
)

func TestCount_limitsPerClientThenAccount(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	ctx := context.Background()
	limits := throttle.Limits{Window: time.Minute, PerClient: 2, PerAccount: 3}
	for attempt := 1; attempt <= 2; attempt++ {
		if wait, err := throttle.Count(ctx, rdb, "test", "acct", "10.0.0.1", limits); err != nil || wait != 0 {
			t.Fatalf("attempt %d: wait %v, err %v", attempt, wait, err)
		}
	}
	if wait, err := throttle.Count(ctx, rdb, "test", "acct", "10.0.0.1", limits); err != nil || wait <= 0 {
		t.Errorf("third attempt from one address: wait %v, err %v; want throttled", wait, err)
	}
	if wait, _ := throttle.Count(ctx, rdb, "test", "acct", "10.0.0.2", limits); wait != 0 {
		t.Errorf("another address was throttled after %v", wait)
	}
	if wait, _ := throttle.Count(ctx, rdb, "test", "acct", "10.0.0.3", limits); wait <= 0 {
		t.Error("the account limit did not apply across addresses")
	}
}
