package memstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/eventstore/eventstoretest"
	"esimscan/backend/internal/eventstore/memstore"
)

func TestStore_Contract(t *testing.T) {
	eventstoretest.Run(t, func(t *testing.T) eventstore.Store {
		store := memstore.New()
		t.Cleanup(func() { _ = store.Close() })
		return store
	})
}

func event(eventType string) eventstore.EventData {
	return eventstore.EventData{Type: eventType, Data: []byte(`{}`)}
}

func TestStore_appendErrorWritesNothing(t *testing.T) {
	diskFull := errors.New("disk full")
	store := memstore.New(memstore.WithAppendError(diskFull))
	_, err := store.Append(context.Background(), "s-1", eventstore.Any(), event("A"))
	if !errors.Is(err, diskFull) {
		t.Fatalf("append: err = %v, want %v", err, diskFull)
	}
	if n := len(store.All()); n != 0 {
		t.Fatalf("log holds %d events after a failed append, want 0", n)
	}

	store.SetAppendError(nil)
	if _, err := store.Append(context.Background(), "s-1", eventstore.Any(), event("A")); err != nil {
		t.Fatalf("append after clearing the error: %v", err)
	}
}

func TestStore_beforeAppendRunsFirst(t *testing.T) {
	var seen []string
	store := memstore.New(memstore.WithBeforeAppend(func(stream string) { seen = append(seen, stream) }))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := store.Append(ctx, "s-2", eventstore.Any(), event("A"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("append with a canceled context: err = %v, want context.Canceled", err)
	}
	if len(seen) != 1 || seen[0] != "s-2" {
		t.Fatalf("hook saw %v, want [s-2]", seen)
	}

	store.SetBeforeAppend(nil)
	if _, err := store.Append(context.Background(), "s-2", eventstore.Any(), event("A")); err != nil {
		t.Fatalf("append: %v", err)
	}
	if len(seen) != 1 {
		t.Fatalf("removed hook still ran: %v", seen)
	}
}

func TestStore_inspection(t *testing.T) {
	store := memstore.New()
	changed := store.Changed()
	if _, err := store.Append(context.Background(), "s-3", eventstore.NoStream(), event("A"), event("B")); err != nil {
		t.Fatalf("append: %v", err)
	}
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("Changed was not closed by the append within 10s")
	}
	if _, err := store.Append(context.Background(), "s-4", eventstore.NoStream(), event("C")); err != nil {
		t.Fatalf("append: %v", err)
	}
	if got := store.Types("s-3"); len(got) != 2 || got[0] != "A" || got[1] != "B" {
		t.Errorf("Types(s-3) = %v, want [A B]", got)
	}
	if got := store.Stream("missing"); got != nil {
		t.Errorf("Stream(missing) = %v, want nil", got)
	}
	if got := store.All(); len(got) != 3 || got[2].Stream != "s-4" || got[2].Position != 3 {
		t.Errorf("All() = %+v, want three events ending with s-4 at position 3", got)
	}
}
