package esimgo

import (
	"context"
	"sync"
	"time"

	"esimscan/backend/internal/providers/adapters"
)

// maxRemembered bounds the placed orders an orderBook keeps; the oldest
// are forgotten first.
const maxRemembered = 10_000

// orderBook is the client's memory of its own orders, because eSIM Go has
// no idempotency key and no client reference on orders. It maps each
// esimScan reference to the provider order it bought, records when an
// order call for a reference ended without a known outcome, and serialises
// Order calls per reference. It is safe for concurrent use.
//
// NOTE: the memory lives in this process only. After a restart, an order
// whose call timed out before the restart is not looked up again, so the
// caller must not retry such an order blindly.
type orderBook struct {
	mu        sync.Mutex
	locks     map[string]*referenceLock
	placed    map[string]adapters.OrderResult // by esimScan reference
	claimed   map[string]string               // provider orderReference → esimScan reference
	unsettled map[string]time.Time            // reference → earliest start of a call with an unknown outcome
	fifo      []string                        // references in placed, oldest first
}

type referenceLock struct {
	token   chan struct{}
	holders int // callers holding or waiting for the lock
}

func newOrderBook() *orderBook {
	return &orderBook{
		locks:     map[string]*referenceLock{},
		placed:    map[string]adapters.OrderResult{},
		claimed:   map[string]string{},
		unsettled: map[string]time.Time{},
	}
}

// lock waits until no other Order call for reference runs, or ctx ends.
// The returned function releases the lock.
func (b *orderBook) lock(ctx context.Context, reference string) (func(), error) {
	b.mu.Lock()
	entry := b.locks[reference]
	if entry == nil {
		entry = &referenceLock{token: make(chan struct{}, 1)}
		b.locks[reference] = entry
	}
	entry.holders++
	b.mu.Unlock()

	release := func() {
		b.mu.Lock()
		entry.holders--
		if entry.holders == 0 {
			delete(b.locks, reference)
		}
		b.mu.Unlock()
	}
	select {
	case entry.token <- struct{}{}:
		return func() {
			<-entry.token
			release()
		}, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}

// result returns the order already placed for reference.
func (b *orderBook) result(reference string) (adapters.OrderResult, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	result, ok := b.placed[reference]
	return result, ok
}

// unsettledSince returns when the first call with an unknown outcome for
// reference started.
func (b *orderBook) unsettledSince(reference string) (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	since, ok := b.unsettled[reference]
	return since, ok
}

// markUnsettled records that a call for reference may have bought an
// order created at or after since. The earliest time is kept.
func (b *orderBook) markUnsettled(reference string, since time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if earlier, ok := b.unsettled[reference]; ok && earlier.Before(since) {
		return
	}
	b.unsettled[reference] = since
}

// settle records the provider order bought for reference.
func (b *orderBook) settle(reference string, result adapters.OrderResult) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.unsettled, reference)
	if _, ok := b.placed[reference]; !ok {
		b.fifo = append(b.fifo, reference)
	}
	b.placed[reference] = result
	b.claimed[result.ProviderOrderID] = reference
	for len(b.fifo) > maxRemembered {
		oldest := b.fifo[0]
		b.fifo = b.fifo[1:]
		delete(b.claimed, b.placed[oldest].ProviderOrderID)
		delete(b.placed, oldest)
	}
}

// claimedByOther reports whether the provider order was bought for a
// reference other than reference.
func (b *orderBook) claimedByOther(providerOrderID, reference string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	owner, ok := b.claimed[providerOrderID]
	return ok && owner != reference
}
