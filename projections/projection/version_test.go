package projection_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"esimscan/projections/projection"
	"esimscan/projections/projectiontest"
)

// versionedTally is a tally whose read model has a version.
type versionedTally struct {
	*tally
	version int
}

func (p versionedTally) Version() int { return p.version }

func TestRunner_Run_rebuildsWhenVersionChanges(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		source := projectiontest.NewMemorySource()
		p := newTally(t, "version")
		head := source.Append(counted(3)...)

		first := startRunner(t, rdb, source, versionedTally{tally: p, version: 1})
		first.waitFor(t, head)
		first.stop(t)
		// A key the old version wrote and the new one would not.
		stale := p.KeyPrefix() + "stale"
		if err := rdb.Set(ctx, stale, "old shape", 0).Err(); err != nil {
			t.Fatal(err)
		}

		same := startRunner(t, rdb, source, versionedTally{tally: p, version: 1})
		same.waitFor(t, head)
		same.stop(t)
		if exists, _ := rdb.Exists(ctx, stale).Result(); exists != 1 {
			t.Fatal("a restart with the same version dropped the read model")
		}

		second := startRunner(t, rdb, source, versionedTally{tally: p, version: 2})
		second.waitFor(t, head)
		if exists, _ := rdb.Exists(ctx, stale).Result(); exists != 0 {
			t.Error("a new version kept a key of the old read model")
		}
		assertPositions(t, rdb, p, seq(1, head))
		if got, _ := rdb.Get(ctx, projection.VersionKey(p.name)).Int(); got != 2 {
			t.Errorf("stored version = %d, want 2", got)
		}
	})
}
