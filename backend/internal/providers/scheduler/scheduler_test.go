package scheduler_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/scheduler"
)

func TestScheduler_RunOnce_neverSyncedStartsAtOnce(t *testing.T) {
	w := newWorld(t, redisServers(t)["miniredis"])
	first := w.addInstance(0)
	w.configure(t, first.service, true)

	started, err := first.scheduler.RunOnce(context.Background())
	require.NoError(t, err)
	require.Len(t, started, 1)

	starts := w.syncStarts(t)
	require.Len(t, starts, 1)
	assert.Equal(t, "scheduler", starts[0].Metadata.ActorID)
	assert.Contains(t, string(starts[0].Data), started[0])
}

func TestScheduler_RunOnce_skipsDisabledAndUnconfigured(t *testing.T) {
	w := newWorld(t, redisServers(t)["miniredis"])
	first := w.addInstance(0)
	w.configure(t, first.service, false)

	started, err := first.scheduler.RunOnce(context.Background())
	require.NoError(t, err)
	assert.Empty(t, started, "esim-access is disabled and the other providers are not configured")
	assert.Empty(t, w.syncStarts(t))
}

func TestScheduler_RunOnce_dueIntervalAfterLastStart(t *testing.T) {
	w := newWorld(t, redisServers(t)["miniredis"])
	first := w.addInstance(0)
	w.configure(t, first.service, true)
	ctx := context.Background()

	started, err := first.scheduler.RunOnce(ctx)
	require.NoError(t, err)
	require.Len(t, started, 1, "first sync at 12:00")
	// The sync finishes at 12:10, but the interval counts from its start.
	w.clock.Advance(10 * time.Minute)
	w.finishSync(t)

	w.clock.Advance(50*time.Minute - time.Second)
	started, err = first.scheduler.RunOnce(ctx)
	require.NoError(t, err)
	assert.Empty(t, started, "not due at 12:59:59")

	w.clock.Advance(time.Second)
	started, err = first.scheduler.RunOnce(ctx)
	require.NoError(t, err)
	assert.Len(t, started, 1, "due at 13:00")
	assert.Len(t, w.syncStarts(t), 2)
}

func TestScheduler_RunOnce_runningSyncIsNotRestarted(t *testing.T) {
	w := newWorld(t, redisServers(t)["miniredis"])
	first := w.addInstance(0)
	w.configure(t, first.service, true)
	ctx := context.Background()

	_, err := first.scheduler.RunOnce(ctx)
	require.NoError(t, err)
	w.clock.Advance(3 * time.Hour)
	started, err := first.scheduler.RunOnce(ctx)
	require.NoError(t, err)
	assert.Empty(t, started, "the first sync still runs")
	assert.Len(t, w.syncStarts(t), 1)
}

func TestScheduler_RunOnce_adminSyncResetsInterval(t *testing.T) {
	w := newWorld(t, redisServers(t)["miniredis"])
	first := w.addInstance(0)
	w.configure(t, first.service, true)
	ctx := context.Background()

	_, _, err := first.service.StartSync(adminContext(), slug)
	require.NoError(t, err)
	w.finishSync(t)
	w.clock.Advance(30 * time.Minute)
	started, err := first.scheduler.RunOnce(ctx)
	require.NoError(t, err)
	assert.Empty(t, started, "an admin's sync 30 minutes ago counts as the last sync")
}

// TestScheduler_twoInstancesStartOneSync races two schedulers on one
// store and one Redis through several intervals. Each interval must get
// exactly one SyncStarted.
func TestScheduler_twoInstancesStartOneSync(t *testing.T) {
	for name, rdb := range redisServers(t) {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, rdb)
			first := w.addInstance(0)
			second := w.addInstance(0)
			w.configure(t, first.service, true)
			const rounds = 8

			for round := 1; round <= rounds; round++ {
				var racers sync.WaitGroup
				startedBy := make([][]string, 2)
				errs := make([]error, 2)
				for i, racer := range []*instance{first, second} {
					racers.Go(func() { startedBy[i], errs[i] = racer.scheduler.RunOnce(context.Background()) })
				}
				racers.Wait()
				require.NoError(t, errs[0])
				require.NoError(t, errs[1])
				assert.Equal(t, 1, len(startedBy[0])+len(startedBy[1]), "round %d starts one sync", round)
				require.Len(t, w.syncStarts(t), round)

				w.finishSync(t)
				w.clock.Advance(time.Hour)
			}
		})
	}
}

// TestScheduler_crashedLeaseHolder plays an instance that took the lease
// and died: no scheduler decides until the lease expires.
func TestScheduler_crashedLeaseHolder(t *testing.T) {
	mini := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mini.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	w := newWorld(t, rdb)
	const leaseTTL = 20 * time.Second
	survivor := w.addInstance(leaseTTL)
	w.configure(t, survivor.service, true)
	ctx := context.Background()
	require.NoError(t, rdb.SetNX(ctx, survivor.scheduler.LeaseKey(slug), "crashed-instance-token", leaseTTL).Err())

	started, err := survivor.scheduler.RunOnce(ctx)
	require.NoError(t, err)
	assert.Empty(t, started, "the crashed instance still holds the lease")
	assert.Contains(t, w.logs.String(), "another scheduler has the lease")

	mini.FastForward(leaseTTL)
	started, err = survivor.scheduler.RunOnce(ctx)
	require.NoError(t, err)
	assert.Len(t, started, 1, "the lease expired")
	assert.Empty(t, mini.Keys(), "the survivor released its own lease")
}

// TestScheduler_crashedLeaseHolderRealRedis is the same case on a real
// Redis, whose clock cannot be moved, so the lease is short.
func TestScheduler_crashedLeaseHolderRealRedis(t *testing.T) {
	rdb, found := redisServers(t)["redis"]
	if !found {
		t.Skip("REDIS_TEST_URL is unset")
	}
	w := newWorld(t, rdb)
	const leaseTTL = 300 * time.Millisecond
	survivor := w.addInstance(leaseTTL)
	w.configure(t, survivor.service, true)
	ctx := context.Background()
	require.NoError(t, rdb.SetNX(ctx, survivor.scheduler.LeaseKey(slug), "crashed-instance-token", leaseTTL).Err())

	started, err := survivor.scheduler.RunOnce(ctx)
	require.NoError(t, err)
	require.Empty(t, started, "the crashed instance still holds the lease")

	deadline := time.Now().Add(5 * time.Second)
	for len(started) == 0 {
		require.True(t, time.Now().Before(deadline), "the lease did not expire within 5s")
		started, err = survivor.scheduler.RunOnce(ctx)
		require.NoError(t, err)
		if len(started) == 0 {
			time.Sleep(50 * time.Millisecond) // polling interval, bounded by the deadline above
		}
	}
	assert.Len(t, w.syncStarts(t), 1)
	exists, err := rdb.Exists(ctx, survivor.scheduler.LeaseKey(slug)).Result()
	require.NoError(t, err)
	assert.Zero(t, exists, "the survivor released its own lease")
}

func TestScheduler_RunOnce_redisDownDecidesOnStore(t *testing.T) {
	mini := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mini.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	w := newWorld(t, rdb)
	first := w.addInstance(0)
	second := w.addInstance(0)
	w.configure(t, first.service, true)
	mini.Close()

	started, err := first.scheduler.RunOnce(context.Background())
	require.NoError(t, err)
	assert.Len(t, started, 1)
	started, err = second.scheduler.RunOnce(context.Background())
	require.NoError(t, err)
	assert.Empty(t, started, "the aggregate rejects a second sync without the lease")
	assert.Contains(t, w.logs.String(), "scheduling lease unavailable")
}

func TestScheduler_Run_startsDueSyncs(t *testing.T) {
	w := newWorld(t, redisServers(t)["miniredis"])
	first := w.addInstance(0)
	w.configure(t, first.service, true)
	ticking := scheduler.New(scheduler.Options{
		Providers:      first.service,
		Redis:          w.rdb,
		Tick:           10 * time.Millisecond,
		LeaseKeyPrefix: w.prefix,
		Now:            w.clock.Now,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ticking.Run(ctx) }()

	require.Eventually(t, func() bool {
		events, err := w.store.ReadStream(context.Background(), "provider-"+slug, 0)
		return err == nil && events[len(events)-1].Type == "SyncStarted"
	}, 5*time.Second, 10*time.Millisecond, "the scheduler started no sync within 5s")
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of cancel")
	}
	assert.Len(t, w.syncStarts(t), 1, "the running sync was not started again")
}
