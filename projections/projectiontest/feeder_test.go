package projectiontest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/redis/go-redis/v9"

	"esimscan/projections/projection"
	"esimscan/projections/projectiontest"
)

// countProjector counts events per type in a hash, and fails events of type
// "Broken".
type countProjector struct{}

func (countProjector) Name() string      { return "count" }
func (countProjector) KeyPrefix() string { return "count:" }

func (countProjector) Apply(ctx context.Context, rdb redis.Cmdable, tx redis.Pipeliner, ev projection.Event) error {
	if ev.Type == "Broken" {
		return errors.New("broken event")
	}
	tx.HIncrBy(ctx, "count:types", ev.Type, 1)
	return nil
}

func TestFeeder_numbersEvents(t *testing.T) {
	f := projectiontest.NewFeeder(t, projectiontest.NewMiniredis(t), countProjector{})
	first := f.Apply("order-1", "Placed", `{}`)
	f.Actor = "admin-1"
	second := f.Event("order-2", "Placed", `{}`)
	third := f.Event("order-1", "Paid", `{}`)

	if first.Position != 1 || second.Position != 2 || third.Position != 3 {
		t.Errorf("positions = %d, %d, %d, want 1, 2, 3", first.Position, second.Position, third.Position)
	}
	if first.Revision != 0 || second.Revision != 0 || third.Revision != 1 {
		t.Errorf("revisions = %d, %d, %d, want 0, 0, 1", first.Revision, second.Revision, third.Revision)
	}
	if first.ActorID != "system" || second.ActorID != "admin-1" {
		t.Errorf("actors = %q, %q, want system, admin-1", first.ActorID, second.ActorID)
	}
	if !second.RecordedAt.After(first.RecordedAt) {
		t.Errorf("RecordedAt %v is not after %v", second.RecordedAt, first.RecordedAt)
	}
	if first.ID == second.ID {
		t.Errorf("two events share the ID %q", first.ID)
	}
}

func TestFeeder_appliesInTransaction(t *testing.T) {
	rdb := projectiontest.NewMiniredis(t)
	f := projectiontest.NewFeeder(t, rdb, countProjector{})
	f.Apply("order-1", "Placed", `{}`)
	f.Apply("order-2", "Placed", `{}`)

	if err := f.ApplyEvent(f.Event("order-3", "Broken", `{}`)); err == nil {
		t.Error("ApplyEvent of a failing event returned nil")
	}
	got, err := rdb.HGetAll(projectiontest.Context(t), "count:types").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got["Placed"] != "2" {
		t.Errorf("count:types = %v, want map[Placed:2]", got)
	}
}
