package app

import (
	"context"
	"sync"
	"testing"

	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/platform/apperr"
)

// fakeGateway records refunds and returns a fixed checkout.
type fakeGateway struct {
	name string
	mu   sync.Mutex
	keys []string
}

func (g *fakeGateway) Name() string { return g.name }

func (g *fakeGateway) StartCheckout(_ context.Context, req payments.CheckoutRequest) (payments.Checkout, error) {
	return payments.Checkout{RedirectURL: "https://checkout.example.test/" + req.OrderID, Reference: "cs_" + req.OrderID}, nil
}

func (g *fakeGateway) Refund(ctx context.Context, req payments.RefundRequest) (payments.Refund, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	key := payments.IdempotencyKeyFrom(ctx, "")
	g.keys = append(g.keys, key)
	return payments.Refund{Reference: "re_" + key, Amount: req.Amount}, nil
}

// fakeGateways offers the gateways in its map; others are not configured.
type fakeGateways map[string]payments.Gateway

func (g fakeGateways) Gateway(_ context.Context, name string) (payments.Gateway, error) {
	if gateway, ok := g[name]; ok {
		return gateway, nil
	}
	return nil, payments.ErrNotConfigured
}

func withGateways(gateways fakeGateways) option {
	return func(d *Deps) { d.Gateways = gateways }
}

func TestService_StartCheckout_recordsCheckoutStarted(t *testing.T) {
	stripe := &fakeGateway{name: "stripe"}
	f := newFixture(t, withGateways(fakeGateways{"stripe": stripe}))
	placed := f.place(t)
	checkout, err := f.service.StartCheckout(context.Background(), StartCheckout{
		OrderID: placed.ID, AccessToken: placed.AccessToken, Gateway: "stripe", StoreURL: "https://shop.example.test",
	})
	if err != nil {
		t.Fatalf("StartCheckout: %v", err)
	}
	if checkout.RedirectURL != "https://checkout.example.test/"+placed.ID {
		t.Errorf("redirect = %q", checkout.RedirectURL)
	}
	var started domain.CheckoutStarted
	f.lastEvent(t, placed.ID, domain.EventCheckoutStarted, &started)
	if started.Gateway != "stripe" || started.Reference != "cs_"+placed.ID {
		t.Errorf("CheckoutStarted = %+v", started)
	}
}

func TestService_StartCheckout_rejections(t *testing.T) {
	f := newFixture(t, withGateways(fakeGateways{"stripe": &fakeGateway{name: "stripe"}}))
	placed := f.place(t)
	ctx := context.Background()
	cmd := StartCheckout{OrderID: placed.ID, AccessToken: placed.AccessToken, Gateway: "paypal"}
	_, err := f.service.StartCheckout(ctx, cmd)
	wantAppError(t, err, apperr.KindInvalid, "gateway_not_configured", "gateway")

	cmd.Gateway = "bitcoin"
	_, err = f.service.StartCheckout(ctx, cmd)
	wantAppError(t, err, apperr.KindInvalid, "invalid_oneof", "gateway")

	cmd.Gateway, cmd.AccessToken = "stripe", "wrong"
	_, err = f.service.StartCheckout(ctx, cmd)
	wantAppError(t, err, apperr.KindNotFound, "order_not_found", "")

	paid := f.placeAndPay(t)
	_, err = f.service.StartCheckout(ctx, StartCheckout{OrderID: paid.ID, AccessToken: paid.AccessToken, Gateway: "stripe"})
	wantAppError(t, err, apperr.KindConflict, domain.CodeAlreadyPaid, "")
	if got := countType(f.typesOf(t, placed.ID), domain.EventCheckoutStarted); got != 0 {
		t.Errorf("CheckoutStarted appended %d times after rejections", got)
	}
}

func TestService_CancelOrder_transitions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	placed := f.place(t)
	if _, err := f.service.CancelOrder(ctx, placed.ID); err != nil {
		t.Fatalf("CancelOrder: %v", err)
	}
	_, err := f.service.CancelOrder(ctx, placed.ID)
	wantAppError(t, err, apperr.KindConflict, domain.CodeNotCancellable, "")
	_, err = f.service.PayWithTestGateway(ctx, placed.ID, placed.AccessToken)
	wantAppError(t, err, apperr.KindConflict, domain.CodeNotPayable, "")

	paid := f.placeAndPay(t)
	_, err = f.service.CancelOrder(ctx, paid.ID)
	wantAppError(t, err, apperr.KindConflict, domain.CodeNotCancellable, "")
}

func TestService_MarkPaid_once(t *testing.T) {
	f := newFixture(t)
	placed := f.place(t)
	for range 2 {
		if _, err := f.service.MarkPaid(context.Background(), placed.ID); err != nil {
			t.Fatalf("MarkPaid: %v", err)
		}
	}
	if got := countType(f.typesOf(t, placed.ID), domain.EventOrderPaid); got != 1 {
		t.Fatalf("OrderPaid appended %d times, want 1", got)
	}
	var paid domain.OrderPaid
	f.lastEvent(t, placed.ID, domain.EventOrderPaid, &paid)
	if paid.Gateway != "manual" || paid.Amount != usd("4.50") {
		t.Errorf("OrderPaid = %+v", paid)
	}
}

func TestService_RecordPayment_concurrentDuplicates(t *testing.T) {
	f := newFixture(t)
	placed := f.place(t)
	payment := payments.Payment{OrderID: placed.ID, Reference: "pi_1", Amount: usd("4.50")}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- f.service.RecordPayment(context.Background(), "stripe", payment) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("RecordPayment: %v", err)
		}
	}
	if got := countType(f.typesOf(t, placed.ID), domain.EventOrderPaid); got != 1 {
		t.Fatalf("OrderPaid appended %d times, want 1", got)
	}
}

func TestService_RecordPayment_unknownOrderRetryable(t *testing.T) {
	f := newFixture(t)
	err := f.service.RecordPayment(context.Background(), "stripe", payments.Payment{
		OrderID: "00000000-0000-4000-8000-000000000001", Reference: "pi_1", Amount: usd("4.50"),
	})
	wantAppError(t, err, apperr.KindNotFound, "order_not_found", "")
}

func TestService_RefundOrder_partialThenFull(t *testing.T) {
	test := &fakeGateway{name: "test"}
	f := newFixture(t, withGateways(fakeGateways{"test": test}))
	ctx := context.Background()
	placed := f.placeAndPay(t)

	_, err := f.service.RefundOrder(ctx, RefundOrder{OrderID: placed.ID, Amount: "4.51"})
	wantAppError(t, err, apperr.KindInvalid, "refund_exceeds_paid", "amount")
	_, err = f.service.RefundOrder(ctx, RefundOrder{OrderID: placed.ID, Amount: "1.005"})
	wantAppError(t, err, apperr.KindInvalid, "invalid_amount", "amount")
	_, err = f.service.RefundOrder(ctx, RefundOrder{OrderID: placed.ID, Amount: "-1"})
	wantAppError(t, err, apperr.KindInvalid, "invalid_amount", "amount")
	if len(test.keys) != 0 {
		t.Fatalf("gateway called %d times for rejected refunds", len(test.keys))
	}

	if _, err := f.service.RefundOrder(ctx, RefundOrder{OrderID: placed.ID, Amount: "1.50"}); err != nil {
		t.Fatalf("partial RefundOrder: %v", err)
	}
	if _, err := f.service.RefundOrder(ctx, RefundOrder{OrderID: placed.ID}); err != nil {
		t.Fatalf("full RefundOrder: %v", err)
	}
	var last domain.OrderRefunded
	f.lastEvent(t, placed.ID, domain.EventOrderRefunded, &last)
	if last.Amount != usd("3.00") {
		t.Errorf("second refund = %s, want the remaining 3.00 USD", last.Amount)
	}
	wantKeys := []string{"refund-" + placed.ID + "-150-0", "refund-" + placed.ID + "-300-1"}
	if len(test.keys) != 2 || test.keys[0] != wantKeys[0] || test.keys[1] != wantKeys[1] {
		t.Errorf("idempotency keys = %v, want %v", test.keys, wantKeys)
	}
	_, err = f.service.RefundOrder(ctx, RefundOrder{OrderID: placed.ID})
	wantAppError(t, err, apperr.KindConflict, domain.CodeAlreadyRefunded, "")

	unpaid := f.place(t)
	_, err = f.service.RefundOrder(ctx, RefundOrder{OrderID: unpaid.ID})
	wantAppError(t, err, apperr.KindConflict, domain.CodeNotRefundable, "")
}
