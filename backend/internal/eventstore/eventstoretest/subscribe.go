package eventstoretest

import (
	"context"
	"errors"
	"testing"

	"esimscan/backend/internal/eventstore"
)

// testSubscribeOneEventFromStart guards against subscriptions that skip the
// first event of a fresh store: from position 0 the first delivered event
// must be the first event of the log.
func testSubscribeOneEventFromStart(t *testing.T, store eventstore.Store) {
	stream := newStream("first")
	written := newEvents(1)[0]
	mustAppend(t, store, stream, eventstore.NoStream(), written)

	first, err := store.ReadAll(testContext(t), 0, 1)
	if err != nil {
		t.Fatalf("read the first event: %v", err)
	}
	if len(first) != 1 {
		t.Fatalf("read all from 0 returned %d events, want 1", len(first))
	}

	sub := subscribe(t, testContext(t), store, 0)
	got := nextEvent(t, sub)
	if got.ID != first[0].ID || got.Position != first[0].Position {
		t.Errorf("first delivered event = %s at %d, want %s at %d", got.ID, got.Position, first[0].ID, first[0].Position)
	}
	if got.Stream != stream {
		// A shared store holds older events: ours still has to arrive.
		got = nextEvent(t, sub, stream)
	}
	if got.ID != written.ID {
		t.Errorf("delivered %s, want the appended event %s", got.ID, written.ID)
	}
}

func testSubscribeCatchUpThenLive(t *testing.T, store eventstore.Store) {
	stream := newStream("live")
	head := mustHead(t, store)
	old := newEvents(3)
	mustAppend(t, store, stream, eventstore.NoStream(), old...)

	sub := subscribe(t, testContext(t), store, head)
	for i, want := range old {
		if got := nextEvent(t, sub, stream); got.ID != want.ID {
			t.Fatalf("catch-up event %d = %s, want %s", i, got.ID, want.ID)
		}
	}

	for i, want := range newEvents(3) {
		mustAppend(t, store, stream, eventstore.Exact(eventstore.Revision(len(old)+i-1)), want)
		got := nextEvent(t, sub, stream)
		if got.ID != want.ID {
			t.Fatalf("live event %d = %s, want %s", i, got.ID, want.ID)
		}
		if got.Revision != eventstore.Revision(len(old)+i) {
			t.Errorf("live event %d: revision %d", i, got.Revision)
		}
	}
}

func testSubscribeFromMiddle(t *testing.T, store eventstore.Store) {
	stream := newStream("middle")
	head := mustHead(t, store)
	mustAppend(t, store, stream, eventstore.NoStream(), newEvents(5)...)
	events := readAllOf(t, store, head, 10, stream)
	if len(events) != 5 {
		t.Fatalf("read all found %d events, want 5", len(events))
	}

	sub := subscribe(t, testContext(t), store, events[1].Position)
	for _, want := range events[2:] {
		got := nextEvent(t, sub, stream)
		if got.ID != want.ID || got.Position != want.Position {
			t.Fatalf("delivered %s at %d, want %s at %d", got.ID, got.Position, want.ID, want.Position)
		}
	}
}

func testSubscribeClosedMidStream(t *testing.T, store eventstore.Store) {
	stream := newStream("closed")
	head := mustHead(t, store)
	mustAppend(t, store, stream, eventstore.NoStream(), newEvents(10)...)

	sub := subscribe(t, testContext(t), store, head)
	for range 3 {
		nextEvent(t, sub, stream)
	}
	if err := sub.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	waitEnded(t, sub)
	if err := sub.Err(); err != nil {
		t.Errorf("Err after Close = %v, want nil", err)
	}
	if err := sub.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}

func testSubscribeContextCanceled(t *testing.T, store eventstore.Store) {
	ctx, cancel := context.WithCancel(testContext(t))
	sub := subscribe(t, ctx, store, mustHead(t, store))
	cancel()
	waitEnded(t, sub)
	if err := sub.Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("Err after cancel = %v, want context.Canceled", err)
	}
}

func testCloseEndsSubscriptions(t *testing.T, store eventstore.Store) {
	sub := subscribe(t, testContext(t), store, mustHead(t, store))
	if err := store.Close(); err != nil {
		t.Fatalf("close store: %v", err)
	}
	waitEnded(t, sub)
	if err := sub.Err(); !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("Err after store close = %v, want ErrClosed", err)
	}
	_, err := store.Append(testContext(t), newStream("closed"), eventstore.Any(), newEvents(1)...)
	if !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("append after close: err = %v, want ErrClosed", err)
	}
}
