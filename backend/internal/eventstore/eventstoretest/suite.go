// Package eventstoretest is the contract suite that every eventstore.Store
// implementation runs, so that the embedded store and EventStoreDB behave
// the same for callers.
//
// The suite works on a store that already holds events, such as a shared
// EventStoreDB: each test writes to streams with unique names and compares
// positions relative to the head it saw first. Tests that count events in the
// whole log need that nothing else writes to the store while the suite runs.
package eventstoretest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"esimscan/backend/internal/eventstore"
)

// waitTimeout bounds every wait for an event or the end of a subscription.
const waitTimeout = 10 * time.Second

// Run runs the contract suite. newStore returns an open store for one test
// and registers its cleanup with t. A test may close the store itself, so
// Close must be safe to call twice.
func Run(t *testing.T, newStore func(t *testing.T) eventstore.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, store eventstore.Store)
	}{
		{"Append/Any", testAppendAny},
		{"Append/NoStream", testAppendNoStream},
		{"Append/Exact", testAppendExact},
		{"Append/empty", testAppendEmpty},
		{"Append/invalid", testAppendInvalid},
		{"Append/atomic batch", testAppendAtomicBatch},
		{"Append/fills empty ID", testAppendFillsID},
		{"Append/concurrent one stream", testConcurrentOneStream},
		{"Append/concurrent many streams", testConcurrentManyStreams},
		{"ReadStream/revisions and positions", testRevisionsAndPositions},
		{"ReadStream/from revision", testReadStreamFrom},
		{"ReadStream/not found", testReadStreamNotFound},
		{"ReadStreamPage/pages", testReadStreamPage},
		{"ReadAll/paging", testReadAllPaging},
		{"ReadAll/invalid limit", testReadAllInvalidLimit},
		{"RoundTrip/metadata and time", testRoundTrip},
		{"Head", testHead},
		{"Subscribe/one event from start", testSubscribeOneEventFromStart},
		{"Subscribe/catch-up then live", testSubscribeCatchUpThenLive},
		{"Subscribe/from middle", testSubscribeFromMiddle},
		{"Subscribe/closed mid-stream", testSubscribeClosedMidStream},
		{"Subscribe/context canceled", testSubscribeContextCanceled},
		{"Close/ends subscriptions", testCloseEndsSubscriptions},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newStore(t))
		})
	}
}

// newStream returns a stream name no other test uses.
func newStream(prefix string) string {
	return fmt.Sprintf("%s-%s", prefix, strings.ReplaceAll(uuid.NewString(), "-", ""))
}

// newEvents returns n events of type TestEvent whose data carries their
// index, with fresh IDs.
func newEvents(n int) []eventstore.EventData {
	events := make([]eventstore.EventData, n)
	for i := range events {
		events[i] = eventstore.EventData{
			ID:       uuid.NewString(),
			Type:     "TestEvent",
			Data:     fmt.Appendf(nil, `{"n":%d}`, i),
			Metadata: eventstore.Metadata{ActorID: "system", SchemaVersion: 1},
		}
	}
	return events
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 4*waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

func mustAppend(
	t *testing.T,
	store eventstore.Store,
	stream string,
	expected eventstore.ExpectedRevision,
	events ...eventstore.EventData,
) eventstore.AppendResult {
	t.Helper()
	result, err := store.Append(testContext(t), stream, expected, events...)
	if err != nil {
		t.Fatalf("append %d events to %s: %v", len(events), stream, err)
	}
	return result
}

func mustReadStream(t *testing.T, store eventstore.Store, stream string) []eventstore.RecordedEvent {
	t.Helper()
	events, err := store.ReadStream(testContext(t), stream, 0)
	if err != nil {
		t.Fatalf("read stream %s: %v", stream, err)
	}
	return events
}

func mustHead(t *testing.T, store eventstore.Store) eventstore.Position {
	t.Helper()
	head, err := store.Head(testContext(t))
	if err != nil {
		t.Fatalf("head: %v", err)
	}
	return head
}

func wantWrongRevision(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, eventstore.ErrWrongExpectedRevision) {
		t.Fatalf("err = %v, want ErrWrongExpectedRevision", err)
	}
}

// wantStreamLength checks that stream has n events, where 0 means that it
// is not found.
func wantStreamLength(t *testing.T, store eventstore.Store, stream string, n int) {
	t.Helper()
	events, err := store.ReadStream(testContext(t), stream, 0)
	if n == 0 {
		if !errors.Is(err, eventstore.ErrStreamNotFound) {
			t.Fatalf("read stream %s: err = %v with %d events, want ErrStreamNotFound", stream, err, len(events))
		}
		return
	}
	if err != nil {
		t.Fatalf("read stream %s: %v", stream, err)
	}
	if len(events) != n {
		t.Fatalf("stream %s has %d events, want %d", stream, len(events), n)
	}
}

// readAllOf pages through the log after position after and returns the
// events of the given streams, in log order.
func readAllOf(
	t *testing.T,
	store eventstore.Store,
	after eventstore.Position,
	limit int,
	streams ...string,
) []eventstore.RecordedEvent {
	t.Helper()
	wanted := make(map[string]bool, len(streams))
	for _, stream := range streams {
		wanted[stream] = true
	}
	var found []eventstore.RecordedEvent
	for {
		page, err := store.ReadAll(testContext(t), after, limit)
		if err != nil {
			t.Fatalf("read all after %d: %v", after, err)
		}
		if len(page) > limit {
			t.Fatalf("read all after %d with limit %d returned %d events", after, limit, len(page))
		}
		if len(page) == 0 {
			return found
		}
		for _, event := range page {
			if event.Position <= after {
				t.Fatalf("read all after %d returned position %d", after, event.Position)
			}
			after = event.Position
			if wanted[event.Stream] {
				found = append(found, event)
			}
		}
	}
}

// nextEvent returns the next event of sub that belongs to one of streams,
// skipping others, and fails when none arrives in time.
func nextEvent(t *testing.T, sub eventstore.Subscription, streams ...string) eventstore.RecordedEvent {
	t.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	for {
		select {
		case event, ok := <-sub.Events():
			if !ok {
				t.Fatalf("subscription ended early: %v", sub.Err())
			}
			if len(streams) == 0 || contains(streams, event.Stream) {
				return event
			}
		case <-timer.C:
			t.Fatalf("no event of %v within %s", streams, waitTimeout)
		}
	}
}

// waitEnded drains sub until its channel closes and fails if that takes
// longer than waitTimeout.
func waitEnded(t *testing.T, sub eventstore.Subscription) {
	t.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	for {
		select {
		case _, ok := <-sub.Events():
			if !ok {
				return
			}
		case <-timer.C:
			t.Fatalf("subscription still open %s after it should have ended", waitTimeout)
		}
	}
}

func contains(list []string, s string) bool {
	for _, item := range list {
		if item == s {
			return true
		}
	}
	return false
}

func subscribe(
	t *testing.T,
	ctx context.Context,
	store eventstore.Store,
	after eventstore.Position,
) eventstore.Subscription {
	t.Helper()
	sub, err := store.SubscribeAll(ctx, after)
	if err != nil {
		t.Fatalf("subscribe after %d: %v", after, err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	return sub
}
