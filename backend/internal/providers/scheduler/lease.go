package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// releaseScript deletes the lease only while it still holds the owner's
// token, so a holder whose lease expired and passed to another instance
// cannot delete the new holder's lease.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// lease is a held Redis lease: a key set with SET NX PX to a random token.
type lease struct {
	rdb   redis.UniversalClient
	key   string
	token string
}

// acquireLease sets key to a new token for ttl unless another holder has
// it. It returns nil and no error when the lease is held elsewhere.
func acquireLease(ctx context.Context, rdb redis.UniversalClient, key string, ttl time.Duration) (*lease, error) {
	token := uuid.NewString()
	acquired, err := rdb.SetNX(ctx, key, token, ttl).Result()
	if err != nil {
		return nil, fmt.Errorf("acquire lease %s: %w", key, err)
	}
	if !acquired {
		return nil, nil
	}
	return &lease{rdb: rdb, key: key, token: token}, nil
}

// release deletes the lease if this holder still owns it, and reports
// whether it did.
func (l *lease) release(ctx context.Context) (bool, error) {
	deleted, err := releaseScript.Run(ctx, l.rdb, []string{l.key}, l.token).Int()
	if err != nil {
		return false, fmt.Errorf("release lease %s: %w", l.key, err)
	}
	return deleted == 1, nil
}
