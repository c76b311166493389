package filestore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"time"

	"esimscan/backend/internal/eventstore"
)

// The log file starts with fileMagic, then holds one frame per append:
//
//	payload length  uint32, little endian
//	payload CRC     uint32, CRC-32C of the payload
//	header CRC      uint32, CRC-32C of the 8 bytes above
//	payload         frameKindAppend, uvarint event count, then per event
//	                a uvarint length and the encoded event
//
// The header has its own checksum so that a damaged length field is detected
// as corruption instead of looking like a frame that runs past the end of
// the file, which would be truncated as a torn tail.
const (
	fileMagic       = "esimlog\x01"
	frameHeaderSize = 12
	frameKindAppend = 1

	// maxPayloadSize bounds one append. A header claiming more is corrupt.
	maxPayloadSize = 64 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var errMalformed = errors.New("malformed record")

// eventHeader is the part of an encoded event that the index needs.
type eventHeader struct {
	position eventstore.Position
	revision eventstore.Revision
	stream   string
}

// frameEvents are the events of one append as appendFrame encodes them:
// all of stream, from revision first and log position position on, recorded
// at recordedAt.
type frameEvents struct {
	stream     string
	first      eventstore.Revision
	position   eventstore.Position
	recordedAt time.Time
	events     []eventstore.EventData
}

// recorded returns event i of f as it is stored.
func (f *frameEvents) recorded(i int) eventstore.RecordedEvent {
	data := &f.events[i]
	return eventstore.RecordedEvent{
		ID:         data.ID,
		Type:       data.Type,
		Stream:     f.stream,
		Revision:   f.first + eventstore.Revision(i),
		Position:   f.position + eventstore.Position(i),
		RecordedAt: f.recordedAt,
		Data:       data.Data,
		Metadata:   data.Metadata,
	}
}

// appendFrame appends a frame holding the events of f to buf and returns
// where each event lies in the frame's payload. It measures the frame
// first, so buf grows at most once and an append over the size limit
// leaves buf as it was. Events are encoded straight into buf.
func appendFrame(buf []byte, f *frameEvents) ([]byte, []frameEvent, error) {
	sizes := make([]frameEvent, len(f.events))
	payloadSize := 1 + uvarintLen(uint64(len(f.events)))
	for i := range f.events {
		event := f.recorded(i)
		size := encodedSize(&event)
		sizes[i].size = size
		payloadSize += uvarintLen(uint64(size)) + size
		if payloadSize > maxPayloadSize {
			break
		}
	}
	if payloadSize > maxPayloadSize {
		return buf, nil, fmt.Errorf(
			"%w: more than %d bytes encoded, the limit is %d bytes per append",
			eventstore.ErrInvalidAppend, maxPayloadSize, maxPayloadSize,
		)
	}

	start := len(buf)
	buf = slices.Grow(buf, frameHeaderSize+payloadSize)
	buf = append(buf, make([]byte, frameHeaderSize)...)
	payloadStart := len(buf)
	buf = append(buf, frameKindAppend)
	buf = binary.AppendUvarint(buf, uint64(len(f.events)))
	for i := range f.events {
		event := f.recorded(i)
		buf = binary.AppendUvarint(buf, uint64(sizes[i].size))
		sizes[i].offset = len(buf) - payloadStart
		buf = encodeEvent(buf, &event)
	}
	header := buf[start : start+frameHeaderSize]
	binary.LittleEndian.PutUint32(header[0:4], uint32(payloadSize))
	binary.LittleEndian.PutUint32(header[4:8], crc32.Checksum(buf[payloadStart:], castagnoli))
	binary.LittleEndian.PutUint32(header[8:12], crc32.Checksum(header[0:8], castagnoli))
	return buf, sizes, nil
}

// encodedSize returns the length of encodeEvent's encoding of event.
func encodedSize(event *eventstore.RecordedEvent) int {
	return uvarintLen(uint64(event.Position)) +
		uvarintLen(uint64(event.Revision)) +
		stringLen(event.Stream) +
		varintLen(event.RecordedAt.UnixNano()) +
		stringLen(event.ID) +
		stringLen(event.Type) +
		stringLen(event.Metadata.ActorID) +
		stringLen(event.Metadata.CorrelationID) +
		stringLen(event.Metadata.CausationID) +
		varintLen(int64(event.Metadata.SchemaVersion)) +
		uvarintLen(uint64(len(event.Data))) + len(event.Data)
}

func stringLen(s string) int { return uvarintLen(uint64(len(s))) + len(s) }

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func varintLen(v int64) int {
	// The zigzag mapping of binary.AppendVarint.
	u := uint64(v) << 1
	if v < 0 {
		u = ^u
	}
	return uvarintLen(u)
}

// frameEvent locates one encoded event inside a frame's payload.
type frameEvent struct {
	offset int // from the start of the payload
	size   int
}

// splitPayload returns the location of each encoded event in payload.
func splitPayload(payload []byte) ([]frameEvent, error) {
	if len(payload) == 0 || payload[0] != frameKindAppend {
		return nil, fmt.Errorf("%w: unknown frame kind", errMalformed)
	}
	count, n := binary.Uvarint(payload[1:])
	if n <= 0 || count > uint64(len(payload)) {
		return nil, fmt.Errorf("%w: bad event count", errMalformed)
	}
	offset := 1 + n
	events := make([]frameEvent, 0, count)
	for range count {
		size, n := binary.Uvarint(payload[offset:])
		if n <= 0 || size > uint64(len(payload)-offset-n) {
			return nil, fmt.Errorf("%w: bad event length", errMalformed)
		}
		offset += n
		events = append(events, frameEvent{offset: offset, size: int(size)})
		offset += int(size)
	}
	if offset != len(payload) {
		return nil, fmt.Errorf("%w: %d trailing bytes", errMalformed, len(payload)-offset)
	}
	return events, nil
}

// encodeEvent appends the encoding of event to buf.
func encodeEvent(buf []byte, event *eventstore.RecordedEvent) []byte {
	buf = binary.AppendUvarint(buf, uint64(event.Position))
	buf = binary.AppendUvarint(buf, uint64(event.Revision))
	buf = appendString(buf, event.Stream)
	buf = binary.AppendVarint(buf, event.RecordedAt.UnixNano())
	buf = appendString(buf, event.ID)
	buf = appendString(buf, event.Type)
	buf = appendString(buf, event.Metadata.ActorID)
	buf = appendString(buf, event.Metadata.CorrelationID)
	buf = appendString(buf, event.Metadata.CausationID)
	buf = binary.AppendVarint(buf, int64(event.Metadata.SchemaVersion))
	buf = binary.AppendUvarint(buf, uint64(len(event.Data)))
	return append(buf, event.Data...)
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// decoder reads the fields of one encoded event in order. The first error
// sticks, so callers check it once at the end.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.err = fmt.Errorf("%w: bad varint", errMalformed)
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.buf)
	if n <= 0 {
		d.err = fmt.Errorf("%w: bad varint", errMalformed)
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) bytes() []byte {
	size := d.uvarint()
	if d.err != nil {
		return nil
	}
	if size > uint64(len(d.buf)) {
		d.err = fmt.Errorf("%w: field runs past the event", errMalformed)
		return nil
	}
	v := d.buf[:size]
	d.buf = d.buf[size:]
	return v
}

func decodeEventHeader(encoded []byte) (eventHeader, error) {
	d := decoder{buf: encoded}
	header := eventHeader{
		position: eventstore.Position(d.uvarint()),
		revision: eventstore.Revision(d.uvarint()),
		stream:   string(d.bytes()),
	}
	return header, d.err
}

// decodeEvent decodes an event. The result shares no memory with encoded.
func decodeEvent(encoded []byte) (eventstore.RecordedEvent, error) {
	d := decoder{buf: encoded}
	event := eventstore.RecordedEvent{
		Position:   eventstore.Position(d.uvarint()),
		Revision:   eventstore.Revision(d.uvarint()),
		Stream:     string(d.bytes()),
		RecordedAt: time.Unix(0, d.varint()).UTC(),
		ID:         string(d.bytes()),
		Type:       string(d.bytes()),
	}
	event.Metadata.ActorID = string(d.bytes())
	event.Metadata.CorrelationID = string(d.bytes())
	event.Metadata.CausationID = string(d.bytes())
	event.Metadata.SchemaVersion = int(d.varint())
	event.Data = append([]byte(nil), d.bytes()...)
	if d.err == nil && len(d.buf) != 0 {
		d.err = fmt.Errorf("%w: %d trailing bytes", errMalformed, len(d.buf))
	}
	return event, d.err
}
