package projectiontest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"esimscan/projections/projection"
)

// ErrSubscriberClosed is returned by Subscribe after Close.
var ErrSubscriberClosed = errors.New("memory source subscriber closed")

// MemorySource is an in-memory projection.Source. Positions start at 1 and
// have no gaps. Each subscription delivers one message at a time and sends
// the next only after an ack. A nacked message is delivered again at once.
// It is safe for concurrent use.
type MemorySource struct {
	mu       sync.Mutex
	events   []projection.Event
	appended chan struct{} // closed and replaced on every Append
}

// NewMemorySource returns an empty MemorySource.
func NewMemorySource() *MemorySource {
	return &MemorySource{appended: make(chan struct{})}
}

// Append adds events to the log and wakes live subscriptions. It assigns
// each event the next position, and fills an empty ID with a new UUID, a
// zero RecordedAt with the current time and a zero SchemaVersion with 1.
// It returns the position of the last event, which is the new head.
func (s *MemorySource) Append(events ...projection.Event) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ev := range events {
		ev.Position = uint64(len(s.events)) + 1
		if ev.ID == "" {
			ev.ID = uuid.NewString()
		}
		if ev.RecordedAt.IsZero() {
			ev.RecordedAt = time.Now().UTC()
		}
		if ev.SchemaVersion == 0 {
			ev.SchemaVersion = 1
		}
		s.events = append(s.events, ev)
	}
	close(s.appended)
	s.appended = make(chan struct{})
	return uint64(len(s.events))
}

// Events returns a copy of the log.
func (s *MemorySource) Events() []projection.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]projection.Event(nil), s.events...)
}

// Head returns the position of the last event, or 0 for an empty log.
func (s *MemorySource) Head(context.Context) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return uint64(len(s.events)), nil
}

// NewSubscriber returns a subscriber that delivers the events after the
// given position, then new events as they are appended.
func (s *MemorySource) NewSubscriber(after uint64) (message.Subscriber, error) {
	return &memorySubscriber{source: s, after: after, closing: make(chan struct{})}, nil
}

// next returns the event after position, or a channel closed on the next
// Append when there is none yet.
func (s *MemorySource) next(position uint64) (projection.Event, bool, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if position < uint64(len(s.events)) {
		return s.events[position], true, nil
	}
	return projection.Event{}, false, s.appended
}

type memorySubscriber struct {
	source  *MemorySource
	after   uint64
	mu      sync.Mutex
	closed  bool
	closing chan struct{}
	wg      sync.WaitGroup
}

// Subscribe starts a delivery that ends when ctx ends or Close is called.
// The topic is ignored.
func (m *memorySubscriber) Subscribe(ctx context.Context, _ string) (<-chan *message.Message, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrSubscriberClosed
	}
	out := make(chan *message.Message)
	m.wg.Add(1)
	go m.deliver(ctx, out)
	return out, nil
}

func (m *memorySubscriber) deliver(ctx context.Context, out chan<- *message.Message) {
	defer m.wg.Done()
	defer close(out)
	position := m.after
	for {
		ev, ok, appended := m.source.next(position)
		if !ok {
			select {
			case <-appended:
				continue
			case <-ctx.Done():
				return
			case <-m.closing:
				return
			}
		}
		if !m.deliverUntilAcked(ctx, out, ev) {
			return
		}
		position = ev.Position
	}
}

// deliverUntilAcked sends ev until a message is acked, and reports false
// when the subscription ended first.
func (m *memorySubscriber) deliverUntilAcked(ctx context.Context, out chan<- *message.Message, ev projection.Event) bool {
	for {
		msg := projection.NewMessage(ev)
		msg.SetContext(ctx)
		select {
		case out <- msg:
		case <-ctx.Done():
			return false
		case <-m.closing:
			return false
		}
		select {
		case <-msg.Acked():
			return true
		case <-msg.Nacked():
		case <-ctx.Done():
			return false
		case <-m.closing:
			return false
		}
	}
}

// Close ends every subscription and waits for their deliveries to stop.
func (m *memorySubscriber) Close() error {
	m.mu.Lock()
	if !m.closed {
		m.closed = true
		close(m.closing)
	}
	m.mu.Unlock()
	m.wg.Wait()
	return nil
}
