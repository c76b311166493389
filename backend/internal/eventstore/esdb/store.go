// Package esdb adapts EventStoreDB, through its gRPC client
// (github.com/EventStore/EventStore-Client-Go/v4), to eventstore.Store.
//
// Positions are EventStoreDB commit positions, so they grow but have gaps.
// Events whose type or stream starts with "$" are EventStoreDB's own and are
// left out of ReadAll, SubscribeAll and Head. Event metadata travels as JSON
// in the event's user metadata, and the recorded time is the server's
// created date (100 ns resolution).
package esdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"esimscan/backend/internal/eventstore"
)

// readAllBatch is the number of $all events that one read request of
// ReadAll or Head fetches while skipping system events.
const readAllBatch = 256

// Store is an eventstore.Store backed by an EventStoreDB server. It is safe
// for concurrent use.
type Store struct {
	client    *esdbclient.Client
	closed    chan struct{}
	closeOnce sync.Once
}

var _ eventstore.Store = (*Store)(nil)

// Open creates a client for connectionString, an esdb:// URL such as
// esdb://127.0.0.1:2113?tls=false. The client connects on first use, so a
// server that is down shows up as an error of the first call.
func Open(connectionString string) (*Store, error) {
	config, err := esdbclient.ParseConnectionString(connectionString)
	if err != nil {
		// The client's message may quote the URL, which can carry a password.
		return nil, errors.New("parse EventStoreDB connection string: invalid esdb:// URL")
	}
	client, err := esdbclient.NewClient(config)
	if err != nil {
		return nil, fmt.Errorf("create EventStoreDB client: %w", err)
	}
	return &Store{client: client, closed: make(chan struct{})}, nil
}

// Append writes events atomically to stream. Appending no events reads the
// stream's last event to check expected and report the state, because the
// server does not report a state for an empty append.
func (s *Store) Append(
	ctx context.Context,
	stream string,
	expected eventstore.ExpectedRevision,
	events ...eventstore.EventData,
) (eventstore.AppendResult, error) {
	if err := s.checkOpen(); err != nil {
		return eventstore.AppendResult{}, err
	}
	prepared, err := eventstore.PrepareAppend(stream, events)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if len(prepared) == 0 {
		return s.checkState(ctx, stream, expected)
	}
	proposed := make([]esdbclient.EventData, len(prepared))
	for i, event := range prepared {
		proposed[i], err = toEventData(event)
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, err)
		}
	}
	options := esdbclient.AppendToStreamOptions{ExpectedRevision: toExpectedRevision(expected)}
	result, err := s.client.AppendToStream(ctx, stream, options, proposed...)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append to %s: %w", stream, mapError(err))
	}
	return eventstore.AppendResult{
		NextRevision: eventstore.Revision(result.NextExpectedVersion),
		Position:     eventstore.Position(result.CommitPosition),
	}, nil
}

// checkState implements an empty append.
func (s *Store) checkState(
	ctx context.Context,
	stream string,
	expected eventstore.ExpectedRevision,
) (eventstore.AppendResult, error) {
	last, found, err := s.lastEvent(ctx, stream)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	revision, exact := expected.ExactRevision()
	switch {
	case expected.IsNoStream() && found:
		return eventstore.AppendResult{}, fmt.Errorf(
			"append to %s: expected no stream, last revision is %d: %w",
			stream, last.Revision, eventstore.ErrWrongExpectedRevision,
		)
	case exact && !found:
		return eventstore.AppendResult{}, fmt.Errorf(
			"append to %s: expected revision %d, stream has no events: %w",
			stream, revision, eventstore.ErrWrongExpectedRevision,
		)
	case exact && last.Revision != revision:
		return eventstore.AppendResult{}, fmt.Errorf(
			"append to %s: expected revision %d, last revision is %d: %w",
			stream, revision, last.Revision, eventstore.ErrWrongExpectedRevision,
		)
	}
	if !found {
		return eventstore.AppendResult{}, nil
	}
	return eventstore.AppendResult{NextRevision: last.Revision, Position: last.Position}, nil
}

// lastEvent reads the last event of stream, reporting false when the
// stream has none.
func (s *Store) lastEvent(ctx context.Context, stream string) (eventstore.RecordedEvent, bool, error) {
	options := esdbclient.ReadStreamOptions{Direction: esdbclient.Backwards, From: esdbclient.End{}}
	events, err := s.readStream(ctx, stream, options, 1)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return eventstore.RecordedEvent{}, false, nil
	}
	if err != nil || len(events) == 0 {
		return eventstore.RecordedEvent{}, false, err
	}
	return events[0], true, nil
}

// ReadStream returns the events of stream from revision from onwards. It
// returns ErrStreamNotFound when the stream has no events or was deleted.
func (s *Store) ReadStream(
	ctx context.Context,
	stream string,
	from eventstore.Revision,
) ([]eventstore.RecordedEvent, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	options := esdbclient.ReadStreamOptions{
		Direction: esdbclient.Forwards,
		From:      esdbclient.Revision(uint64(from)),
	}
	return s.readStream(ctx, stream, options, ^uint64(0))
}

// ReadStreamPage implements eventstore.StreamPageReader.
func (s *Store) ReadStreamPage(
	ctx context.Context,
	stream string,
	from eventstore.Revision,
	limit int,
) ([]eventstore.RecordedEvent, error) {
	if err := eventstore.CheckLimit(limit); err != nil {
		return nil, err
	}
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	options := esdbclient.ReadStreamOptions{
		Direction: esdbclient.Forwards,
		From:      esdbclient.Revision(uint64(from)),
	}
	return s.readStream(ctx, stream, options, uint64(limit))
}

func (s *Store) readStream(
	ctx context.Context,
	stream string,
	options esdbclient.ReadStreamOptions,
	count uint64,
) ([]eventstore.RecordedEvent, error) {
	reader, err := s.client.ReadStream(ctx, stream, options, count)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, mapError(err))
	}
	defer reader.Close()
	var events []eventstore.RecordedEvent
	for {
		resolved, err := reader.Recv()
		if errors.Is(err, io.EOF) {
			return events, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read stream %s: %w", stream, mapError(err))
		}
		if resolved.Event == nil {
			continue
		}
		event, err := toRecordedEvent(resolved.Event)
		if err != nil {
			return nil, fmt.Errorf("read stream %s: %w", stream, err)
		}
		events = append(events, event)
	}
}

// ReadAll returns up to limit non-system events of $all whose commit
// position is greater than after. EventStoreDB reads $all from a position
// inclusively, so the event at after itself is skipped here.
func (s *Store) ReadAll(
	ctx context.Context,
	after eventstore.Position,
	limit int,
) ([]eventstore.RecordedEvent, error) {
	if err := eventstore.CheckLimit(limit); err != nil {
		return nil, err
	}
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	var events []eventstore.RecordedEvent
	cursor := after
	for {
		batch := uint64(min(limit-len(events), readAllBatch) + 1)
		page, err := s.readAllPage(ctx, esdbclient.ReadAllOptions{From: allPosition(cursor)}, batch)
		if err != nil {
			return nil, fmt.Errorf("read all after position %d: %w", after, err)
		}
		for _, recorded := range page {
			if eventstore.Position(recorded.Position.Commit) <= cursor {
				continue
			}
			cursor = eventstore.Position(recorded.Position.Commit)
			if isSystemEvent(recorded) {
				continue
			}
			event, err := toRecordedEvent(recorded)
			if err != nil {
				return nil, fmt.Errorf("read all after position %d: %w", after, err)
			}
			events = append(events, event)
			if len(events) == limit {
				return events, nil
			}
		}
		if uint64(len(page)) < batch {
			return events, nil
		}
	}
}

func (s *Store) readAllPage(
	ctx context.Context,
	options esdbclient.ReadAllOptions,
	count uint64,
) ([]*esdbclient.RecordedEvent, error) {
	reader, err := s.client.ReadAll(ctx, options, count)
	if err != nil {
		return nil, mapError(err)
	}
	defer reader.Close()
	var page []*esdbclient.RecordedEvent
	for {
		resolved, err := reader.Recv()
		if errors.Is(err, io.EOF) {
			return page, nil
		}
		if err != nil {
			return nil, mapError(err)
		}
		if resolved.Event != nil {
			page = append(page, resolved.Event)
		}
	}
}

// Head returns the commit position of the last non-system event, or 0 when
// there is none. It reads $all backwards past system events.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	if err := s.checkOpen(); err != nil {
		return 0, err
	}
	options := esdbclient.ReadAllOptions{Direction: esdbclient.Backwards, From: esdbclient.End{}}
	var seen *esdbclient.Position
	for {
		page, err := s.readAllPage(ctx, options, readAllBatch)
		if err != nil {
			return 0, fmt.Errorf("read head: %w", err)
		}
		for _, recorded := range page {
			if seen != nil && recorded.Position.Commit >= seen.Commit {
				continue // a backwards read from a position may repeat it
			}
			if !isSystemEvent(recorded) {
				return eventstore.Position(recorded.Position.Commit), nil
			}
			position := recorded.Position
			seen = &position
		}
		if len(page) < readAllBatch || seen == nil {
			return 0, nil
		}
		options.From = *seen
	}
}

// Close closes the client and ends every subscription with ErrClosed. It
// is safe to call more than once.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closed)
		err = s.client.Close()
	})
	if err != nil {
		return fmt.Errorf("close EventStoreDB client: %w", err)
	}
	return nil
}

func (s *Store) checkOpen() error {
	select {
	case <-s.closed:
		return eventstore.ErrClosed
	default:
		return nil
	}
}

func toExpectedRevision(expected eventstore.ExpectedRevision) esdbclient.ExpectedRevision {
	if revision, ok := expected.ExactRevision(); ok {
		return esdbclient.Revision(uint64(revision))
	}
	if expected.IsNoStream() {
		return esdbclient.NoStream{}
	}
	return esdbclient.Any{}
}

// allPosition converts a position to the start of a $all read or
// subscription. Position 0 means the start of the log.
func allPosition(after eventstore.Position) esdbclient.AllPosition {
	if after == 0 {
		return esdbclient.Start{}
	}
	// NOTE: the prepare position is taken to equal the commit position, which
	// holds for events written by gRPC appends. An event written inside an
	// explicit transaction of the legacy TCP API may be read twice or not at all.
	return esdbclient.Position{Commit: uint64(after), Prepare: uint64(after)}
}

func toEventData(event eventstore.EventData) (esdbclient.EventData, error) {
	id, err := uuid.Parse(event.ID)
	if err != nil {
		return esdbclient.EventData{}, fmt.Errorf("parse event id %q: %w", event.ID, err)
	}
	metadata, err := json.Marshal(event.Metadata)
	if err != nil {
		return esdbclient.EventData{}, fmt.Errorf("encode metadata of %s: %w", event.Type, err)
	}
	return esdbclient.EventData{
		EventID:     id,
		EventType:   event.Type,
		ContentType: esdbclient.ContentTypeJson,
		Data:        event.Data,
		Metadata:    metadata,
	}, nil
}

func toRecordedEvent(recorded *esdbclient.RecordedEvent) (eventstore.RecordedEvent, error) {
	event := eventstore.RecordedEvent{
		ID:         recorded.EventID.String(),
		Type:       recorded.EventType,
		Stream:     recorded.StreamID,
		Revision:   eventstore.Revision(recorded.EventNumber),
		Position:   eventstore.Position(recorded.Position.Commit),
		RecordedAt: recorded.CreatedDate.UTC(),
		Data:       recorded.Data,
	}
	if len(recorded.UserMetadata) > 0 {
		if err := json.Unmarshal(recorded.UserMetadata, &event.Metadata); err != nil {
			return eventstore.RecordedEvent{}, fmt.Errorf(
				"decode metadata of event %s at %s/%d: %w", event.ID, event.Stream, event.Revision, err,
			)
		}
	}
	return event, nil
}

// isSystemEvent reports EventStoreDB's own events: "$"-prefixed types such
// as $metadata, and events of "$"-prefixed streams such as $stats.
func isSystemEvent(recorded *esdbclient.RecordedEvent) bool {
	return strings.HasPrefix(recorded.EventType, "$") || strings.HasPrefix(recorded.StreamID, "$")
}

// mapError turns the client's error codes into the eventstore sentinels,
// keeping the client's error in the chain.
func mapError(err error) error {
	var clientErr *esdbclient.Error
	if !errors.As(err, &clientErr) {
		return err
	}
	switch clientErr.Code() {
	case esdbclient.ErrorCodeWrongExpectedVersion:
		return fmt.Errorf("%w: %w", eventstore.ErrWrongExpectedRevision, err)
	case esdbclient.ErrorCodeResourceNotFound, esdbclient.ErrorCodeStreamDeleted:
		return fmt.Errorf("%w: %w", eventstore.ErrStreamNotFound, err)
	}
	return err
}
