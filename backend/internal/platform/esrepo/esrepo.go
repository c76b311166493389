// Package esrepo loads aggregates from the event store and appends their new
// events with optimistic concurrency: the load, decide, append cycle every
// command handler runs.
package esrepo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"esimscan/backend/internal/eventstore"
)

// Event is a domain event. EventType is the name stored in the log, fixed
// per type and never derived from the Go type name.
type Event interface {
	EventType() string
}

// ErrConflict reports that the stream changed between load and append, so
// the command was decided on stale state. The HTTP edge answers 409.
var ErrConflict = errors.New("conflicting change: the record was modified by someone else, reload and try again")

// SchemaVersion is the data layout version written with every event.
const SchemaVersion = 1

type contextKey int

const (
	actorKey contextKey = iota
	correlationKey
	causationKey
)

// WithActor returns ctx carrying the id of who issues commands: an admin
// id, "system" for background work, "anonymous" for storefront visitors.
func WithActor(ctx context.Context, actorID string) context.Context {
	return context.WithValue(ctx, actorKey, actorID)
}

// WithCorrelation returns ctx carrying the correlation id (the HTTP request
// id, or the id of the event that started background work) and the causation
// id (the event that caused the command, empty for a user's request).
func WithCorrelation(ctx context.Context, correlationID, causationID string) context.Context {
	ctx = context.WithValue(ctx, correlationKey, correlationID)
	return context.WithValue(ctx, causationKey, causationID)
}

// ActorFrom returns the actor id carried by ctx, or "system".
func ActorFrom(ctx context.Context) string {
	if actor, ok := ctx.Value(actorKey).(string); ok && actor != "" {
		return actor
	}
	return "system"
}

func metadataFrom(ctx context.Context) eventstore.Metadata {
	correlation, _ := ctx.Value(correlationKey).(string)
	causation, _ := ctx.Value(causationKey).(string)
	return eventstore.Metadata{
		ActorID:       ActorFrom(ctx),
		CorrelationID: correlation,
		CausationID:   causation,
		SchemaVersion: SchemaVersion,
	}
}

// Repository wraps a Store for command handlers.
type Repository struct {
	Store eventstore.Store
}

// loadPageSize is how many events Load holds in memory at once when the
// store reads streams in pages.
const loadPageSize = 512

// Load reads stream and passes each event to apply, in order. It returns the
// expected revision to append with: NoStream for a stream with no events.
func (r *Repository) Load(
	ctx context.Context,
	stream string,
	apply func(eventstore.RecordedEvent) error,
) (eventstore.ExpectedRevision, error) {
	last, applied, err := r.apply(ctx, stream, 0, apply)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return eventstore.NoStream(), nil
	}
	if err != nil {
		return eventstore.ExpectedRevision{}, err
	}
	if applied == 0 {
		return eventstore.NoStream(), nil
	}
	return eventstore.Exact(last), nil
}

// LoadFrom is Load for the events of stream from revision from onwards,
// for a caller that already holds the state up to revision from-1. With
// from 0 it is Load. When from is past the stream's last event, it applies
// nothing and returns Exact(from-1). With from above 0, a stream with no
// events fails with an error wrapping eventstore.ErrStreamNotFound.
func (r *Repository) LoadFrom(
	ctx context.Context,
	stream string,
	from eventstore.Revision,
	apply func(eventstore.RecordedEvent) error,
) (eventstore.ExpectedRevision, error) {
	if from == 0 {
		return r.Load(ctx, stream, apply)
	}
	last, applied, err := r.apply(ctx, stream, from, apply)
	if err != nil {
		return eventstore.ExpectedRevision{}, err
	}
	if applied == 0 {
		return eventstore.Exact(from - 1), nil
	}
	return eventstore.Exact(last), nil
}

// apply passes the events of stream from revision from onwards to fn, in
// pages when the store reads streams in pages, and returns the revision
// of the last event applied and how many were.
func (r *Repository) apply(
	ctx context.Context,
	stream string,
	from eventstore.Revision,
	fn func(eventstore.RecordedEvent) error,
) (eventstore.Revision, int, error) {
	pages, paged := r.Store.(eventstore.StreamPageReader)
	var last eventstore.Revision
	applied := 0
	for {
		var events []eventstore.RecordedEvent
		var err error
		if paged {
			events, err = pages.ReadStreamPage(ctx, stream, from, loadPageSize)
		} else {
			events, err = r.Store.ReadStream(ctx, stream, from)
		}
		if err != nil {
			return 0, 0, fmt.Errorf("read stream %s from %d: %w", stream, from, err)
		}
		for _, event := range events {
			if err := fn(event); err != nil {
				return 0, 0, fmt.Errorf("apply %s at %s/%d: %w", event.Type, stream, event.Revision, err)
			}
			last = event.Revision
			applied++
		}
		if !paged || len(events) < loadPageSize {
			return last, applied, nil
		}
		from = last + 1
	}
}

// Append encodes events as JSON and appends them to stream with the
// metadata carried by ctx. A wrong expected revision becomes ErrConflict.
func (r *Repository) Append(
	ctx context.Context,
	stream string,
	expected eventstore.ExpectedRevision,
	events ...Event,
) (eventstore.AppendResult, error) {
	metadata := metadataFrom(ctx)
	data := make([]eventstore.EventData, 0, len(events))
	for _, event := range events {
		encoded, err := json.Marshal(event)
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("encode %s: %w", event.EventType(), err)
		}
		data = append(data, eventstore.EventData{
			ID:       uuid.NewString(),
			Type:     event.EventType(),
			Data:     encoded,
			Metadata: metadata,
		})
	}
	return r.store(ctx, stream, expected, data)
}

// store appends data and turns a wrong expected revision into ErrConflict.
func (r *Repository) store(
	ctx context.Context,
	stream string,
	expected eventstore.ExpectedRevision,
	data []eventstore.EventData,
) (eventstore.AppendResult, error) {
	result, err := r.Store.Append(ctx, stream, expected, data...)
	if errors.Is(err, eventstore.ErrWrongExpectedRevision) {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, ErrConflict)
	}
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
	}
	return result, nil
}

// RawEvent is an event that the caller has already encoded. Data must be
// the JSON document that json.Marshal of the typed event returns.
type RawEvent struct {
	Type string
	Data []byte
}

// AppendRaw is Append for events encoded beforehand. Data is handed to the
// store as is, without a copy, so a large batch is held in memory once by
// the caller and once by the store. The caller must not change Data until
// AppendRaw returns.
func (r *Repository) AppendRaw(
	ctx context.Context,
	stream string,
	expected eventstore.ExpectedRevision,
	events []RawEvent,
) (eventstore.AppendResult, error) {
	metadata := metadataFrom(ctx)
	data := make([]eventstore.EventData, len(events))
	for i, event := range events {
		data[i] = eventstore.EventData{
			ID:       uuid.NewString(),
			Type:     event.Type,
			Data:     event.Data,
			Metadata: metadata,
		}
	}
	return r.store(ctx, stream, expected, data)
}
