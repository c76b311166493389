package app_test

import (
	"context"
	"sync"
	"time"

	"esimscan/backend/internal/eventstore"
)

// memStore is an in-memory eventstore.Store for tests. beforeAppend, when
// set, runs before each append takes the lock, so a test can interleave
// writers. failAppend, when set, fails every append. changed is closed and
// replaced after every append, waking subscriptions and waiting tests.
type memStore struct {
	mu           sync.Mutex
	streams      map[string][]eventstore.RecordedEvent
	all          []eventstore.RecordedEvent
	changed      chan struct{}
	beforeAppend func(stream string)
	failAppend   error
}

func newMemStore() *memStore {
	return &memStore{streams: map[string][]eventstore.RecordedEvent{}, changed: make(chan struct{})}
}

func (s *memStore) Append(
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

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failAppend != nil {
		return eventstore.AppendResult{}, s.failAppend
	}
	existing := s.streams[stream]
	if revision, exact := expected.ExactRevision(); exact {
		if len(existing) == 0 || existing[len(existing)-1].Revision != revision {
			return eventstore.AppendResult{}, eventstore.ErrWrongExpectedRevision
		}
	}
	if expected.IsNoStream() && len(existing) > 0 {
		return eventstore.AppendResult{}, eventstore.ErrWrongExpectedRevision
	}

	for _, event := range events {
		recorded := eventstore.RecordedEvent{
			ID:         event.ID,
			Type:       event.Type,
			Stream:     stream,
			Revision:   eventstore.Revision(len(s.streams[stream])),
			Position:   eventstore.Position(len(s.all) + 1),
			RecordedAt: time.Now().UTC(),
			Data:       append([]byte(nil), event.Data...),
			Metadata:   event.Metadata,
		}
		s.streams[stream] = append(s.streams[stream], recorded)
		s.all = append(s.all, recorded)
	}
	if len(events) > 0 {
		close(s.changed)
		s.changed = make(chan struct{})
	}
	current := s.streams[stream]
	if len(current) == 0 {
		return eventstore.AppendResult{}, nil
	}
	last := current[len(current)-1]
	return eventstore.AppendResult{NextRevision: last.Revision, Position: last.Position}, nil
}

func (s *memStore) hook() func(string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.beforeAppend
}

func (s *memStore) ReadStream(ctx context.Context, stream string, from eventstore.Revision) ([]eventstore.RecordedEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	events := s.streams[stream]
	if len(events) == 0 {
		return nil, eventstore.ErrStreamNotFound
	}
	if int(from) >= len(events) {
		return nil, nil
	}
	return append([]eventstore.RecordedEvent(nil), events[from:]...), nil
}

func (s *memStore) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if int(after) >= len(s.all) {
		return nil, nil
	}
	events := s.all[after:]
	if len(events) > limit {
		events = events[:limit]
	}
	return append([]eventstore.RecordedEvent(nil), events...), nil
}

func (s *memStore) SubscribeAll(ctx context.Context, after eventstore.Position) (eventstore.Subscription, error) {
	ctx, cancel := context.WithCancel(ctx)
	subscription := &memSubscription{events: make(chan eventstore.RecordedEvent), cancel: cancel}
	go func() {
		defer close(subscription.events)
		position := after
		for {
			pending, changed := s.pendingAfter(position)
			for _, event := range pending {
				select {
				case subscription.events <- event:
					position = event.Position
				case <-ctx.Done():
					return
				}
			}
			if len(pending) > 0 {
				continue
			}
			select {
			case <-changed:
			case <-ctx.Done():
				return
			}
		}
	}()
	return subscription, nil
}

// pendingAfter returns the events after position and the channel that
// closes on the next append.
func (s *memStore) pendingAfter(position eventstore.Position) ([]eventstore.RecordedEvent, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]eventstore.RecordedEvent(nil), s.all[position:]...), s.changed
}

type memSubscription struct {
	events chan eventstore.RecordedEvent
	cancel context.CancelFunc
}

func (m *memSubscription) Events() <-chan eventstore.RecordedEvent { return m.events }
func (m *memSubscription) Err() error                              { return nil }
func (m *memSubscription) Close() error                            { m.cancel(); return nil }

// waitChange returns the channel that closes on the next append.
func (s *memStore) waitChange() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

func (s *memStore) Head(ctx context.Context) (eventstore.Position, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return eventstore.Position(len(s.all)), nil
}

func (s *memStore) Close() error { return nil }

// stream returns a copy of the events of stream.
func (s *memStore) stream(name string) []eventstore.RecordedEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]eventstore.RecordedEvent(nil), s.streams[name]...)
}

// types returns the event types of stream in order.
func (s *memStore) types(name string) []string {
	var types []string
	for _, event := range s.stream(name) {
		types = append(types, event.Type)
	}
	return types
}
