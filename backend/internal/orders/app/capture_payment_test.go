package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/platform/apperr"
)

// fakePayPal captures and refunds like PayPal: a capture of one reference
// returns the same payment every time, and a repeated refund key returns
// the first refund. When hold is set, each capture waits until the test
// closes it.
type fakePayPal struct {
	hold    chan struct{}
	entered chan string // receives each captured reference before hold

	mu       sync.Mutex
	results  map[string]captureResult // by reference; the default pays the order
	captures map[string]int           // capture calls by reference
	refunds  map[string]payments.Refund
	expired  []string
}

type captureResult struct {
	payment payments.Payment
	err     error
}

func newFakePayPal() *fakePayPal {
	return &fakePayPal{
		entered:  make(chan string, 16),
		results:  map[string]captureResult{},
		captures: map[string]int{},
		refunds:  map[string]payments.Refund{},
	}
}

func (g *fakePayPal) Name() string { return "paypal" }

func (g *fakePayPal) StartCheckout(_ context.Context, req payments.CheckoutRequest) (payments.Checkout, error) {
	return payments.Checkout{RedirectURL: "https://paypal.example.test/" + req.OrderID, Reference: "PP-" + req.OrderID}, nil
}

func (g *fakePayPal) Refund(ctx context.Context, req payments.RefundRequest) (payments.Refund, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	key := payments.IdempotencyKeyFrom(ctx, "")
	if refund, ok := g.refunds[key]; ok {
		return refund, nil
	}
	refund := payments.Refund{Reference: fmt.Sprintf("R-%d", len(g.refunds)+1), Amount: req.Amount}
	g.refunds[key] = refund
	return refund, nil
}

func (g *fakePayPal) Capture(ctx context.Context, reference string) (payments.Payment, error) {
	g.entered <- reference
	if g.hold != nil {
		select {
		case <-g.hold:
		case <-ctx.Done():
			return payments.Payment{}, ctx.Err()
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.captures[reference]++
	result, ok := g.results[reference]
	if !ok {
		return payments.Payment{}, fmt.Errorf("%w: unknown paypal order %s", payments.ErrCaptureDeclined, reference)
	}
	return result.payment, result.err
}

func (g *fakePayPal) ExpireCheckout(_ context.Context, reference string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.expired = append(g.expired, reference)
	return nil
}

func (g *fakePayPal) set(reference string, result captureResult) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.results[reference] = result
}

// approve makes the capture of reference pay placed in full.
func (g *fakePayPal) approve(placed PlacedOrder, reference string) {
	g.set(reference, captureResult{payment: payments.Payment{
		OrderID: placed.ID, Reference: "CAPTURE-" + reference, Amount: placed.Total,
	}})
}

func (g *fakePayPal) capturesOf(reference string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.captures[reference]
}

func (g *fakePayPal) refundKeys() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	keys := make([]string, 0, len(g.refunds))
	for key := range g.refunds {
		keys = append(keys, key)
	}
	return keys
}

func paypalFixture(t *testing.T, options ...option) (*fixture, *fakePayPal) {
	t.Helper()
	gateway := newFakePayPal()
	options = append([]option{withGateways(fakeGateways{"paypal": gateway, "stripe": gateway})}, options...)
	return newFixture(t, options...), gateway
}

func TestService_CapturePayment_paysOnce(t *testing.T) {
	f, gateway := paypalFixture(t)
	placed := f.place(t)
	gateway.approve(placed, "PP-1")
	for range 2 {
		outcome, err := f.service.CapturePayment(context.Background(), "paypal", placed.ID, "PP-1")
		if err != nil || outcome != CaptureSucceeded {
			t.Fatalf("CapturePayment = %s, %v, want success", outcome, err)
		}
	}
	types := f.typesOf(t, placed.ID)
	if countType(types, domain.EventPaymentCaptureStarted) != 1 || countType(types, domain.EventOrderPaid) != 1 {
		t.Errorf("events = %v, want one hold and one OrderPaid", types)
	}
	if got := gateway.capturesOf("PP-1"); got != 1 {
		t.Errorf("captures = %d, want 1 (a paid order is not captured again)", got)
	}
}

// While the capture runs, the hold makes a cancel, a mark-paid and
// another gateway's payment conflict instead of racing it.
func TestService_CapturePayment_holdRejectsConcurrentCommands(t *testing.T) {
	f, gateway := paypalFixture(t)
	gateway.hold = make(chan struct{})
	placed := f.place(t)
	gateway.approve(placed, "PP-1")
	ctx := context.Background()

	done := make(chan error, 1)
	go func() {
		_, err := f.service.CapturePayment(ctx, "paypal", placed.ID, "PP-1")
		done <- err
	}()
	<-gateway.entered

	_, err := f.service.CancelOrder(ctx, placed.ID)
	wantAppError(t, err, apperr.KindConflict, CodeCaptureInProgress, "")
	_, err = f.service.MarkPaid(ctx, placed.ID)
	wantAppError(t, err, apperr.KindConflict, CodeCaptureInProgress, "")
	_, err = f.service.PayWithTestGateway(ctx, placed.ID, placed.AccessToken)
	wantAppError(t, err, apperr.KindConflict, CodeCaptureInProgress, "")
	_, err = f.service.StartCheckout(ctx, StartCheckout{OrderID: placed.ID, AccessToken: placed.AccessToken, Gateway: "stripe"})
	wantAppError(t, err, apperr.KindConflict, CodeCaptureInProgress, "")

	close(gateway.hold)
	if err := <-done; err != nil {
		t.Fatalf("CapturePayment: %v", err)
	}
	var paid domain.OrderPaid
	f.lastEvent(t, placed.ID, domain.EventOrderPaid, &paid)
	if paid.Gateway != "paypal" || paid.PaymentReference != "CAPTURE-PP-1" {
		t.Errorf("OrderPaid = %+v, want the PayPal capture", paid)
	}
	if got := countType(f.typesOf(t, placed.ID), domain.EventOrderCancelled); got != 0 {
		t.Errorf("OrderCancelled appended %d times", got)
	}
}

// A Stripe payment that arrives while PayPal captures is neither recorded
// nor refunded yet: the webhook retries once the capture ends.
func TestService_RecordPayment_retriedWhileHeld(t *testing.T) {
	f, gateway := paypalFixture(t)
	placed := f.place(t)
	appendHold(t, f, placed.ID, "PP-1")
	err := f.service.RecordPayment(context.Background(), "stripe", payments.Payment{
		OrderID: placed.ID, Reference: "pi_1", Amount: placed.Total,
	})
	wantAppError(t, err, apperr.KindUnavailable, CodeCaptureInProgress, "")
	if keys := gateway.refundKeys(); len(keys) != 0 {
		t.Errorf("refunds = %v, want none while the capture holds the order", keys)
	}
}

func TestService_CapturePayment_notPayable(t *testing.T) {
	f, gateway := paypalFixture(t)
	ctx := context.Background()
	cancelled := f.place(t)
	gateway.approve(cancelled, "PP-1")
	if _, err := f.service.CancelOrder(ctx, cancelled.ID); err != nil {
		t.Fatal(err)
	}
	outcome, err := f.service.CapturePayment(ctx, "paypal", cancelled.ID, "PP-1")
	if err != nil || outcome != CaptureFailed {
		t.Errorf("CapturePayment of a cancelled order = %s, %v, want failed", outcome, err)
	}
	if got := gateway.capturesOf("PP-1"); got != 0 {
		t.Errorf("captures of a cancelled order = %d, want 0", got)
	}

	outcome, err = f.service.CapturePayment(ctx, "paypal", "00000000-0000-4000-8000-00000000000f", "PP-2")
	wantAppError(t, err, apperr.KindNotFound, "order_not_found", "")
	if outcome != CaptureFailed {
		t.Errorf("outcome for an unknown order = %s, want failed", outcome)
	}
	outcome, err = f.service.CapturePayment(ctx, "paypal", "../../etc", "PP-3")
	wantAppError(t, err, apperr.KindInvalid, "invalid_order_id", "order_id")
	if outcome != CaptureFailed {
		t.Errorf("outcome for a malformed id = %s, want failed", outcome)
	}
}

func TestService_CapturePayment_declinedReleasesHold(t *testing.T) {
	f, gateway := paypalFixture(t)
	placed := f.place(t)
	gateway.set("PP-1", captureResult{err: fmt.Errorf("%w: INSTRUMENT_DECLINED", payments.ErrCaptureDeclined)})
	outcome, err := f.service.CapturePayment(context.Background(), "paypal", placed.ID, "PP-1")
	if err != nil || outcome != CaptureFailed {
		t.Fatalf("CapturePayment = %s, %v, want failed", outcome, err)
	}
	var failed domain.PaymentCaptureFailed
	f.lastEvent(t, placed.ID, domain.EventPaymentCaptureFailed, &failed)
	if failed.Reference != "PP-1" || failed.Reason == "" {
		t.Errorf("PaymentCaptureFailed = %+v", failed)
	}
	if _, err := f.service.CancelOrder(context.Background(), placed.ID); err != nil {
		t.Errorf("CancelOrder after the release: %v", err)
	}
}

func TestService_CapturePayment_pendingKeepsHold(t *testing.T) {
	f, gateway := paypalFixture(t)
	placed := f.place(t)
	gateway.set("PP-1", captureResult{err: fmt.Errorf("%w: capture is PENDING", payments.ErrCapturePending)})
	ctx := context.Background()
	outcome, err := f.service.CapturePayment(ctx, "paypal", placed.ID, "PP-1")
	if err != nil || outcome != CapturePending {
		t.Fatalf("CapturePayment = %s, %v, want pending", outcome, err)
	}
	_, err = f.service.CancelOrder(ctx, placed.ID)
	wantAppError(t, err, apperr.KindConflict, CodeCaptureInProgress, "")
	// PAYMENT.CAPTURE.COMPLETED follows.
	err = f.service.RecordPayment(ctx, "paypal", payments.Payment{OrderID: placed.ID, Reference: "CAPTURE-1", Amount: placed.Total})
	if err != nil {
		t.Fatalf("RecordPayment: %v", err)
	}
	if got := countType(f.typesOf(t, placed.ID), domain.EventOrderPaid); got != 1 {
		t.Errorf("OrderPaid events = %d, want 1", got)
	}
}

func TestService_DenyCapture_releasesPendingHold(t *testing.T) {
	f, gateway := paypalFixture(t)
	placed := f.place(t)
	gateway.set("PP-1", captureResult{err: fmt.Errorf("%w: capture is PENDING", payments.ErrCapturePending)})
	ctx := context.Background()
	if outcome, err := f.service.CapturePayment(ctx, "paypal", placed.ID, "PP-1"); err != nil || outcome != CapturePending {
		t.Fatalf("CapturePayment = %s, %v, want pending", outcome, err)
	}

	// PAYMENT.CAPTURE.DENIED follows, and is delivered twice.
	for range 2 {
		if err := f.service.DenyCapture(ctx, "paypal", placed.ID, "PP-1"); err != nil {
			t.Fatalf("DenyCapture: %v", err)
		}
	}

	if got := countType(f.typesOf(t, placed.ID), domain.EventPaymentCaptureFailed); got != 1 {
		t.Errorf("PaymentCaptureFailed events = %d, want 1", got)
	}
	if _, err := f.service.CancelOrder(ctx, placed.ID); err != nil {
		t.Errorf("CancelOrder after the denial: %v", err)
	}
	err := f.service.DenyCapture(ctx, "paypal", "../../etc", "PP-1")
	wantAppError(t, err, apperr.KindInvalid, "invalid_order_id", "order_id")
}

// A capture that succeeds for an order that cannot take it (another
// amount) is refunded at once and recorded, and the hold ends.
func TestService_CapturePayment_unmatchedCaptureReturned(t *testing.T) {
	f, gateway := paypalFixture(t)
	placed := f.place(t)
	gateway.set("PP-1", captureResult{payment: payments.Payment{OrderID: placed.ID, Reference: "CAPTURE-1", Amount: usd("4.49")}})
	outcome, err := f.service.CapturePayment(context.Background(), "paypal", placed.ID, "PP-1")
	if err != nil || outcome != CaptureFailed {
		t.Fatalf("CapturePayment = %s, %v, want failed", outcome, err)
	}
	var returned domain.PaymentReturned
	f.lastEvent(t, placed.ID, domain.EventPaymentReturned, &returned)
	if returned.PaymentReference != "CAPTURE-1" || returned.Amount != usd("4.49") || returned.RefundReference == "" {
		t.Errorf("PaymentReturned = %+v", returned)
	}
	if keys := gateway.refundKeys(); len(keys) != 1 || keys[0] != "return-CAPTURE-1" {
		t.Errorf("refund keys = %v, want [return-CAPTURE-1]", keys)
	}
	if _, err := f.service.CancelOrder(context.Background(), placed.ID); err != nil {
		t.Errorf("CancelOrder after the return: %v", err)
	}
}

// A return link whose token belongs to another order releases this
// order's hold and records the capture on the order it belongs to.
func TestService_CapturePayment_captureOfAnotherOrder(t *testing.T) {
	f, gateway := paypalFixture(t)
	mine, theirs := f.place(t), f.place(t)
	gateway.approve(theirs, "PP-THEIRS")
	outcome, err := f.service.CapturePayment(context.Background(), "paypal", mine.ID, "PP-THEIRS")
	if err != nil || outcome != CaptureFailed {
		t.Fatalf("CapturePayment = %s, %v, want failed", outcome, err)
	}
	if got := countType(f.typesOf(t, mine.ID), domain.EventPaymentCaptureFailed); got != 1 {
		t.Errorf("PaymentCaptureFailed on the forged order = %d, want 1", got)
	}
	if got := countType(f.typesOf(t, theirs.ID), domain.EventOrderPaid); got != 1 {
		t.Errorf("OrderPaid on the capture's own order = %d, want 1", got)
	}
}

func TestService_CancelOrder_expiresCheckout(t *testing.T) {
	f, gateway := paypalFixture(t)
	placed := f.place(t)
	ctx := context.Background()
	if _, err := f.service.StartCheckout(ctx, StartCheckout{OrderID: placed.ID, AccessToken: placed.AccessToken, Gateway: "stripe"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.service.CancelOrder(ctx, placed.ID); err != nil {
		t.Fatalf("CancelOrder: %v", err)
	}
	gateway.mu.Lock()
	defer gateway.mu.Unlock()
	if len(gateway.expired) != 1 || gateway.expired[0] != "PP-"+placed.ID {
		t.Errorf("expired checkouts = %v, want the order's checkout", gateway.expired)
	}
}

// appendHold appends PaymentCaptureStarted as a process that stopped right
// after it would have left it.
func appendHold(t *testing.T, f *fixture, orderID, reference string) {
	t.Helper()
	_, err := f.service.repo.Append(context.Background(), streamOf(orderID), eventstore.Any(),
		domain.PaymentCaptureStarted{OrderID: orderID, Gateway: "paypal", Reference: reference, At: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
}

// The capture reaction finishes a capture that a stopped process held but
// never captured, and one whose capture call failed.
func TestService_captureReaction_recoversHeldOrders(t *testing.T) {
	f, gateway := paypalFixture(t, func(d *Deps) { d.CaptureRecoveryDelay = 20 * time.Millisecond })
	crashed := f.place(t)
	gateway.approve(crashed, "PP-CRASHED")
	appendHold(t, f, crashed.ID, "PP-CRASHED")

	unreachable := f.place(t)
	gateway.set("PP-UNREACHABLE", captureResult{err: errors.New("paypal answered 503")})
	outcome, err := f.service.CapturePayment(context.Background(), "paypal", unreachable.ID, "PP-UNREACHABLE")
	if err == nil || outcome != CapturePending {
		t.Fatalf("CapturePayment with PayPal down = %s, %v, want pending and an error", outcome, err)
	}
	gateway.approve(unreachable, "PP-UNREACHABLE")

	startReactor(t, f.store, f.service)
	for _, placed := range []PlacedOrder{crashed, unreachable} {
		eventually(t, "order "+placed.ID+" to be paid", func() bool {
			return countType(f.typesOf(t, placed.ID), domain.EventOrderPaid) == 1
		})
	}
}
