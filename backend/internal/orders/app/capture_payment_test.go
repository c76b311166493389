package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
	timeouts map[string]int         // capture calls of a reference that time out before it succeeds
	attempts map[string][]time.Time // when each capture call of a reference arrived
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
		timeouts: map[string]int{},
		attempts: map[string][]time.Time{},
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
	select {
	case g.entered <- reference:
	default: // no test reads so many
	}
	g.mu.Lock()
	g.attempts[reference] = append(g.attempts[reference], time.Now())
	if g.timeouts[reference] > 0 {
		g.timeouts[reference]--
		g.mu.Unlock()
		return payments.Payment{}, fmt.Errorf("capture paypal order %s: %w", reference, context.DeadlineExceeded)
	}
	g.mu.Unlock()
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
	appendCheckout(t, f, placed.ID, "PP-1")
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
	appendCheckout(t, f, placed.ID, "PP-1")
	gateway.approve(placed, "PP-1")
	ctx := context.Background()

	done := make(chan error, 1)
	go func() {
		_, err := f.service.CapturePayment(ctx, "paypal", placed.ID, "PP-1")
		done <- err
	}()
	gateway.waitEntered(t, "PP-1")

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
	appendCheckout(t, f, cancelled.ID, "PP-1")
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
	appendCheckout(t, f, placed.ID, "PP-1")
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
	appendCheckout(t, f, placed.ID, "PP-1")
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
	appendCheckout(t, f, placed.ID, "PP-1")
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
	appendCheckout(t, f, placed.ID, "PP-1")
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

// A return link whose token is no PayPal checkout of the order (made up,
// another order's, or of another gateway) holds nothing, appends nothing
// and calls no gateway, even when repeated.
func TestService_CapturePayment_unknownCheckout(t *testing.T) {
	f, gateway := paypalFixture(t)
	ctx := context.Background()
	mine, theirs := f.place(t), f.place(t)
	appendCheckout(t, f, mine.ID, "PP-MINE")
	appendCheckout(t, f, theirs.ID, "PP-THEIRS")
	gateway.approve(theirs, "PP-THEIRS")
	if _, err := f.service.StartCheckout(ctx, StartCheckout{OrderID: mine.ID, AccessToken: mine.AccessToken, Gateway: "stripe"}); err != nil {
		t.Fatal(err)
	}
	before := len(f.typesOf(t, mine.ID))
	for _, token := range []string{"FAKE1", "FAKE1", "PP-THEIRS", "PP-" + mine.ID, strings.Repeat("X", 2000)} {
		outcome, err := f.service.CapturePayment(ctx, "paypal", mine.ID, token)
		if err != nil || outcome != CaptureFailed {
			t.Errorf("CapturePayment(%.20q) = %s, %v, want failed and no error", token, outcome, err)
		}
	}
	if types := f.typesOf(t, mine.ID); len(types) != before {
		t.Errorf("events = %v, want nothing appended after the first %d", types, before)
	}
	if got := gateway.capturesOf("PP-THEIRS") + gateway.capturesOf("FAKE1"); got != 0 {
		t.Errorf("captures = %d, want none for tokens that are no checkout of the order", got)
	}
	if got := countType(f.typesOf(t, theirs.ID), domain.EventPaymentCaptureStarted); got != 0 {
		t.Errorf("holds on the token's own order = %d, want 0", got)
	}
	if _, err := f.service.CancelOrder(ctx, mine.ID); err != nil {
		t.Errorf("CancelOrder after the refused tokens: %v", err)
	}
}

// A capture of the order's own checkout that PayPal reports for another
// order releases this order's hold and records the capture on the order
// it belongs to.
func TestService_CapturePayment_captureOfAnotherOrder(t *testing.T) {
	f, gateway := paypalFixture(t)
	mine, theirs := f.place(t), f.place(t)
	appendCheckout(t, f, mine.ID, "PP-MINE")
	gateway.set("PP-MINE", captureResult{payment: payments.Payment{
		OrderID: theirs.ID, Reference: "CAPTURE-THEIRS", Amount: theirs.Total,
	}})
	outcome, err := f.service.CapturePayment(context.Background(), "paypal", mine.ID, "PP-MINE")
	if err != nil || outcome != CaptureFailed {
		t.Fatalf("CapturePayment = %s, %v, want failed", outcome, err)
	}
	if got := countType(f.typesOf(t, mine.ID), domain.EventPaymentCaptureFailed); got != 1 {
		t.Errorf("PaymentCaptureFailed on this order = %d, want 1", got)
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

// appendCheckout appends the PayPal CheckoutStarted whose reference a
// capture of the order may hold.
func appendCheckout(t *testing.T, f *fixture, orderID, reference string) {
	t.Helper()
	_, err := f.service.repo.Append(context.Background(), streamOf(orderID), eventstore.Any(),
		domain.CheckoutStarted{OrderID: orderID, Gateway: "paypal", Reference: reference, At: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
}

// waitEntered waits until a capture of reference reaches the gateway.
func (g *fakePayPal) waitEntered(t *testing.T, reference string) {
	t.Helper()
	select {
	case got := <-g.entered:
		if got != reference {
			t.Fatalf("captured %s, want %s", got, reference)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("no capture of %s reached the gateway within 5s", reference)
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
	appendCheckout(t, f, crashed.ID, "PP-CRASHED")
	appendHold(t, f, crashed.ID, "PP-CRASHED")

	unreachable := f.place(t)
	appendCheckout(t, f, unreachable.ID, "PP-UNREACHABLE")
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

func (g *fakePayPal) attemptsOf(reference string) []time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]time.Time(nil), g.attempts[reference]...)
}

// A hold whose capture keeps timing out is tried again with a doubling
// wait, up to the maximum, for as long as it remains, and the order is paid
// once PayPal responds.
func TestService_captureReaction_retriesWithBackoff(t *testing.T) {
	const base, maximum = 20 * time.Millisecond, 80 * time.Millisecond
	f, gateway := paypalFixture(t, func(d *Deps) {
		d.CaptureRecoveryDelay, d.MaxCaptureRecoveryDelay = base, maximum
		d.Now = time.Now // the hold is recent, so the first try waits
	})
	placed := f.place(t)
	appendCheckout(t, f, placed.ID, "PP-STALLED")
	gateway.approve(placed, "PP-STALLED")
	gateway.timeouts["PP-STALLED"] = 5
	outcome, err := f.service.CapturePayment(context.Background(), "paypal", placed.ID, "PP-STALLED")
	if err == nil || outcome != CapturePending {
		t.Fatalf("CapturePayment with PayPal stalled = %s, %v, want pending and an error", outcome, err)
	}

	reactor := startReactor(t, f.store, f.service)
	eventually(t, "the held order to be paid", func() bool {
		return countType(f.typesOf(t, placed.ID), domain.EventOrderPaid) == 1
	})
	reactor.stop()

	// One call from the return, then five tries of the reaction: four
	// more timeouts and the capture.
	attempts := gateway.attemptsOf("PP-STALLED")
	if len(attempts) != 6 {
		t.Fatalf("capture calls = %d, want 6: one return and five tries, none after the payment", len(attempts))
	}
	// The waits between the tries: base, 2×base, then the maximum (not
	// 8×base). A timer never fires early.
	wants := []time.Duration{base, 2 * base, maximum, maximum}
	for i, want := range wants {
		if gap := attempts[i+2].Sub(attempts[i+1]); gap < want {
			t.Errorf("wait before try %d = %s, want at least %s", i+2, gap, want)
		}
	}
	if types := f.typesOf(t, placed.ID); countType(types, domain.EventPaymentCaptureFailed) != 0 {
		t.Errorf("events = %v, want the hold kept until the payment", types)
	}
}

// The retries of a standing hold end with the reactor, and do not spin.
func TestService_captureReaction_stopsOnShutdown(t *testing.T) {
	f, gateway := paypalFixture(t, func(d *Deps) {
		d.CaptureRecoveryDelay, d.MaxCaptureRecoveryDelay = 10*time.Millisecond, 10*time.Millisecond
	})
	placed := f.place(t)
	appendCheckout(t, f, placed.ID, "PP-DOWN")
	appendHold(t, f, placed.ID, "PP-DOWN")
	gateway.timeouts["PP-DOWN"] = 1 << 30

	reactor := startReactor(t, f.store, f.service)
	eventually(t, "three tries of the held capture", func() bool { return len(gateway.attemptsOf("PP-DOWN")) >= 3 })
	reactor.cancel()
	stopped := make(chan struct{})
	go func() {
		reactor.stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(waitTimeout):
		t.Fatal("the capture retries did not stop with the reactor")
	}
	attempts := gateway.attemptsOf("PP-DOWN")
	// Ten milliseconds apart at least: a busy loop would make thousands.
	if span := attempts[len(attempts)-1].Sub(attempts[0]); len(attempts) > 1+int(span/(10*time.Millisecond)) {
		t.Errorf("%d capture calls in %s, want at most one per 10ms", len(attempts), span)
	}
	if got := len(gateway.attemptsOf("PP-DOWN")); got != len(attempts) {
		t.Errorf("capture calls went on after the stop: %d, then %d", len(attempts), got)
	}
	if hold := f.hold(t, placed.ID); hold.Reference != "PP-DOWN" {
		t.Errorf("hold = %+v, want it to stand", hold)
	}
}

func (f *fixture) hold(t *testing.T, orderID string) domain.PaymentCaptureStarted {
	t.Helper()
	loaded, err := f.service.loadOrder(context.Background(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	return loaded.order.CaptureHold()
}

// A verified payment of 0.00 that the order cannot take is acknowledged
// without a refund, which the gateway would refuse, and appends nothing.
func TestService_RecordPayment_zeroAmountNotRefunded(t *testing.T) {
	f, gateway := paypalFixture(t)
	placed := f.place(t)
	before := f.typesOf(t, placed.ID)
	err := f.service.RecordPayment(context.Background(), "stripe", payments.Payment{
		OrderID: placed.ID, Reference: "cs_zero", Amount: usd("0.00"),
	})
	if err != nil {
		t.Fatalf("RecordPayment of 0.00: %v, want it acknowledged", err)
	}
	if keys := gateway.refundKeys(); len(keys) != 0 {
		t.Errorf("refunds = %v, want none for a payment of no money", keys)
	}
	if after := f.typesOf(t, placed.ID); len(after) != len(before) {
		t.Errorf("events = %v, want %v unchanged", after, before)
	}
}
