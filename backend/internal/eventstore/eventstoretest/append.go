package eventstoretest

import (
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"

	"esimscan/backend/internal/eventstore"
)

func testAppendAny(t *testing.T, store eventstore.Store) {
	stream := newStream("any")
	first := mustAppend(t, store, stream, eventstore.Any(), newEvents(1)...)
	if first.NextRevision != 0 {
		t.Errorf("first append: NextRevision = %d, want 0", first.NextRevision)
	}
	second := mustAppend(t, store, stream, eventstore.Any(), newEvents(2)...)
	if second.NextRevision != 2 {
		t.Errorf("second append: NextRevision = %d, want 2", second.NextRevision)
	}
	if second.Position <= first.Position {
		t.Errorf("second append: Position = %d, want more than %d", second.Position, first.Position)
	}
	wantStreamLength(t, store, stream, 3)
}

func testAppendNoStream(t *testing.T, store eventstore.Store) {
	stream := newStream("nostream")
	result := mustAppend(t, store, stream, eventstore.NoStream(), newEvents(1)...)
	if result.NextRevision != 0 {
		t.Errorf("NextRevision = %d, want 0", result.NextRevision)
	}
	_, err := store.Append(testContext(t), stream, eventstore.NoStream(), newEvents(1)...)
	wantWrongRevision(t, err)
	wantStreamLength(t, store, stream, 1)
}

func testAppendExact(t *testing.T, store eventstore.Store) {
	stream := newStream("exact")
	_, err := store.Append(testContext(t), stream, eventstore.Exact(0), newEvents(1)...)
	wantWrongRevision(t, err)
	wantStreamLength(t, store, stream, 0)

	mustAppend(t, store, stream, eventstore.NoStream(), newEvents(1)...)
	result := mustAppend(t, store, stream, eventstore.Exact(0), newEvents(1)...)
	if result.NextRevision != 1 {
		t.Errorf("NextRevision = %d, want 1", result.NextRevision)
	}
	head := mustHead(t, store)

	for _, stale := range []eventstore.Revision{0, 2, 7} {
		_, err := store.Append(testContext(t), stream, eventstore.Exact(stale), newEvents(2)...)
		wantWrongRevision(t, err)
	}
	wantStreamLength(t, store, stream, 2)
	if got := mustHead(t, store); got != head {
		t.Errorf("head moved from %d to %d after rejected appends", head, got)
	}
}

func testAppendEmpty(t *testing.T, store eventstore.Store) {
	stream := newStream("empty")
	head := mustHead(t, store)

	result, err := store.Append(testContext(t), stream, eventstore.NoStream())
	if err != nil {
		t.Fatalf("empty append with NoStream to a new stream: %v", err)
	}
	if result != (eventstore.AppendResult{}) {
		t.Errorf("empty append to a new stream = %+v, want zero", result)
	}
	if _, err := store.Append(testContext(t), stream, eventstore.Any()); err != nil {
		t.Errorf("empty append with Any to a new stream: %v", err)
	}
	_, err = store.Append(testContext(t), stream, eventstore.Exact(0))
	wantWrongRevision(t, err)
	wantStreamLength(t, store, stream, 0)
	if got := mustHead(t, store); got != head {
		t.Errorf("head moved from %d to %d after empty appends", head, got)
	}

	written := mustAppend(t, store, stream, eventstore.NoStream(), newEvents(2)...)
	for _, expected := range []eventstore.ExpectedRevision{eventstore.Any(), eventstore.Exact(1)} {
		state, err := store.Append(testContext(t), stream, expected)
		if err != nil {
			t.Fatalf("empty append to a stream at revision 1: %v", err)
		}
		if state != written {
			t.Errorf("empty append = %+v, want the stream's state %+v", state, written)
		}
	}
	for _, expected := range []eventstore.ExpectedRevision{eventstore.NoStream(), eventstore.Exact(0)} {
		_, err := store.Append(testContext(t), stream, expected)
		wantWrongRevision(t, err)
	}
	wantStreamLength(t, store, stream, 2)
}

func testAppendInvalid(t *testing.T, store eventstore.Store) {
	stream := newStream("invalid")
	valid := newEvents(1)[0]
	cases := map[string]struct {
		stream string
		event  eventstore.EventData
	}{
		"empty stream": {"", valid},
		"empty type":   {stream, eventstore.EventData{ID: uuid.NewString(), Data: []byte(`{}`)}},
		"bad ID":       {stream, eventstore.EventData{ID: "not-a-uuid", Type: "TestEvent", Data: []byte(`{}`)}},
		"bad JSON":     {stream, eventstore.EventData{Type: "TestEvent", Data: []byte(`{"n":`)}},
		"no data":      {stream, eventstore.EventData{Type: "TestEvent"}},
	}
	for name, tc := range cases {
		_, err := store.Append(testContext(t), tc.stream, eventstore.Any(), valid, tc.event)
		if !errors.Is(err, eventstore.ErrInvalidAppend) {
			t.Errorf("%s: err = %v, want ErrInvalidAppend", name, err)
		}
	}
	wantStreamLength(t, store, stream, 0)
}

func testAppendAtomicBatch(t *testing.T, store eventstore.Store) {
	stream := newStream("batch")
	head := mustHead(t, store)
	mustAppend(t, store, stream, eventstore.NoStream(), newEvents(4)...)

	events := readAllOf(t, store, head, 100, stream)
	if len(events) != 4 {
		t.Fatalf("read all found %d events of the batch, want 4", len(events))
	}
	for i, event := range events {
		if event.Revision != eventstore.Revision(i) {
			t.Errorf("event %d: revision %d", i, event.Revision)
		}
		if i > 0 && event.Position <= events[i-1].Position {
			t.Errorf("event %d: position %d after %d", i, event.Position, events[i-1].Position)
		}
	}

	_, err := store.Append(testContext(t), stream, eventstore.Exact(0), newEvents(3)...)
	wantWrongRevision(t, err)
	wantStreamLength(t, store, stream, 4)
}

func testAppendFillsID(t *testing.T, store eventstore.Store) {
	stream := newStream("fillid")
	event := newEvents(1)[0]
	event.ID = ""
	mustAppend(t, store, stream, eventstore.NoStream(), event)
	events := mustReadStream(t, store, stream)
	if _, err := uuid.Parse(events[0].ID); err != nil {
		t.Errorf("stored ID %q is not a UUID: %v", events[0].ID, err)
	}
}

// testConcurrentOneStream races appenders on one revision at a time:
// exactly one of them wins each round.
func testConcurrentOneStream(t *testing.T, store eventstore.Store) {
	const appenders, rounds = 16, 5
	stream := newStream("race")
	mustAppend(t, store, stream, eventstore.NoStream(), newEvents(1)...)
	for round := range rounds {
		expected := eventstore.Exact(eventstore.Revision(round))
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, conflicts := 0, 0
		for range appenders {
			wg.Go(func() {
				_, err := store.Append(testContext(t), stream, expected, newEvents(1)...)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, eventstore.ErrWrongExpectedRevision):
					conflicts++
				default:
					t.Errorf("round %d: append: %v", round, err)
				}
			})
		}
		wg.Wait()
		if wins != 1 || conflicts != appenders-1 {
			t.Fatalf("round %d: %d wins and %d conflicts, want 1 and %d", round, wins, conflicts, appenders-1)
		}
	}
	wantStreamLength(t, store, stream, rounds+1)
}

// testConcurrentManyStreams appends from many goroutines to their own
// streams: every event lands, with unique increasing positions.
func testConcurrentManyStreams(t *testing.T, store eventstore.Store) {
	const appenders, appends = 16, 20
	head := mustHead(t, store)
	streams := make([]string, appenders)
	var wg sync.WaitGroup
	for i := range streams {
		streams[i] = newStream("many")
		wg.Go(func() {
			for j := range appends {
				expected := eventstore.Exact(eventstore.Revision(j - 1))
				if j == 0 {
					expected = eventstore.NoStream()
				}
				if _, err := store.Append(testContext(t), streams[i], expected, newEvents(1)...); err != nil {
					t.Errorf("append %d to %s: %v", j, streams[i], err)
					return
				}
			}
		})
	}
	wg.Wait()

	events := readAllOf(t, store, head, 50, streams...)
	if len(events) != appenders*appends {
		t.Fatalf("read all found %d events, want %d", len(events), appenders*appends)
	}
	next := make(map[string]eventstore.Revision)
	for i, event := range events {
		if i > 0 && event.Position <= events[i-1].Position {
			t.Fatalf("event %d: position %d after %d", i, event.Position, events[i-1].Position)
		}
		if event.Revision != next[event.Stream] {
			t.Fatalf("stream %s: revision %d, want %d", event.Stream, event.Revision, next[event.Stream])
		}
		next[event.Stream]++
	}
}
