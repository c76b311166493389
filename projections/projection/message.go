package projection

import (
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// NewMessage encodes ev as the Watermill message a Source delivers: the
// UUID is the event id, the payload the event data, and every other field
// goes into metadata under the Meta* keys.
func NewMessage(ev Event) *message.Message {
	msg := message.NewMessage(ev.ID, ev.Data)
	msg.Metadata.Set(MetaEventType, ev.Type)
	msg.Metadata.Set(MetaStream, ev.Stream)
	msg.Metadata.Set(MetaRevision, strconv.FormatUint(ev.Revision, 10))
	msg.Metadata.Set(MetaPosition, strconv.FormatUint(ev.Position, 10))
	msg.Metadata.Set(MetaRecordedAt, ev.RecordedAt.UTC().Format(time.RFC3339Nano))
	msg.Metadata.Set(MetaActorID, ev.ActorID)
	msg.Metadata.Set(MetaCorrelationID, ev.CorrelationID)
	msg.Metadata.Set(MetaCausationID, ev.CausationID)
	msg.Metadata.Set(MetaSchemaVersion, strconv.Itoa(ev.SchemaVersion))
	return msg
}

// DecodeMessage reads the Event that NewMessage encoded. It returns an error
// naming the metadata key when the position is missing or a number or time
// does not parse. Revision, recorded_at and schema_version may be absent.
func DecodeMessage(msg *message.Message) (Event, error) {
	ev := Event{
		ID:            msg.UUID,
		Type:          msg.Metadata.Get(MetaEventType),
		Stream:        msg.Metadata.Get(MetaStream),
		Data:          msg.Payload,
		ActorID:       msg.Metadata.Get(MetaActorID),
		CorrelationID: msg.Metadata.Get(MetaCorrelationID),
		CausationID:   msg.Metadata.Get(MetaCausationID),
	}

	position := msg.Metadata.Get(MetaPosition)
	if position == "" {
		return Event{}, fmt.Errorf("decode message %s: missing metadata %s", msg.UUID, MetaPosition)
	}
	var err error
	if ev.Position, err = strconv.ParseUint(position, 10, 64); err != nil {
		return Event{}, fmt.Errorf("decode message %s: metadata %s: %w", msg.UUID, MetaPosition, err)
	}

	if v := msg.Metadata.Get(MetaRevision); v != "" {
		if ev.Revision, err = strconv.ParseUint(v, 10, 64); err != nil {
			return Event{}, fmt.Errorf("decode message %s: metadata %s: %w", msg.UUID, MetaRevision, err)
		}
	}
	if v := msg.Metadata.Get(MetaRecordedAt); v != "" {
		if ev.RecordedAt, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return Event{}, fmt.Errorf("decode message %s: metadata %s: %w", msg.UUID, MetaRecordedAt, err)
		}
	}
	if v := msg.Metadata.Get(MetaSchemaVersion); v != "" {
		if ev.SchemaVersion, err = strconv.Atoi(v); err != nil {
			return Event{}, fmt.Errorf("decode message %s: metadata %s: %w", msg.UUID, MetaSchemaVersion, err)
		}
	}
	return ev, nil
}
