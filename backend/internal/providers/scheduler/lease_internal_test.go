package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLease_releasedOnlyByOwner(t *testing.T) {
	mini := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mini.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	const key = "lease-test"

	first, err := acquireLease(ctx, rdb, key, time.Minute)
	require.NoError(t, err)
	require.NotNil(t, first)
	blocked, err := acquireLease(ctx, rdb, key, time.Minute)
	require.NoError(t, err)
	assert.Nil(t, blocked, "the lease is held")

	mini.FastForward(time.Minute)
	second, err := acquireLease(ctx, rdb, key, time.Minute)
	require.NoError(t, err)
	require.NotNil(t, second, "the first lease expired")

	released, err := first.release(ctx)
	require.NoError(t, err)
	assert.False(t, released, "the expired holder cannot release the new lease")
	assert.True(t, mini.Exists(key))

	released, err = second.release(ctx)
	require.NoError(t, err)
	assert.True(t, released)
	assert.False(t, mini.Exists(key))
}
