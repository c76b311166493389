package filestore

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"esimscan/backend/internal/eventstore"
)

// TestStore_largeAppendThenSmallOnes writes one append larger than the
// buffer the writer keeps, then small ones, and reads all of them back
// before and after a reopen.
func TestStore_largeAppendThenSmallOnes(t *testing.T) {
	dir := t.TempDir()
	store := openTestStore(t, dir, Options{NoSync: true})
	ctx := context.Background()
	large := make([]eventstore.EventData, 20_000)
	for i := range large {
		large[i] = testEvent(i)
		large[i].Data = fmt.Appendf(nil, `{"n":%d,"pad":"%0100d"}`, i, i)
	}
	result, err := store.Append(ctx, "large", eventstore.NoStream(), large...)
	if err != nil {
		t.Fatalf("large append: %v", err)
	}
	if result.NextRevision != 19_999 || result.Position != 20_000 {
		t.Fatalf("result = %+v, want revision 19999 at position 20000", result)
	}
	appendN(t, store, "small", 3)

	check := func(store *Store) {
		t.Helper()
		events, err := store.ReadStream(ctx, "large", 0)
		if err != nil {
			t.Fatalf("read large: %v", err)
		}
		if len(events) != len(large) {
			t.Fatalf("read %d events, want %d", len(events), len(large))
		}
		for i, event := range events {
			if event.ID != large[i].ID || !bytes.Equal(event.Data, large[i].Data) ||
				event.Revision != eventstore.Revision(i) || event.Position != eventstore.Position(i+1) {
				t.Fatalf("event %d = %s rev %d pos %d, want %s", i, event.Data, event.Revision, event.Position, large[i].Data)
			}
		}
		small, err := store.ReadStream(ctx, "small", 0)
		if err != nil {
			t.Fatalf("read small: %v", err)
		}
		if len(small) != 3 || small[2].Position != 20_003 || string(small[2].Data) != `{"n":2}` {
			t.Fatalf("small stream = %d events, last %+v", len(small), small[len(small)-1])
		}
	}
	check(store)
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	check(openTestStore(t, dir, Options{NoSync: true}))
}

func TestEncodedSize_matchesEncoding(t *testing.T) {
	events := []eventstore.RecordedEvent{
		{},
		{Position: 1<<63 + 5, Revision: 127, Stream: "s", RecordedAt: time.Unix(0, -1), ID: "id", Type: "T",
			Metadata: eventstore.Metadata{ActorID: "a", SchemaVersion: -300}, Data: []byte(`{}`)},
		{Position: 128, Revision: 1 << 40, RecordedAt: time.Unix(1_800_000_000, 5), Data: bytes.Repeat([]byte("x"), 300)},
	}
	for i := range events {
		if got, want := encodedSize(&events[i]), len(encodeEvent(nil, &events[i])); got != want {
			t.Errorf("event %d: encodedSize = %d, encoding has %d bytes", i, got, want)
		}
	}
}
