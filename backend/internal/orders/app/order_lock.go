package app

import (
	"context"
	"fmt"
	"sync"
)

// orderLocks serialises the commands that call a payment gateway between
// reading an order and appending to it (capture, refund, return of a
// payment), one order at a time within this process. Other processes are
// kept apart by the expected revision of each append.
type orderLocks struct {
	mu    sync.Mutex
	slots map[string]*orderSlot
}

// orderSlot is the lock of one order: a channel with room for one holder,
// so that a waiter can give up when its context ends.
type orderSlot struct {
	token   chan struct{}
	waiters int // holders and waiters, so that the last one frees the slot
}

// lock waits until no other command holds orderID, or ctx ends. The
// returned function releases the lock.
func (l *orderLocks) lock(ctx context.Context, orderID string) (unlock func(), err error) {
	l.mu.Lock()
	if l.slots == nil {
		l.slots = map[string]*orderSlot{}
	}
	slot, ok := l.slots[orderID]
	if !ok {
		slot = &orderSlot{token: make(chan struct{}, 1)}
		l.slots[orderID] = slot
	}
	slot.waiters++
	l.mu.Unlock()

	select {
	case slot.token <- struct{}{}:
		return func() {
			<-slot.token
			l.release(orderID, slot)
		}, nil
	case <-ctx.Done():
		l.release(orderID, slot)
		return nil, fmt.Errorf("wait for order %s: %w", orderID, ctx.Err())
	}
}

func (l *orderLocks) release(orderID string, slot *orderSlot) {
	l.mu.Lock()
	defer l.mu.Unlock()
	slot.waiters--
	if slot.waiters == 0 {
		delete(l.slots, orderID)
	}
}
