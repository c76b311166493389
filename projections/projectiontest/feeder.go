package projectiontest

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"esimscan/projections/projection"
)

// opTimeout bounds every Redis call a helper makes for a test.
const opTimeout = 10 * time.Second

// Context returns a context that ends after 10 seconds or when the test
// ends, whichever comes first.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	t.Cleanup(cancel)
	return ctx
}

// Feeder applies events to a projector the way the runner does: one
// transaction per event, positions increasing across the log and revisions
// per stream. Event times start at 2025-03-01 09:00 UTC and advance by one
// minute per event.
type Feeder struct {
	// T is the test that the feeder fails on error.
	T testing.TB
	// Actor is the ActorID of the events built from now on.
	Actor string

	rdb       redis.UniversalClient
	projector projection.Projector
	position  uint64
	revisions map[string]uint64
	at        time.Time
}

// NewFeeder returns a Feeder that applies events to projector on rdb, with
// the actor "system".
func NewFeeder(t testing.TB, rdb redis.UniversalClient, projector projection.Projector) *Feeder {
	return &Feeder{
		T:         t,
		Actor:     "system",
		rdb:       rdb,
		projector: projector,
		revisions: map[string]uint64{},
		at:        time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC),
	}
}

// Event builds the next event of stream with a JSON payload, without
// applying it. The test fails when data is not JSON.
func (f *Feeder) Event(stream, eventType, data string) projection.Event {
	f.T.Helper()
	if !json.Valid([]byte(data)) {
		f.T.Fatalf("invalid JSON payload for %s: %s", eventType, data)
	}
	f.position++
	revision, seen := f.revisions[stream]
	if seen {
		revision++
	}
	f.revisions[stream] = revision
	f.at = f.at.Add(time.Minute)
	return projection.Event{
		ID:            "event-" + strings.ReplaceAll(f.T.Name(), "/", "-") + "-" + strconv.FormatUint(f.position, 10),
		Type:          eventType,
		Stream:        stream,
		Revision:      revision,
		Position:      f.position,
		RecordedAt:    f.at,
		Data:          []byte(data),
		ActorID:       f.Actor,
		SchemaVersion: 1,
	}
}

// Apply builds the next event and applies it, failing the test on error.
func (f *Feeder) Apply(stream, eventType, data string) projection.Event {
	f.T.Helper()
	ev := f.Event(stream, eventType, data)
	if err := f.ApplyEvent(ev); err != nil {
		f.T.Fatalf("apply %s: %v", eventType, err)
	}
	return ev
}

// ApplyEvent runs the projector's Apply on a transaction and executes it.
func (f *Feeder) ApplyEvent(ev projection.Event) error {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	tx := f.rdb.TxPipeline()
	if err := f.projector.Apply(ctx, f.rdb, tx, ev); err != nil {
		tx.Discard()
		return err
	}
	_, err := tx.Exec(ctx)
	return err
}
