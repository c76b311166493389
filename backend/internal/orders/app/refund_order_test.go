package app

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/platform/apperr"
)

// keyedGateway refunds like PayPal and Stripe: a repeated idempotency key
// returns the first refund, and every new key moves money. When hold is
// set, each new refund waits until the test closes it.
type keyedGateway struct {
	name string
	hold chan struct{}

	mu      sync.Mutex
	refunds map[string]payments.Refund // by idempotency key
	entered chan string                // receives each new key before hold
}

func newKeyedGateway(name string) *keyedGateway {
	return &keyedGateway{name: name, refunds: map[string]payments.Refund{}, entered: make(chan string, 64)}
}

func (g *keyedGateway) Name() string { return g.name }

func (g *keyedGateway) StartCheckout(context.Context, payments.CheckoutRequest) (payments.Checkout, error) {
	return payments.Checkout{}, payments.ErrNotConfigured
}

func (g *keyedGateway) Refund(ctx context.Context, req payments.RefundRequest) (payments.Refund, error) {
	key := payments.IdempotencyKeyFrom(ctx, "")
	g.mu.Lock()
	refund, seen := g.refunds[key]
	g.mu.Unlock()
	if seen {
		return refund, nil
	}
	g.entered <- key
	if g.hold != nil {
		select {
		case <-g.hold:
		case <-ctx.Done():
			return payments.Refund{}, ctx.Err()
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if refund, seen := g.refunds[key]; seen {
		return refund, nil
	}
	refund = payments.Refund{Reference: fmt.Sprintf("re_%d", len(g.refunds)+1), Amount: req.Amount}
	g.refunds[key] = refund
	return refund, nil
}

func (g *keyedGateway) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.refunds)
}

func TestService_RefundOrder_sameAmountTwice(t *testing.T) {
	gateway := newKeyedGateway("test")
	f := newFixture(t, withGateways(fakeGateways{"test": gateway}))
	placed := f.placeAndPay(t)
	for range 2 {
		if _, err := f.service.RefundOrder(context.Background(), RefundOrder{OrderID: placed.ID, Amount: "0.50"}); err != nil {
			t.Fatalf("RefundOrder: %v", err)
		}
	}
	if got := gateway.count(); got != 2 {
		t.Errorf("gateway refunds = %d, want 2", got)
	}
	if got := countType(f.typesOf(t, placed.ID), domain.EventOrderRefunded); got != 2 {
		t.Errorf("OrderRefunded events = %d, want 2", got)
	}
}

func TestService_RefundOrder_concurrentMatchGateway(t *testing.T) {
	gateway := newKeyedGateway("test")
	f := newFixture(t, withGateways(fakeGateways{"test": gateway}))
	placed := f.placeAndPay(t) // 4.50 USD
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			_, err := f.service.RefundOrder(context.Background(), RefundOrder{OrderID: placed.ID, Amount: "0.10"})
			if appErr, ok := apperr.As(err); err != nil && (!ok || appErr.Code != "refund_exceeds_paid") {
				t.Errorf("RefundOrder: %v", err)
			}
		})
	}
	wg.Wait()
	recorded := countType(f.typesOf(t, placed.ID), domain.EventOrderRefunded)
	if recorded == 0 || recorded != gateway.count() {
		t.Errorf("OrderRefunded events = %d, gateway refunds = %d, want them equal and positive", recorded, gateway.count())
	}
}

// A refund that waits for another one of the same order checks the amount
// only after the first is recorded, so it never reaches the gateway with
// more than remains.
func TestService_RefundOrder_waitsForEarlierRefund(t *testing.T) {
	gateway := newKeyedGateway("test")
	gateway.hold = make(chan struct{})
	f := newFixture(t, withGateways(fakeGateways{"test": gateway}))
	placed := f.placeAndPay(t) // 4.50 USD
	ctx := context.Background()

	first := make(chan error, 1)
	go func() {
		_, err := f.service.RefundOrder(ctx, RefundOrder{OrderID: placed.ID, Amount: "3.00"})
		first <- err
	}()
	<-gateway.entered
	second := make(chan error, 1)
	go func() {
		_, err := f.service.RefundOrder(ctx, RefundOrder{OrderID: placed.ID, Amount: "2.00"})
		second <- err
	}()
	eventually(t, "the second refund to wait for the first", func() bool {
		f.service.locks.mu.Lock()
		defer f.service.locks.mu.Unlock()
		slot := f.service.locks.slots[placed.ID]
		return slot != nil && slot.waiters == 2
	})
	close(gateway.hold)
	if err := <-first; err != nil {
		t.Fatalf("first RefundOrder: %v", err)
	}
	wantAppError(t, <-second, apperr.KindInvalid, "refund_exceeds_paid", "amount")
	if got := gateway.count(); got != 1 {
		t.Errorf("gateway refunds = %d, want 1", got)
	}
}

// Requests for one amount that arrive before the first of them is recorded
// share its idempotency key, as a double click does, and refund once.
func TestService_RefundOrder_doubleClickRefundsOnce(t *testing.T) {
	gateway := newKeyedGateway("test")
	gateway.hold = make(chan struct{})
	f := newFixture(t, withGateways(fakeGateways{"test": gateway}))
	placed := f.placeAndPay(t)
	ctx := context.Background()

	errs := make(chan error, 2)
	go func() {
		_, err := f.service.RefundOrder(ctx, RefundOrder{OrderID: placed.ID, Amount: "4.50"})
		errs <- err
	}()
	<-gateway.entered
	go func() {
		_, err := f.service.RefundOrder(ctx, RefundOrder{OrderID: placed.ID, Amount: "4.50"})
		errs <- err
	}()
	eventually(t, "the second click to wait for the first", func() bool {
		f.service.locks.mu.Lock()
		defer f.service.locks.mu.Unlock()
		slot := f.service.locks.slots[placed.ID]
		return slot != nil && slot.waiters == 2
	})
	close(gateway.hold)
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("RefundOrder: %v", err)
		}
	}
	if got := gateway.count(); got != 1 {
		t.Errorf("gateway refunds = %d, want 1", got)
	}
	if got := countType(f.typesOf(t, placed.ID), domain.EventOrderRefunded); got != 1 {
		t.Errorf("OrderRefunded events = %d, want 1", got)
	}
}
