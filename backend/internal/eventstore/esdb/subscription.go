package esdb

import (
	"context"
	"errors"
	"fmt"
	"sync"

	esdbclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"esimscan/backend/internal/eventstore"
)

// subscriptionBuffer is the capacity of a subscription's channel.
const subscriptionBuffer = 256

type subscription struct {
	events chan eventstore.RecordedEvent
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
	cancel context.CancelFunc

	mu  sync.Mutex
	err error
}

// SubscribeAll subscribes to $all after position after, with a server-side
// filter that leaves out "$"-prefixed event types. It ends with ctx.Err()
// when ctx ends, ErrClosed when the store closes, nil after Close, and the
// client's error when the server drops it. After a drop, callers subscribe
// again from the last position they processed.
func (s *Store) SubscribeAll(ctx context.Context, after eventstore.Position) (eventstore.Subscription, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	subCtx, cancel := context.WithCancel(ctx)
	options := esdbclient.SubscribeToAllOptions{
		From:   allPosition(after),
		Filter: esdbclient.ExcludeSystemEventsFilter(),
	}
	inner, err := s.client.SubscribeToAll(subCtx, options)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("subscribe to $all after position %d: %w", after, mapError(err))
	}
	sub := &subscription{
		events: make(chan eventstore.RecordedEvent, subscriptionBuffer),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
		cancel: cancel,
	}
	go func() {
		// Receiving blocks in the client, so ending the subscription's
		// context is what wakes it when the store closes.
		select {
		case <-s.closed:
			cancel()
		case <-sub.done:
		}
	}()
	go func() {
		err := s.follow(subCtx, ctx, sub, inner, after)
		_ = inner.Close()
		cancel()
		sub.finish(err)
	}()
	return sub, nil
}

// follow forwards events from inner to sub and returns why it ended.
func (s *Store) follow(
	subCtx, parent context.Context,
	sub *subscription,
	inner *esdbclient.Subscription,
	after eventstore.Position,
) error {
	for {
		received := inner.Recv()
		if received.SubscriptionDropped != nil {
			return s.endReason(parent, sub, received.SubscriptionDropped.Error)
		}
		if received.EventAppeared == nil || received.EventAppeared.Event == nil {
			continue // checkpoints, caught-up and fell-behind notices
		}
		recorded := received.EventAppeared.Event
		if eventstore.Position(recorded.Position.Commit) <= after || isSystemEvent(recorded) {
			continue
		}
		event, err := toRecordedEvent(recorded)
		if err != nil {
			return err
		}
		select {
		case sub.events <- event:
			after = event.Position
		case <-subCtx.Done():
			return s.endReason(parent, sub, subCtx.Err())
		}
	}
}

// endReason returns the subscription's final error: nil after Close,
// ErrClosed after the store closed, the context's error, or else the drop.
func (s *Store) endReason(parent context.Context, sub *subscription, dropped error) error {
	select {
	case <-sub.stop:
		return nil
	default:
	}
	if s.checkOpen() != nil {
		return eventstore.ErrClosed
	}
	if err := parent.Err(); err != nil {
		return err
	}
	if dropped == nil {
		return errors.New("subscription to $all dropped by the server")
	}
	return fmt.Errorf("subscription to $all dropped: %w", dropped)
}

func (sub *subscription) finish(err error) {
	sub.mu.Lock()
	sub.err = err
	sub.mu.Unlock()
	close(sub.events)
	close(sub.done)
}

func (sub *subscription) Events() <-chan eventstore.RecordedEvent { return sub.events }

func (sub *subscription) Err() error {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.err
}

// Close ends the subscription and waits until its channel is closed.
func (sub *subscription) Close() error {
	sub.once.Do(func() {
		close(sub.stop)
		sub.cancel()
	})
	<-sub.done
	return nil
}
