package projection_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"esimscan/projections/projection"
)

func TestDecodeMessage_roundTrip(t *testing.T) {
	want := projection.Event{
		ID:            "0b7e6d8c-1f0a-4c43-9d61-5a3c1f0e2b11",
		Type:          "OrderPaid",
		Stream:        "order-42",
		Revision:      3,
		Position:      1017,
		RecordedAt:    time.Date(2025, 3, 4, 5, 6, 7, 891011121, time.UTC),
		Data:          []byte(`{"order_id":"42"}`),
		ActorID:       "customer:9",
		CorrelationID: "corr-1",
		CausationID:   "cause-1",
		SchemaVersion: 1,
	}

	got, err := projection.DecodeMessage(projection.NewMessage(want))
	if err != nil {
		t.Fatalf("DecodeMessage: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip = %+v, want %+v", got, want)
	}
}

func TestDecodeMessage_rejectsBadMetadata(t *testing.T) {
	tests := []struct {
		name    string
		key     string
		value   string
		wantErr string
	}{
		{"missing position", projection.MetaPosition, "", "missing metadata position"},
		{"bad position", projection.MetaPosition, "x", "metadata position"},
		{"bad revision", projection.MetaRevision, "-1", "metadata revision"},
		{"bad recorded_at", projection.MetaRecordedAt, "yesterday", "metadata recorded_at"},
		{"bad schema_version", projection.MetaSchemaVersion, "v1", "metadata schema_version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := projection.NewMessage(projection.Event{ID: "e1", Position: 1, RecordedAt: time.Now()})
			msg.Metadata.Set(tt.key, tt.value)
			_, err := projection.DecodeMessage(msg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("DecodeMessage = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}
