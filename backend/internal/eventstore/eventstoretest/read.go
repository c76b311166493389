package eventstoretest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"esimscan/backend/internal/eventstore"
)

// clockSkew allows for a server whose clock differs slightly from the test's.
const clockSkew = 2 * time.Second

func testRevisionsAndPositions(t *testing.T, store eventstore.Store) {
	stream := newStream("revisions")
	result := mustAppend(t, store, stream, eventstore.NoStream(), newEvents(3)...)
	events := mustReadStream(t, store, stream)
	if len(events) != 3 {
		t.Fatalf("read %d events, want 3", len(events))
	}
	for i, event := range events {
		if event.Revision != eventstore.Revision(i) {
			t.Errorf("event %d: revision %d", i, event.Revision)
		}
		if event.Position == 0 {
			t.Errorf("event %d: position 0, which means before the first event", i)
		}
		if i > 0 && event.Position <= events[i-1].Position {
			t.Errorf("event %d: position %d after %d", i, event.Position, events[i-1].Position)
		}
	}
	if result.NextRevision != 2 {
		t.Errorf("NextRevision = %d, want 2", result.NextRevision)
	}
	if result.Position != events[2].Position {
		t.Errorf("result Position = %d, want the last event's %d", result.Position, events[2].Position)
	}
}

func testReadStreamFrom(t *testing.T, store eventstore.Store) {
	stream := newStream("from")
	written := newEvents(3)
	mustAppend(t, store, stream, eventstore.NoStream(), written...)

	events, err := store.ReadStream(testContext(t), stream, 1)
	if err != nil {
		t.Fatalf("read from revision 1: %v", err)
	}
	if len(events) != 2 {
		t.Fatalf("read %d events from revision 1, want 2", len(events))
	}
	if events[0].Revision != 1 || events[0].ID != written[1].ID {
		t.Errorf("first event = revision %d id %s, want revision 1 id %s", events[0].Revision, events[0].ID, written[1].ID)
	}

	events, err = store.ReadStream(testContext(t), stream, 3)
	if err != nil {
		t.Fatalf("read past the end: %v", err)
	}
	if len(events) != 0 {
		t.Errorf("read %d events past the end, want none", len(events))
	}
}

func testReadStreamNotFound(t *testing.T, store eventstore.Store) {
	_, err := store.ReadStream(testContext(t), newStream("missing"), 0)
	if !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Errorf("err = %v, want ErrStreamNotFound", err)
	}
}

func testReadStreamPage(t *testing.T, store eventstore.Store) {
	pages, ok := store.(eventstore.StreamPageReader)
	if !ok {
		t.Fatalf("%T does not implement eventstore.StreamPageReader", store)
	}
	stream := newStream("page")
	written := newEvents(5)
	mustAppend(t, store, stream, eventstore.NoStream(), written...)
	mustAppend(t, store, newStream("other"), eventstore.NoStream(), newEvents(2)...)

	var read []eventstore.RecordedEvent
	for from := eventstore.Revision(0); ; {
		page, err := pages.ReadStreamPage(testContext(t), stream, from, 2)
		if err != nil {
			t.Fatalf("read page from %d: %v", from, err)
		}
		if len(page) > 2 {
			t.Fatalf("page from %d has %d events, limit 2", from, len(page))
		}
		if len(page) == 0 {
			break
		}
		read = append(read, page...)
		from = page[len(page)-1].Revision + 1
	}
	if len(read) != len(written) {
		t.Fatalf("pages held %d events, want %d", len(read), len(written))
	}
	for i, event := range read {
		if event.Revision != eventstore.Revision(i) || event.ID != written[i].ID || event.Stream != stream {
			t.Errorf("event %d = %s/%d id %s, want %s/%d id %s", i, event.Stream, event.Revision, event.ID, stream, i, written[i].ID)
		}
	}
	if _, err := pages.ReadStreamPage(testContext(t), newStream("missing"), 0, 2); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Errorf("missing stream: err = %v, want ErrStreamNotFound", err)
	}
	if _, err := pages.ReadStreamPage(testContext(t), stream, 0, 0); !errors.Is(err, eventstore.ErrInvalidLimit) {
		t.Errorf("limit 0: err = %v, want ErrInvalidLimit", err)
	}
}

func testReadAllPaging(t *testing.T, store eventstore.Store) {
	stream := newStream("paging")
	head := mustHead(t, store)
	written := newEvents(5)
	for _, event := range written {
		mustAppend(t, store, stream, eventstore.Any(), event)
	}

	events := readAllOf(t, store, head, 2, stream)
	if len(events) != len(written) {
		t.Fatalf("paged through %d events, want %d", len(events), len(written))
	}
	for i, event := range events {
		if event.ID != written[i].ID {
			t.Errorf("event %d: id %s, want %s", i, event.ID, written[i].ID)
		}
	}

	page, err := store.ReadAll(testContext(t), events[1].Position, 1)
	if err != nil {
		t.Fatalf("read all after the second event: %v", err)
	}
	if len(page) != 1 || page[0].Position <= events[1].Position {
		t.Errorf("read all after position %d returned %+v", events[1].Position, page)
	}

	last := events[len(events)-1].Position
	if mustHead(t, store) == last {
		page, err := store.ReadAll(testContext(t), last, 10)
		if err != nil {
			t.Fatalf("read all after the last event: %v", err)
		}
		if len(page) != 0 {
			t.Errorf("read all after the last event returned %d events, want none", len(page))
		}
	}
}

func testReadAllInvalidLimit(t *testing.T, store eventstore.Store) {
	for _, limit := range []int{0, -1} {
		_, err := store.ReadAll(testContext(t), 0, limit)
		if !errors.Is(err, eventstore.ErrInvalidLimit) {
			t.Errorf("limit %d: err = %v, want ErrInvalidLimit", limit, err)
		}
	}
}

// testRoundTrip checks that every read path returns the event as written,
// with the same recorded time.
func testRoundTrip(t *testing.T, store eventstore.Store) {
	stream := newStream("roundtrip")
	head := mustHead(t, store)
	written := eventstore.EventData{
		ID:   uuid.NewString(),
		Type: "TestRoundTrip",
		Data: []byte(`{"amount":"12.50","currency":"USD","note":"ü \"quoted\""}`),
		Metadata: eventstore.Metadata{
			ActorID:       "admin-" + uuid.NewString(),
			CorrelationID: uuid.NewString(),
			CausationID:   uuid.NewString(),
			SchemaVersion: 3,
		},
	}
	before := time.Now()
	result := mustAppend(t, store, stream, eventstore.NoStream(), written)
	after := time.Now()

	fromStream := mustReadStream(t, store, stream)[0]
	checkRecorded(t, "read stream", fromStream, stream, written)
	if fromStream.RecordedAt.Before(before.Add(-clockSkew)) || fromStream.RecordedAt.After(after.Add(clockSkew)) {
		t.Errorf("recorded at %s, want between %s and %s", fromStream.RecordedAt, before, after)
	}
	if fromStream.Position != result.Position {
		t.Errorf("read stream: position %d, append returned %d", fromStream.Position, result.Position)
	}

	fromAll := readAllOf(t, store, head, 10, stream)
	if len(fromAll) != 1 {
		t.Fatalf("read all found %d events, want 1", len(fromAll))
	}
	checkRecorded(t, "read all", fromAll[0], stream, written)
	if !fromAll[0].RecordedAt.Equal(fromStream.RecordedAt) {
		t.Errorf("read all: recorded at %s, read stream %s", fromAll[0].RecordedAt, fromStream.RecordedAt)
	}

	sub := subscribe(t, testContext(t), store, head)
	fromSub := nextEvent(t, sub, stream)
	checkRecorded(t, "subscription", fromSub, stream, written)
	if !fromSub.RecordedAt.Equal(fromStream.RecordedAt) {
		t.Errorf("subscription: recorded at %s, read stream %s", fromSub.RecordedAt, fromStream.RecordedAt)
	}
}

func checkRecorded(t *testing.T, path string, got eventstore.RecordedEvent, stream string, want eventstore.EventData) {
	t.Helper()
	if got.ID != want.ID {
		t.Errorf("%s: ID = %s, want %s", path, got.ID, want.ID)
	}
	if got.Type != want.Type {
		t.Errorf("%s: Type = %s, want %s", path, got.Type, want.Type)
	}
	if got.Stream != stream {
		t.Errorf("%s: Stream = %s, want %s", path, got.Stream, stream)
	}
	if !bytes.Equal(got.Data, want.Data) {
		t.Errorf("%s: Data = %s, want %s", path, got.Data, want.Data)
	}
	if got.Metadata != want.Metadata {
		t.Errorf("%s: Metadata = %+v, want %+v", path, got.Metadata, want.Metadata)
	}
}

func testHead(t *testing.T, store eventstore.Store) {
	before := mustHead(t, store)
	result := mustAppend(t, store, newStream("head"), eventstore.NoStream(), newEvents(2)...)
	head := mustHead(t, store)
	if head < result.Position {
		t.Errorf("head = %d, want at least the appended position %d", head, result.Position)
	}
	if head <= before {
		t.Errorf("head = %d after an append, was %d", head, before)
	}
}
