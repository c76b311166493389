package maya

import "sync"

// maxRememberedOrders bounds the references an orderBook keeps; the oldest
// are forgotten first.
const maxRememberedOrders = 10_000

// orderBook serialises Order calls per reference and remembers the Maya
// customer created for each reference. It is safe for concurrent use.
type orderBook struct {
	mu        sync.Mutex
	locks     map[string]*referenceLock
	customers map[string]string // reference → customer id
	order     []string          // references in the order remembered
}

type referenceLock struct {
	sync.Mutex
	holders int // callers holding or waiting for the lock
}

func newOrderBook() *orderBook {
	return &orderBook{locks: map[string]*referenceLock{}, customers: map[string]string{}}
}

// lock blocks until no other Order with reference runs, and returns the
// function that releases it.
func (b *orderBook) lock(reference string) func() {
	b.mu.Lock()
	lock, ok := b.locks[reference]
	if !ok {
		lock = &referenceLock{}
		b.locks[reference] = lock
	}
	lock.holders++
	b.mu.Unlock()

	lock.Lock()
	return func() {
		lock.Unlock()
		b.mu.Lock()
		defer b.mu.Unlock()
		lock.holders--
		if lock.holders == 0 {
			delete(b.locks, reference)
		}
	}
}

func (b *orderBook) customer(reference string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id, ok := b.customers[reference]
	return id, ok
}

func (b *orderBook) remember(reference, customerID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.customers[reference]; !ok {
		b.order = append(b.order, reference)
	}
	b.customers[reference] = customerID
	for len(b.order) > maxRememberedOrders {
		delete(b.customers, b.order[0])
		b.order = b.order[1:]
	}
}
