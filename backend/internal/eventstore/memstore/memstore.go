// Package memstore is an in-memory eventstore.Store for tests. Positions are
// dense and start at 1, like the embedded store's. It passes the contract
// suite in package eventstoretest, and adds what tests need to look inside
// the log and to steer appends.
package memstore

import (
	"context"
	"sync"
	"time"

	"esimscan/backend/internal/eventstore"
)

// Option changes a new Store.
type Option func(*Store)

// WithBeforeAppend sets a hook that runs at the start of every append,
// before the store takes its lock, so that a test can interleave writers.
func WithBeforeAppend(hook func(stream string)) Option {
	return func(s *Store) { s.beforeAppend = hook }
}

// WithAppendError makes every append fail with err.
func WithAppendError(err error) Option {
	return func(s *Store) { s.appendErr = err }
}

// Store is an in-memory eventstore.Store, safe for concurrent use.
type Store struct {
	mu           sync.Mutex
	events       []eventstore.RecordedEvent
	streams      map[string][]int // indexes into events
	changed      chan struct{}    // closed and replaced at every append
	closed       bool
	beforeAppend func(stream string)
	appendErr    error
}

var _ eventstore.Store = (*Store)(nil)

// New returns an empty, open store.
func New(opts ...Option) *Store {
	s := &Store{streams: map[string][]int{}, changed: make(chan struct{})}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// SetBeforeAppend replaces the hook of WithBeforeAppend; nil removes it.
func (s *Store) SetBeforeAppend(hook func(stream string)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beforeAppend = hook
}

// SetAppendError makes every later append fail with err; nil lets appends
// succeed again.
func (s *Store) SetAppendError(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appendErr = err
}

// Append implements eventstore.Store.
func (s *Store) Append(
	ctx context.Context,
	stream string,
	expected eventstore.ExpectedRevision,
	events ...eventstore.EventData,
) (eventstore.AppendResult, error) {
	if hook := s.hook(); hook != nil {
		hook(stream)
	}
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, err
	}
	prepared, err := eventstore.PrepareAppend(stream, events)
	if err != nil {
		return eventstore.AppendResult{}, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return eventstore.AppendResult{}, eventstore.ErrClosed
	}
	if s.appendErr != nil {
		return eventstore.AppendResult{}, s.appendErr
	}

	indexes := s.streams[stream]
	if expected.IsNoStream() && len(indexes) > 0 {
		return eventstore.AppendResult{}, eventstore.ErrWrongExpectedRevision
	}
	if revision, ok := expected.ExactRevision(); ok && (len(indexes) == 0 || uint64(len(indexes)-1) != uint64(revision)) {
		return eventstore.AppendResult{}, eventstore.ErrWrongExpectedRevision
	}

	now := time.Now().UTC()
	for _, event := range prepared {
		s.events = append(s.events, eventstore.RecordedEvent{
			ID:         event.ID,
			Type:       event.Type,
			Stream:     stream,
			Revision:   eventstore.Revision(len(indexes)),
			Position:   eventstore.Position(len(s.events) + 1),
			RecordedAt: now,
			Data:       append([]byte(nil), event.Data...),
			Metadata:   event.Metadata,
		})
		indexes = append(indexes, len(s.events)-1)
	}
	if len(indexes) > 0 {
		s.streams[stream] = indexes
	}

	if len(prepared) > 0 {
		close(s.changed)
		s.changed = make(chan struct{})
	}
	if len(indexes) == 0 {
		return eventstore.AppendResult{}, nil
	}
	last := s.events[indexes[len(indexes)-1]]
	return eventstore.AppendResult{NextRevision: last.Revision, Position: last.Position}, nil
}

func (s *Store) hook() func(string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.beforeAppend
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, from eventstore.Revision) ([]eventstore.RecordedEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, eventstore.ErrClosed
	}
	indexes := s.streams[stream]
	if len(indexes) == 0 {
		return nil, eventstore.ErrStreamNotFound
	}
	var out []eventstore.RecordedEvent
	for _, index := range indexes[min(uint64(from), uint64(len(indexes))):] {
		out = append(out, s.events[index])
	}
	return out, nil
}

// ReadStreamPage implements eventstore.StreamPageReader.
func (s *Store) ReadStreamPage(ctx context.Context, stream string, from eventstore.Revision, limit int) ([]eventstore.RecordedEvent, error) {
	if err := eventstore.CheckLimit(limit); err != nil {
		return nil, err
	}
	events, err := s.ReadStream(ctx, stream, from)
	if err != nil {
		return nil, err
	}
	return events[:min(limit, len(events))], nil
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	if err := eventstore.CheckLimit(limit); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, eventstore.ErrClosed
	}
	start := min(uint64(after), uint64(len(s.events)))
	end := min(start+uint64(limit), uint64(len(s.events)))
	return append([]eventstore.RecordedEvent(nil), s.events[start:end]...), nil
}

// SubscribeAll implements eventstore.Store.
func (s *Store) SubscribeAll(ctx context.Context, after eventstore.Position) (eventstore.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, eventstore.ErrClosed
	}

	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	sub := &subscription{events: make(chan eventstore.RecordedEvent), cancel: cancel}
	go func() {
		defer close(sub.events)
		defer cancel()
		// ended reports why the subscription stops when ctx is done: the
		// caller's context, or nothing after Close.
		ended := func() { sub.setErr(parent.Err()) }
		position := after
		for {
			events, changed, closed := s.next(position)
			if closed {
				sub.setErr(eventstore.ErrClosed)
				return
			}
			for _, event := range events {
				select {
				case sub.events <- event:
					position = event.Position
				case <-ctx.Done():
					ended()
					return
				}
			}
			if changed == nil {
				continue
			}
			select {
			case <-changed:
			case <-ctx.Done():
				ended()
				return
			}
		}
	}()
	return sub, nil
}

// next returns the events after position, or a channel closed at the next
// append when there are none, and whether the store is closed.
func (s *Store) next(after eventstore.Position) ([]eventstore.RecordedEvent, <-chan struct{}, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if uint64(after) < uint64(len(s.events)) {
		return append([]eventstore.RecordedEvent(nil), s.events[after:]...), nil, s.closed
	}
	return nil, s.changed, s.closed
}

// Head implements eventstore.Store.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, eventstore.ErrClosed
	}
	return eventstore.Position(len(s.events)), nil
}

// Close implements eventstore.Store. It is safe to call more than once.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.changed)
	}
	return nil
}

// All returns a copy of the whole log in order.
func (s *Store) All() []eventstore.RecordedEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]eventstore.RecordedEvent(nil), s.events...)
}

// Stream returns a copy of the events of stream, or nil when it has none.
func (s *Store) Stream(name string) []eventstore.RecordedEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []eventstore.RecordedEvent
	for _, index := range s.streams[name] {
		out = append(out, s.events[index])
	}
	return out
}

// Types returns the event types of stream in order.
func (s *Store) Types(name string) []string {
	var types []string
	for _, event := range s.Stream(name) {
		types = append(types, event.Type)
	}
	return types
}

// Changed returns a channel that is closed at the next append that writes
// an event, or when the store closes.
func (s *Store) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

type subscription struct {
	events chan eventstore.RecordedEvent
	cancel context.CancelFunc
	mu     sync.Mutex
	err    error
}

func (s *subscription) Events() <-chan eventstore.RecordedEvent { return s.events }

func (s *subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *subscription) setErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *subscription) Close() error {
	s.cancel()
	return nil
}
