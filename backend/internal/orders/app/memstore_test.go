package app

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"

	"esimscan/backend/internal/eventstore"
)

// memStore is an in-memory eventstore.Store for tests, with dense positions
// from 1 like the embedded store.
type memStore struct {
	mu      sync.Mutex
	events  []eventstore.RecordedEvent
	streams map[string][]int
	changed chan struct{} // closed and replaced at every append
	closed  bool
}

func newMemStore() *memStore {
	return &memStore{streams: map[string][]int{}, changed: make(chan struct{})}
}

func (m *memStore) Append(
	ctx context.Context,
	stream string,
	expected eventstore.ExpectedRevision,
	events ...eventstore.EventData,
) (eventstore.AppendResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return eventstore.AppendResult{}, eventstore.ErrClosed
	}

	indexes := m.streams[stream]
	if expected.IsNoStream() && len(indexes) > 0 {
		return eventstore.AppendResult{}, eventstore.ErrWrongExpectedRevision
	}
	if revision, ok := expected.ExactRevision(); ok && (len(indexes) == 0 || uint64(len(indexes)-1) != uint64(revision)) {
		return eventstore.AppendResult{}, eventstore.ErrWrongExpectedRevision
	}

	for _, event := range events {
		id := event.ID
		if id == "" {
			id = uuid.NewString()
		}
		m.events = append(m.events, eventstore.RecordedEvent{
			ID:         id,
			Type:       event.Type,
			Stream:     stream,
			Revision:   eventstore.Revision(len(indexes)),
			Position:   eventstore.Position(len(m.events) + 1),
			RecordedAt: time.Now().UTC(),
			Data:       append([]byte(nil), event.Data...),
			Metadata:   event.Metadata,
		})
		indexes = append(indexes, len(m.events)-1)
	}
	m.streams[stream] = indexes

	if len(events) > 0 {
		close(m.changed)
		m.changed = make(chan struct{})
	}
	if len(indexes) == 0 {
		return eventstore.AppendResult{}, nil
	}
	last := m.events[indexes[len(indexes)-1]]
	return eventstore.AppendResult{NextRevision: last.Revision, Position: last.Position}, nil
}

func (m *memStore) ReadStream(ctx context.Context, stream string, from eventstore.Revision) ([]eventstore.RecordedEvent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	indexes := m.streams[stream]
	if len(indexes) == 0 {
		return nil, eventstore.ErrStreamNotFound
	}
	var out []eventstore.RecordedEvent
	for _, index := range indexes[min(int(from), len(indexes)):] {
		out = append(out, m.events[index])
	}
	return out, nil
}

func (m *memStore) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	start := min(int(after), len(m.events))
	end := min(start+limit, len(m.events))
	return append([]eventstore.RecordedEvent(nil), m.events[start:end]...), nil
}

// next returns the events after position, or a channel closed at the next
// append when there are none.
func (m *memStore) next(after eventstore.Position) ([]eventstore.RecordedEvent, <-chan struct{}, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if int(after) < len(m.events) {
		return append([]eventstore.RecordedEvent(nil), m.events[after:]...), nil, m.closed
	}
	return nil, m.changed, m.closed
}

func (m *memStore) SubscribeAll(ctx context.Context, after eventstore.Position) (eventstore.Subscription, error) {
	ctx, cancel := context.WithCancel(ctx)
	sub := &memSubscription{events: make(chan eventstore.RecordedEvent), cancel: cancel}
	go func() {
		defer close(sub.events)
		position := after
		for {
			events, changed, closed := m.next(position)
			if closed {
				sub.setErr(eventstore.ErrClosed)
				return
			}
			for _, event := range events {
				select {
				case sub.events <- event:
					position = event.Position
				case <-ctx.Done():
					return
				}
			}
			if changed == nil {
				continue
			}
			select {
			case <-changed:
			case <-ctx.Done():
				return
			}
		}
	}()
	return sub, nil
}

func (m *memStore) Head(ctx context.Context) (eventstore.Position, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return eventstore.Position(len(m.events)), nil
}

func (m *memStore) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		m.closed = true
		close(m.changed)
	}
	return nil
}

// all returns a copy of the whole log.
func (m *memStore) all() []eventstore.RecordedEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]eventstore.RecordedEvent(nil), m.events...)
}

type memSubscription struct {
	events chan eventstore.RecordedEvent
	cancel context.CancelFunc
	mu     sync.Mutex
	err    error
}

func (s *memSubscription) Events() <-chan eventstore.RecordedEvent { return s.events }

func (s *memSubscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *memSubscription) setErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

func (s *memSubscription) Close() error {
	s.cancel()
	return nil
}
