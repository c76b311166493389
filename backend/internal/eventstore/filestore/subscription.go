package filestore

import (
	"context"
	"errors"
	"sync"
	"time"

	"esimscan/backend/internal/eventstore"
)

const (
	// subscriptionBuffer is the capacity of a subscription's channel.
	subscriptionBuffer = 256
	// subscriptionBatch is how many events a subscription reads at a time.
	subscriptionBatch = 512
)

// subscription reads the log from the file on its own goroutine. The writer
// never waits for a slow consumer, and no event is dropped.
type subscription struct {
	events chan eventstore.RecordedEvent
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once

	mu  sync.Mutex
	err error
}

// SubscribeAll starts a catch-up subscription that delivers every event
// with a position greater than after, then each new commit. It ends with
// ctx.Err() when ctx ends, ErrClosed when the store closes, and nil after
// Close.
func (s *Store) SubscribeAll(ctx context.Context, after eventstore.Position) (eventstore.Subscription, error) {
	if err := s.beginRead(ctx); err != nil {
		return nil, err
	}
	sub := &subscription{
		events: make(chan eventstore.RecordedEvent, subscriptionBuffer),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	s.subs.Add(1)
	go func() {
		defer s.subs.Done()
		sub.finish(s.follow(ctx, sub, after))
	}()
	return sub, nil
}

// follow sends events to sub until it must end, and returns why.
func (s *Store) follow(ctx context.Context, sub *subscription, after eventstore.Position) error {
	for {
		// Take the notification channel before reading, so that a commit
		// landing between the read and the wait still wakes us.
		s.mu.RLock()
		notify := s.notify
		s.mu.RUnlock()

		events, err := s.readAfter(after, subscriptionBatch)
		if err != nil {
			return err
		}
		for _, event := range events {
			select {
			case sub.events <- event:
				after = event.Position
			case <-ctx.Done():
				return ctx.Err()
			case <-sub.stop:
				return errStopped
			case <-s.closing:
				return eventstore.ErrClosed
			}
		}
		if len(events) > 0 {
			continue
		}
		if err := s.waitForCommit(ctx, sub, notify); err != nil {
			return err
		}
	}
}

// waitForCommit returns nil once notify is closed, or, on a read-only store,
// once a poll of the file has run.
func (s *Store) waitForCommit(ctx context.Context, sub *subscription, notify chan struct{}) error {
	var poll <-chan time.Time
	if s.readOnly {
		timer := time.NewTimer(readOnlyPollInterval)
		defer timer.Stop()
		poll = timer.C
	}
	select {
	case <-notify:
		return nil
	case <-poll:
		return s.refresh()
	case <-ctx.Done():
		return ctx.Err()
	case <-sub.stop:
		return errStopped
	case <-s.closing:
		return eventstore.ErrClosed
	}
}

// errStopped ends a subscription closed by its owner. finish turns it into
// a nil Err.
var errStopped = errors.New("subscription closed")

func (sub *subscription) finish(err error) {
	if errors.Is(err, errStopped) {
		err = nil
	}
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
	sub.once.Do(func() { close(sub.stop) })
	<-sub.done
	return nil
}
