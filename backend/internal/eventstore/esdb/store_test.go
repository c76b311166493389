package esdb

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/eventstore/eventstoretest"
)

// TestStore_contract runs the contract suite against the EventStoreDB that
// EVENTSTORE_URL names, for example esdb://127.0.0.1:2113?tls=false.
func TestStore_contract(t *testing.T) {
	url := os.Getenv("EVENTSTORE_URL")
	if url == "" {
		t.Skip("EVENTSTORE_URL is not set; see docs/eventstoredb.md to run this against a real EventStoreDB")
	}
	eventstoretest.Run(t, func(t *testing.T) eventstore.Store {
		store, err := Open(url)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { _ = store.Close() })
		return store
	})
}

func TestOpen_invalidURLHidesPassword(t *testing.T) {
	_, err := Open("esdb://admin:s3cret@127.0.0.1:2113?tls=maybe")
	if err == nil {
		t.Fatal("open succeeded")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error %q contains the password", err)
	}
}

func TestToExpectedRevision(t *testing.T) {
	if _, ok := toExpectedRevision(eventstore.Any()).(esdbclient.Any); !ok {
		t.Error("Any does not map to esdb.Any")
	}
	if _, ok := toExpectedRevision(eventstore.NoStream()).(esdbclient.NoStream); !ok {
		t.Error("NoStream does not map to esdb.NoStream")
	}
	exact, ok := toExpectedRevision(eventstore.Exact(7)).(esdbclient.StreamRevision)
	if !ok || exact.Value != 7 {
		t.Errorf("Exact(7) maps to %#v", exact)
	}
}

func TestAllPosition(t *testing.T) {
	if _, ok := allPosition(0).(esdbclient.Start); !ok {
		t.Error("position 0 does not map to the start of $all")
	}
	position, ok := allPosition(42).(esdbclient.Position)
	if !ok || position.Commit != 42 || position.Prepare != 42 {
		t.Errorf("position 42 maps to %#v", position)
	}
}

func TestEventConversion_roundTrip(t *testing.T) {
	written := eventstore.EventData{
		ID:   uuid.NewString(),
		Type: "OrderPaid",
		Data: []byte(`{"order_id":"o1"}`),
		Metadata: eventstore.Metadata{
			ActorID:       "customer:c1",
			CorrelationID: "corr",
			CausationID:   "cause",
			SchemaVersion: 1,
		},
	}
	proposed, err := toEventData(written)
	if err != nil {
		t.Fatal(err)
	}
	if proposed.ContentType != esdbclient.ContentTypeJson {
		t.Errorf("content type = %v, want JSON", proposed.ContentType)
	}
	var metadata map[string]any
	if err := json.Unmarshal(proposed.Metadata, &metadata); err != nil {
		t.Fatalf("user metadata is not JSON: %v", err)
	}
	if metadata["actor_id"] != "customer:c1" {
		t.Errorf("user metadata = %s", proposed.Metadata)
	}

	created := time.Date(2026, 3, 1, 12, 0, 0, 123456700, time.UTC)
	recorded, err := toRecordedEvent(&esdbclient.RecordedEvent{
		EventID:      proposed.EventID,
		EventType:    proposed.EventType,
		StreamID:     "order-o1",
		EventNumber:  4,
		Position:     esdbclient.Position{Commit: 9000, Prepare: 9000},
		CreatedDate:  created,
		Data:         proposed.Data,
		UserMetadata: proposed.Metadata,
	})
	if err != nil {
		t.Fatal(err)
	}
	if recorded.ID != written.ID || recorded.Type != written.Type || string(recorded.Data) != string(written.Data) {
		t.Errorf("recorded = %+v, want the written event", recorded)
	}
	if recorded.Metadata != written.Metadata {
		t.Errorf("metadata = %+v, want %+v", recorded.Metadata, written.Metadata)
	}
	if recorded.Stream != "order-o1" || recorded.Revision != 4 || recorded.Position != 9000 {
		t.Errorf("stream, revision, position = %s %d %d", recorded.Stream, recorded.Revision, recorded.Position)
	}
	if !recorded.RecordedAt.Equal(created) {
		t.Errorf("recorded at = %s, want %s", recorded.RecordedAt, created)
	}
}

func TestEventConversion_badMetadata(t *testing.T) {
	_, err := toRecordedEvent(&esdbclient.RecordedEvent{EventType: "OrderPaid", UserMetadata: []byte("{")})
	if err == nil {
		t.Error("conversion accepted metadata that is not JSON")
	}
}

func TestIsSystemEvent(t *testing.T) {
	cases := []struct {
		stream, eventType string
		want              bool
	}{
		{"order-1", "OrderPaid", false},
		{"order-1", "$metadata", true},
		{"$stats-127.0.0.1:2113", "$statsCollected", true},
		{"$$order-1", "$metadata", true},
		{"$ce-order", "$>", true},
	}
	for _, tc := range cases {
		got := isSystemEvent(&esdbclient.RecordedEvent{StreamID: tc.stream, EventType: tc.eventType})
		if got != tc.want {
			t.Errorf("isSystemEvent(%s, %s) = %v, want %v", tc.stream, tc.eventType, got, tc.want)
		}
	}
}
