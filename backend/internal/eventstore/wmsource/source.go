// Package wmsource gives projectors the event log as Watermill messages: it
// implements projection.Source over an eventstore.Store.
//
// Delivery is one message at a time, in log order. The next event is sent
// only after the current message is acked. A nacked message is sent again,
// unchanged, after a backoff, so an event is never skipped. If the store's
// subscription fails, the subscriber subscribes again after the last acked
// position.
package wmsource

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"esimscan/backend/internal/eventstore"
	"esimscan/projections/projection"
)

// Backoff bounds: the wait doubles from the first to the max value while a
// message keeps being nacked or the store keeps failing.
const (
	defaultFirstBackoff = 100 * time.Millisecond
	defaultMaxBackoff   = 10 * time.Second
)

// ErrSubscriberClosed reports a Subscribe call on a closed subscriber.
var ErrSubscriberClosed = errors.New("subscriber closed")

// Source implements projection.Source over an event store.
type Source struct {
	store        eventstore.Store
	logger       watermill.LoggerAdapter
	firstBackoff time.Duration
	maxBackoff   time.Duration
}

var _ projection.Source = (*Source)(nil)

// NewSource returns a Source reading store. A nil logger logs nothing.
func NewSource(store eventstore.Store, logger watermill.LoggerAdapter) *Source {
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	return &Source{
		store:        store,
		logger:       logger,
		firstBackoff: defaultFirstBackoff,
		maxBackoff:   defaultMaxBackoff,
	}
}

// NewSubscriber returns a subscriber whose every Subscribe call delivers the
// events with a position greater than after, then new events live. The
// topic passed to Subscribe is ignored.
func (s *Source) NewSubscriber(after uint64) (message.Subscriber, error) {
	return &Subscriber{
		source:  s,
		after:   eventstore.Position(after),
		closing: make(chan struct{}),
	}, nil
}

// Head returns the position of the last event in the log.
func (s *Source) Head(ctx context.Context) (uint64, error) {
	head, err := s.store.Head(ctx)
	if err != nil {
		return 0, fmt.Errorf("read event log head: %w", err)
	}
	return uint64(head), nil
}

// Subscriber is a message.Subscriber over the event log. It is safe for
// concurrent use.
type Subscriber struct {
	source  *Source
	after   eventstore.Position
	closing chan struct{}

	mu      sync.Mutex
	closed  bool
	running sync.WaitGroup
}

// Subscribe starts delivering events on the returned channel, which is
// closed when ctx ends or the subscriber is closed. The message context is
// derived from ctx and canceled once the message is acked or nacked.
func (sub *Subscriber) Subscribe(ctx context.Context, _ string) (<-chan *message.Message, error) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.closed {
		return nil, ErrSubscriberClosed
	}
	out := make(chan *message.Message)
	sub.running.Add(1)
	go func() {
		defer sub.running.Done()
		defer close(out)
		sub.run(ctx, out)
	}()
	return out, nil
}

// Close ends every subscription, closes their channels and waits for them.
// A message waiting for its ack is dropped without being acked, so it is
// delivered again by the next subscriber. It is safe to call more than once.
func (sub *Subscriber) Close() error {
	sub.mu.Lock()
	if !sub.closed {
		sub.closed = true
		close(sub.closing)
	}
	sub.mu.Unlock()
	sub.running.Wait()
	return nil
}

// stopped reports whether delivery must end: ctx ended or Close was called.
func (sub *Subscriber) stopped(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	case <-sub.closing:
		return true
	default:
		return false
	}
}

// wait sleeps for d unless delivery must end first, which it reports.
func (sub *Subscriber) wait(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	case <-sub.closing:
		return false
	}
}

func (sub *Subscriber) nextBackoff(current time.Duration) time.Duration {
	return min(current*2, sub.source.maxBackoff)
}

// run subscribes to the store and delivers events until delivery must end.
// A failed subscription is replaced by a new one after the last acked
// position.
func (sub *Subscriber) run(ctx context.Context, out chan<- *message.Message) {
	logger := sub.source.logger
	after := sub.after
	backoff := sub.source.firstBackoff
	for !sub.stopped(ctx) {
		storeSub, err := sub.source.store.SubscribeAll(ctx, after)
		if err == nil {
			var delivered bool
			after, delivered, err = sub.deliverAll(ctx, storeSub, out, after)
			_ = storeSub.Close()
			if delivered {
				backoff = sub.source.firstBackoff
			}
		}
		if sub.stopped(ctx) {
			return
		}
		if errors.Is(err, eventstore.ErrClosed) {
			logger.Info("event store closed, ending subscription", watermill.LogFields{"after": after})
			return
		}
		logger.Error("event subscription failed, subscribing again", err, watermill.LogFields{
			"after":   after,
			"backoff": backoff.String(),
		})
		if !sub.wait(ctx, backoff) {
			return
		}
		backoff = sub.nextBackoff(backoff)
	}
}

// deliverAll delivers the events of storeSub and returns the position of
// the last acked event, whether any event was acked, and why the store's
// subscription ended.
func (sub *Subscriber) deliverAll(
	ctx context.Context,
	storeSub eventstore.Subscription,
	out chan<- *message.Message,
	after eventstore.Position,
) (eventstore.Position, bool, error) {
	delivered := false
	for {
		select {
		case event, ok := <-storeSub.Events():
			if !ok {
				err := storeSub.Err()
				if err == nil {
					err = errors.New("event subscription ended without an error")
				}
				return after, delivered, err
			}
			if !sub.deliver(ctx, out, event) {
				return after, delivered, nil
			}
			after = event.Position
			delivered = true
		case <-ctx.Done():
			return after, delivered, nil
		case <-sub.closing:
			return after, delivered, nil
		}
	}
}

// deliver sends event until it is acked, sending it again after a backoff
// each time it is nacked. It returns false when delivery must end first.
func (sub *Subscriber) deliver(ctx context.Context, out chan<- *message.Message, event eventstore.RecordedEvent) bool {
	template := newMessage(event)
	backoff := sub.source.firstBackoff
	for attempt := 1; ; attempt++ {
		msg := template.Copy()
		msgCtx, cancel := context.WithCancel(ctx)
		msg.SetContext(msgCtx)
		acked, ok := sub.send(ctx, out, msg)
		cancel()
		if !ok {
			return false
		}
		if acked {
			return true
		}
		sub.source.logger.Info("message nacked, sending it again", watermill.LogFields{
			"event_id":   event.ID,
			"event_type": event.Type,
			"position":   uint64(event.Position),
			"attempt":    attempt,
			"backoff":    backoff.String(),
		})
		if !sub.wait(ctx, backoff) {
			return false
		}
		backoff = sub.nextBackoff(backoff)
	}
}

// send sends msg and waits for its ack or nack. ok is false when delivery
// must end first.
func (sub *Subscriber) send(ctx context.Context, out chan<- *message.Message, msg *message.Message) (acked, ok bool) {
	select {
	case out <- msg:
	case <-ctx.Done():
		return false, false
	case <-sub.closing:
		return false, false
	}
	select {
	case <-msg.Acked():
		return true, true
	case <-msg.Nacked():
		return false, true
	case <-ctx.Done():
		return false, false
	case <-sub.closing:
		return false, false
	}
}

// newMessage encodes a recorded event as a Watermill message with the
// projection.Meta* metadata keys.
func newMessage(event eventstore.RecordedEvent) *message.Message {
	msg := message.NewMessage(event.ID, event.Data)
	msg.Metadata.Set(projection.MetaEventType, event.Type)
	msg.Metadata.Set(projection.MetaStream, event.Stream)
	msg.Metadata.Set(projection.MetaRevision, strconv.FormatUint(uint64(event.Revision), 10))
	msg.Metadata.Set(projection.MetaPosition, strconv.FormatUint(uint64(event.Position), 10))
	msg.Metadata.Set(projection.MetaRecordedAt, event.RecordedAt.UTC().Format(time.RFC3339Nano))
	msg.Metadata.Set(projection.MetaActorID, event.Metadata.ActorID)
	msg.Metadata.Set(projection.MetaCorrelationID, event.Metadata.CorrelationID)
	msg.Metadata.Set(projection.MetaCausationID, event.Metadata.CausationID)
	msg.Metadata.Set(projection.MetaSchemaVersion, strconv.Itoa(event.Metadata.SchemaVersion))
	return msg
}
