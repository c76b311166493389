package projection_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"esimscan/projections/projection"
	"esimscan/projections/projectiontest"
)

func TestReplayAll_rebuildsFromLog(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		source := projectiontest.NewMemorySource()
		first := newTally(t, "replay-a")
		second := newTally(t, "replay-b")
		source.Append(counted(3)...)
		source.Append(projection.Event{Type: typePoison})
		head := source.Append(counted(2)...)

		// Leftovers of an older read model must not survive the replay.
		stale := first.KeyPrefix() + "stale"
		if err := rdb.Set(ctx, stale, "x", 0).Err(); err != nil {
			t.Fatalf("write stale key: %v", err)
		}
		if err := rdb.Set(ctx, projection.CheckpointKey(first.name), 99, 0).Err(); err != nil {
			t.Fatalf("write stale checkpoint: %v", err)
		}

		report, err := projection.ReplayAll(ctx, rdb, source, zerolog.Nop(), first, second)
		if err != nil {
			t.Fatalf("ReplayAll: %v", err)
		}

		if report.Head != head {
			t.Errorf("Head = %d, want %d", report.Head, head)
		}
		if report.EventsRead != head {
			t.Errorf("EventsRead = %d, want %d", report.EventsRead, head)
		}
		if report.Duration <= 0 {
			t.Errorf("Duration = %s, want > 0", report.Duration)
		}
		if len(report.Projectors) != 2 {
			t.Fatalf("report has %d projectors, want 2", len(report.Projectors))
		}
		for _, p := range report.Projectors {
			if p.Read != head {
				t.Errorf("%s read %d events, want %d", p.Name, p.Read, head)
			}
			if p.Applied != head-1 {
				t.Errorf("%s applied %d events, want %d", p.Name, p.Applied, head-1)
			}
			if p.Parked != 1 {
				t.Errorf("%s parked %d events, want 1", p.Name, p.Parked)
			}
		}
		if n, err := rdb.Exists(ctx, stale).Result(); err != nil || n != 0 {
			t.Errorf("stale key exists after ReplayAll: %d (err %v)", n, err)
		}
		assertPositions(t, rdb, first, []uint64{1, 2, 3, 5, 6})
		assertPositions(t, rdb, second, []uint64{1, 2, 3, 5, 6})
		assertCheckpoint(t, rdb, first.name, head)
	})
}

func TestReplayAll_emptyLog(t *testing.T) {
	rdb := projectiontest.NewMiniredis(t)
	p := newTally(t, "replay-empty")

	report, err := projection.ReplayAll(context.Background(), rdb, projectiontest.NewMemorySource(), zerolog.Nop(), p)
	if err != nil {
		t.Fatalf("ReplayAll: %v", err)
	}
	if report.EventsRead != 0 {
		t.Errorf("EventsRead = %d, want 0", report.EventsRead)
	}
	assertCheckpoint(t, rdb, p.name, 0)
}
