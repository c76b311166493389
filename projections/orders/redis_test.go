package orders

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"esimscan/projections/projection"
)

// eachRedis runs test against an in-process miniredis and, when
// REDIS_TEST_URL names one, a real Redis server. On the real server every
// key under the projector's prefix is deleted before and after the test.
func eachRedis(t *testing.T, prefix string, test func(t *testing.T, rdb redis.UniversalClient)) {
	t.Run("miniredis", func(t *testing.T) {
		server := miniredis.RunT(t)
		rdb := redis.NewClient(&redis.Options{Addr: server.Addr()})
		t.Cleanup(func() { _ = rdb.Close() })
		test(t, rdb)
	})
	t.Run("redis", func(t *testing.T) {
		url := os.Getenv("REDIS_TEST_URL")
		if url == "" {
			t.Skip("REDIS_TEST_URL is unset: set it to redis://127.0.0.1:PORT/DB of a disposable server to run against real Redis")
		}
		options, err := redis.ParseURL(url)
		require.NoError(t, err)
		rdb := redis.NewClient(options)
		t.Cleanup(func() { _ = rdb.Close() })
		deleteKeys(t, rdb, prefix)
		t.Cleanup(func() { deleteKeys(t, rdb, prefix) })
		test(t, rdb)
	})
}

func deleteKeys(t *testing.T, rdb redis.UniversalClient, prefix string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		require.NoError(t, rdb.Del(ctx, iter.Val()).Err())
	}
	require.NoError(t, iter.Err())
}

// feeder applies events to a projector the way the runner does: one
// transaction per event, positions increasing across the log and revisions
// per stream.
type feeder struct {
	t         *testing.T
	rdb       redis.UniversalClient
	projector projection.Projector
	position  uint64
	revisions map[string]uint64
	at        time.Time
	// actor is the ActorID of the events built from now on.
	actor string
}

func newFeeder(t *testing.T, rdb redis.UniversalClient, projector projection.Projector) *feeder {
	return &feeder{
		t:         t,
		rdb:       rdb,
		projector: projector,
		revisions: map[string]uint64{},
		at:        time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC),
		actor:     "system",
	}
}

// event builds the next event of stream with a JSON payload.
func (f *feeder) event(stream, eventType, data string) projection.Event {
	f.t.Helper()
	require.True(f.t, json.Valid([]byte(data)), "payload of %s is not JSON: %s", eventType, data)
	f.position++
	revision, seen := f.revisions[stream]
	if seen {
		revision++
	}
	f.revisions[stream] = revision
	f.at = f.at.Add(time.Minute)
	return projection.Event{
		ID:            "event-" + strings.ReplaceAll(f.t.Name(), "/", "-") + "-" + strconv.FormatUint(f.position, 10),
		Type:          eventType,
		Stream:        stream,
		Revision:      revision,
		Position:      f.position,
		RecordedAt:    f.at,
		Data:          []byte(data),
		ActorID:       f.actor,
		SchemaVersion: 1,
	}
}

// apply builds the next event and applies it, failing the test on error.
func (f *feeder) apply(stream, eventType, data string) projection.Event {
	f.t.Helper()
	ev := f.event(stream, eventType, data)
	require.NoError(f.t, f.applyEvent(ev), "apply %s", eventType)
	return ev
}

// applyEvent runs Apply on a transaction and executes it.
func (f *feeder) applyEvent(ev projection.Event) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tx := f.rdb.TxPipeline()
	if err := f.projector.Apply(ctx, f.rdb, tx, ev); err != nil {
		tx.Discard()
		return err
	}
	_, err := tx.Exec(ctx)
	return err
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
