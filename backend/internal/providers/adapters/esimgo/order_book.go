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
// The memory lives in this process only. After a restart the caller
// passes what it recorded durably, OrderRequest.OutcomeUnknownSince and
// Claimed, and the first call for a reference adopts it (see noteCall).
type orderBook struct {
	mu        sync.Mutex
	locks     map[string]*referenceLock
	placed    map[string]adapters.OrderResult // by esimScan reference
	claimed   map[string]string               // provider orderReference → esimScan reference
	unsettled map[string]time.Time            // reference → earliest start of a call with an unknown outcome
	fifo      []string                        // references in placed, oldest first
	called    map[string]bool                 // references this client ran a call for
	calledLog []string                        // references in called, oldest first
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
		called:    map[string]bool{},
	}
}

// noteCall records a call for reference and reports whether it is the
// first this client runs for it, so that nothing about the reference is
// in memory yet.
func (b *orderBook) noteCall(reference string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.called[reference] {
		return false
	}
	b.called[reference] = true
	b.calledLog = append(b.calledLog, reference)
	for len(b.calledLog) > maxRemembered {
		delete(b.called, b.calledLog[0])
		b.calledLog = b.calledLog[1:]
	}
	_, placed := b.placed[reference]
	_, unsettled := b.unsettled[reference]
	return !placed && !unsettled
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
