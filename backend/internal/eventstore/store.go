// Package eventstore defines the event log that is esimScan's only source of
// truth, and the contract every implementation of it meets.
//
// Two implementations exist: filestore, a durable single-file log used by the
// embedded default, and esdb, an adapter for EventStoreDB. Both pass the
// contract suite in package eventstoretest.
package eventstore

import (
	"context"
	"errors"
	"time"
)

// Position is an event's place in the whole log. Positions grow strictly in
// log order. In the embedded store they are dense and start at 1; in
// EventStoreDB they are commit positions and may have gaps. Position 0 means
// "before the first event", so a projector with checkpoint 0 has applied
// nothing.
type Position uint64

// Revision is an event's place in its stream, starting at 0.
type Revision uint64

// ErrWrongExpectedRevision reports an append whose expected revision did not
// match the stream. Callers reload the stream and decide again, or report a
// conflict (HTTP 409) to the user.
var ErrWrongExpectedRevision = errors.New("wrong expected revision")

// ErrStreamNotFound reports a read of a stream that has no events.
var ErrStreamNotFound = errors.New("stream not found")

// ErrClosed reports a call on a store or subscription that was closed.
var ErrClosed = errors.New("event store closed")

type expectationKind uint8

const (
	expectAny expectationKind = iota
	expectNoStream
	expectExact
)

// ExpectedRevision is the optimistic concurrency check of an append.
type ExpectedRevision struct {
	kind     expectationKind
	revision Revision
}

// Any accepts the append whatever the stream's state.
func Any() ExpectedRevision { return ExpectedRevision{kind: expectAny} }

// NoStream accepts the append only when the stream has no events yet.
func NoStream() ExpectedRevision { return ExpectedRevision{kind: expectNoStream} }

// Exact accepts the append only when the stream's last event has revision r.
func Exact(r Revision) ExpectedRevision { return ExpectedRevision{kind: expectExact, revision: r} }

// IsAny reports whether e accepts any stream state.
func (e ExpectedRevision) IsAny() bool { return e.kind == expectAny }

// IsNoStream reports whether e requires an empty stream.
func (e ExpectedRevision) IsNoStream() bool { return e.kind == expectNoStream }

// ExactRevision returns the required last revision and true for an Exact
// expectation, or false for Any and NoStream.
func (e ExpectedRevision) ExactRevision() (Revision, bool) {
	return e.revision, e.kind == expectExact
}

// Metadata travels with every event. SchemaVersion is the version of the
// event's data layout, so that readers can upcast old events.
type Metadata struct {
	ActorID       string `json:"actor_id,omitempty"`
	CorrelationID string `json:"correlation_id,omitempty"`
	CausationID   string `json:"causation_id,omitempty"`
	SchemaVersion int    `json:"schema_version"`
}

// EventData is an event to append. ID is a UUID chosen by the caller; an
// empty ID is filled in by the store. Data is a JSON document.
type EventData struct {
	ID       string
	Type     string
	Data     []byte
	Metadata Metadata
}

// RecordedEvent is an event as stored in the log.
type RecordedEvent struct {
	ID         string
	Type       string
	Stream     string
	Revision   Revision
	Position   Position
	RecordedAt time.Time
	Data       []byte
	Metadata   Metadata
}

// AppendResult describes a successful append: the revision of the last event
// written to the stream and its position in the whole log. Callers use
// Position to wait until read models have caught up with their own write.
type AppendResult struct {
	NextRevision Revision
	Position     Position
}

// Subscription delivers events of the whole log in order: first every event
// after the starting position, then new events as they are appended.
type Subscription interface {
	// Events is closed when the subscription ends; Err then tells why.
	Events() <-chan RecordedEvent
	// Err returns the reason the subscription ended, or nil after Close.
	Err() error
	// Close ends the subscription. It is safe to call more than once.
	Close() error
}

// StreamPageReader is implemented by stores that read a stream in pages,
// so that loading a long stream holds one page in memory instead of all
// of it. Every store of this package implements it.
type StreamPageReader interface {
	// ReadStreamPage returns at most limit events of stream from revision
	// from onwards, in order. It returns ErrStreamNotFound when the stream
	// has no events, and an empty result when from is past its end. A limit
	// below 1 fails with an error wrapping ErrInvalidLimit.
	ReadStreamPage(ctx context.Context, stream string, from Revision, limit int) ([]RecordedEvent, error)
}

// Store is an append-only event log with streams and one global order.
// Implementations are safe for concurrent use.
type Store interface {
	// Append writes events to the end of stream atomically: all of them or
	// none. It returns ErrWrongExpectedRevision when expected does not hold.
	// Appending no events checks expected and returns the current state.
	Append(ctx context.Context, stream string, expected ExpectedRevision, events ...EventData) (AppendResult, error)

	// ReadStream returns the events of stream from revision from onwards, in
	// order. It returns ErrStreamNotFound when the stream has no events.
	ReadStream(ctx context.Context, stream string, from Revision) ([]RecordedEvent, error)

	// ReadAll returns up to limit events of the whole log whose position is
	// greater than after, in log order. An empty result means the end.
	ReadAll(ctx context.Context, after Position, limit int) ([]RecordedEvent, error)

	// SubscribeAll starts a catch-up subscription to the whole log, from the
	// first event whose position is greater than after, turning live at the
	// end. Closing ctx ends it.
	SubscribeAll(ctx context.Context, after Position) (Subscription, error)

	// Head returns the position of the last event in the log, or 0 when the
	// log is empty.
	Head(ctx context.Context) (Position, error)

	// Close releases the store. Subscriptions end with ErrClosed.
	Close() error
}
