package projection_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"esimscan/projections/projection"
	"esimscan/projections/projectiontest"
)

func TestCheckEvictionPolicy_miniredisPasses(t *testing.T) {
	if err := projection.CheckEvictionPolicy(context.Background(), projectiontest.NewMiniredis(t)); err != nil {
		t.Errorf("CheckEvictionPolicy on miniredis = %v, want nil", err)
	}
}

func TestCheckEvictionPolicy_realRedis(t *testing.T) {
	ctx := context.Background()
	rdb := projectiontest.RealRedis(t)
	config, err := rdb.ConfigGet(ctx, "maxmemory-policy").Result()
	if err != nil {
		t.Fatalf("CONFIG GET maxmemory-policy: %v", err)
	}
	// The policy is server-wide, so the test puts back what it found.
	t.Cleanup(func() {
		if err := rdb.ConfigSet(context.Background(), "maxmemory-policy", config["maxmemory-policy"]).Err(); err != nil {
			t.Errorf("restore maxmemory-policy: %v", err)
		}
	})

	if err := rdb.ConfigSet(ctx, "maxmemory-policy", "noeviction").Err(); err != nil {
		t.Fatalf("CONFIG SET noeviction: %v", err)
	}
	if err := projection.CheckEvictionPolicy(ctx, rdb); err != nil {
		t.Errorf("CheckEvictionPolicy with noeviction = %v, want nil", err)
	}

	if err := rdb.ConfigSet(ctx, "maxmemory-policy", "allkeys-lru").Err(); err != nil {
		t.Fatalf("CONFIG SET allkeys-lru: %v", err)
	}
	err = projection.CheckEvictionPolicy(ctx, rdb)
	if !errors.Is(err, projection.ErrUnsafeEvictionPolicy) {
		t.Fatalf("CheckEvictionPolicy with allkeys-lru = %v, want ErrUnsafeEvictionPolicy", err)
	}
	if !strings.Contains(err.Error(), "allkeys-lru") {
		t.Errorf("error %q does not name the policy allkeys-lru", err)
	}
}
