package projection

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ErrUnsafeEvictionPolicy is returned by CheckEvictionPolicy when Redis may
// evict keys. An allkeys-* policy drops read-model keys silently while the
// checkpoint still shows the projector as current.
var ErrUnsafeEvictionPolicy = errors.New("redis eviction policy is not noeviction")

// CheckEvictionPolicy returns an error wrapping ErrUnsafeEvictionPolicy and
// naming the policy unless Redis runs with maxmemory-policy noeviction. A
// server without CONFIG, such as miniredis, passes, because it never evicts.
func CheckEvictionPolicy(ctx context.Context, rdb redis.UniversalClient) error {
	config, err := rdb.ConfigGet(ctx, "maxmemory-policy").Result()
	if err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "unknown command") {
			return nil
		}
		return fmt.Errorf("read redis maxmemory-policy: %w", err)
	}
	policy, ok := config["maxmemory-policy"]
	if !ok {
		return fmt.Errorf("read redis maxmemory-policy: missing from CONFIG GET reply")
	}
	if policy != "noeviction" {
		return fmt.Errorf("redis maxmemory-policy is %q, set it to noeviction: %w", policy, ErrUnsafeEvictionPolicy)
	}
	return nil
}
