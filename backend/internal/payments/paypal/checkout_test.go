package paypal

import (
	"errors"
	"strings"
	"testing"
	"time"

	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/providers/adapters"
	sim "esimscan/backend/internal/simulators/paypal"
)

func TestGateway_checkoutCaptureRefund(t *testing.T) {
	f := newFixture(t, nil)
	ctx := testContext(t)
	req := checkoutRequest(t, "12.50", "USD")

	checkout, err := f.gateway.StartCheckout(ctx, req)
	if err != nil {
		t.Fatalf("StartCheckout: %v", err)
	}
	if checkout.Reference == "" {
		t.Fatal("StartCheckout returned no PayPal order id")
	}
	order, _ := f.sim.Order(checkout.Reference)
	if order.CustomID != req.OrderID || order.ReferenceID != req.OrderID {
		t.Errorf("custom_id, reference_id = %q, %q, want %q", order.CustomID, order.ReferenceID, req.OrderID)
	}
	if order.ReturnURL != req.ReturnURL || order.CancelURL != req.CancelURL {
		t.Errorf("return, cancel URL = %q, %q", order.ReturnURL, order.CancelURL)
	}

	back := approve(t, checkout.RedirectURL)
	if back.Query().Get("token") != checkout.Reference || back.Query().Get("PayerID") == "" {
		t.Errorf("approval redirect = %s, want token %s and a PayerID", back, checkout.Reference)
	}
	if back.Query().Get("order") != "x" {
		t.Errorf("approval redirect lost the return URL's query: %s", back)
	}

	payment, err := f.gateway.Capture(ctx, back.Query().Get("token"))
	if err != nil {
		t.Fatalf("Capture: %v", err)
	}
	if payment.OrderID != req.OrderID || payment.Amount != req.Amount || payment.Reference == "" {
		t.Errorf("Capture = %+v, want order %s and amount %s", payment, req.OrderID, req.Amount)
	}

	partial, err := f.gateway.Refund(ctx, payments.RefundRequest{
		OrderID: req.OrderID, PaymentReference: payment.Reference, Amount: mustMoney(t, "5.00", "USD"),
	})
	if err != nil {
		t.Fatalf("partial Refund: %v", err)
	}
	if partial.Amount != mustMoney(t, "5", "USD") || partial.Reference == "" {
		t.Errorf("partial Refund = %+v, want 5.00 USD", partial)
	}
	if status, refunded, _ := f.sim.CaptureStatus(payment.Reference); status != sim.CapturePartiallyRefunded || refunded != "5.00" {
		t.Errorf("capture after partial refund = %s, %s refunded", status, refunded)
	}

	rest, err := f.gateway.Refund(ctx, payments.RefundRequest{OrderID: req.OrderID, PaymentReference: payment.Reference})
	if err != nil {
		t.Fatalf("full Refund: %v", err)
	}
	if rest.Amount != mustMoney(t, "7.50", "USD") {
		t.Errorf("remaining Refund amount = %s, want 7.50 USD", rest.Amount)
	}
	if status, _, _ := f.sim.CaptureStatus(payment.Reference); status != sim.CaptureRefunded {
		t.Errorf("capture after full refund = %s, want REFUNDED", status)
	}
}

func TestGateway_Refund_retryPaysOnce(t *testing.T) {
	f := newFixture(t, nil)
	ctx := testContext(t)
	payment, _ := capturedPayment(t, f, "20.00", "EUR")
	req := payments.RefundRequest{OrderID: payment.OrderID, PaymentReference: payment.Reference, Amount: mustMoney(t, "3", "EUR")}

	first, err := f.gateway.Refund(ctx, req)
	if err != nil {
		t.Fatalf("Refund: %v", err)
	}
	second, err := f.gateway.Refund(ctx, req)
	if err != nil {
		t.Fatalf("repeated Refund: %v", err)
	}
	if first.Reference != second.Reference {
		t.Errorf("repeated Refund made refund %s after %s", second.Reference, first.Reference)
	}
	if _, refunded, _ := f.sim.CaptureStatus(payment.Reference); refunded != "3.00" {
		t.Errorf("refunded = %s, want 3.00", refunded)
	}

	_, err = f.gateway.Refund(ctx, payments.RefundRequest{
		OrderID: payment.OrderID, PaymentReference: payment.Reference, Amount: mustMoney(t, "30", "EUR"),
	})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || !apiErr.HasIssue("REFUND_AMOUNT_EXCEEDED") {
		t.Errorf("refund over the capture: error = %v, want REFUND_AMOUNT_EXCEEDED", err)
	}
}

// capturedPayment runs a checkout to its capture and returns the payment
// and the PayPal order id.
func capturedPayment(t *testing.T, f *fixture, value, currency string) (payments.Payment, string) {
	t.Helper()
	ctx := testContext(t)
	checkout, err := f.gateway.StartCheckout(ctx, checkoutRequest(t, value, currency))
	if err != nil {
		t.Fatalf("StartCheckout: %v", err)
	}
	if !f.sim.Approve(checkout.Reference) {
		t.Fatalf("approve %s in the simulator", checkout.Reference)
	}
	payment, err := f.gateway.Capture(ctx, checkout.Reference)
	if err != nil {
		t.Fatalf("Capture: %v", err)
	}
	return payment, checkout.Reference
}

func TestGateway_StartCheckout_idempotentPerOrder(t *testing.T) {
	f := newFixture(t, nil)
	ctx := testContext(t)
	req := checkoutRequest(t, "9.99", "USD")

	first, err := f.gateway.StartCheckout(ctx, req)
	if err != nil {
		t.Fatalf("StartCheckout: %v", err)
	}
	second, err := f.gateway.StartCheckout(ctx, req)
	if err != nil {
		t.Fatalf("second StartCheckout: %v", err)
	}
	if first.Reference != second.Reference {
		t.Errorf("second checkout created PayPal order %s besides %s", second.Reference, first.Reference)
	}
	if got := f.sim.RequestsWithID(req.OrderID); got != 2 {
		t.Errorf("requests with PayPal-Request-Id %s = %d, want 2", req.OrderID, got)
	}
}

func TestGateway_Capture_twiceReturnsOneCapture(t *testing.T) {
	f := newFixture(t, nil)
	ctx := testContext(t)
	payment, paypalOrderID := capturedPayment(t, f, "4.00", "USD")
	order, _ := f.sim.Order(paypalOrderID)

	again, err := f.gateway.Capture(ctx, order.ID)
	if err != nil {
		t.Fatalf("second Capture (replayed request id): %v", err)
	}
	f.sim.ForgetRequestIDs()
	third, err := f.gateway.Capture(ctx, order.ID)
	if err != nil {
		t.Fatalf("third Capture (ORDER_ALREADY_CAPTURED): %v", err)
	}
	for _, p := range []payments.Payment{again, third} {
		if p != payment {
			t.Errorf("repeated Capture = %+v, want %+v", p, payment)
		}
	}
	order, _ = f.sim.Order(order.ID)
	if len(order.CaptureIDs) != 1 {
		t.Errorf("captures = %v, want one", order.CaptureIDs)
	}
}

func TestGateway_Capture_notApproved(t *testing.T) {
	f := newFixture(t, nil)
	ctx := testContext(t)
	checkout, err := f.gateway.StartCheckout(ctx, checkoutRequest(t, "4.00", "USD"))
	if err != nil {
		t.Fatalf("StartCheckout: %v", err)
	}
	_, err = f.gateway.Capture(ctx, checkout.Reference)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || !apiErr.HasIssue("ORDER_NOT_APPROVED") {
		t.Errorf("Capture before approval: error = %v, want ORDER_NOT_APPROVED", err)
	}
}

func TestGateway_amountsUseCurrencyDigits(t *testing.T) {
	cases := []struct{ value, currency, wire string }{
		{"1500", "JPY", "1500"},
		{"1.234", "KWD", "1.234"},
		{"12.5", "USD", "12.50"},
	}
	f := newFixture(t, nil)
	ctx := testContext(t)
	for _, c := range cases {
		req := checkoutRequest(t, c.value, c.currency)
		checkout, err := f.gateway.StartCheckout(ctx, req)
		if err != nil {
			t.Fatalf("%s: StartCheckout: %v", c.currency, err)
		}
		order, _ := f.sim.Order(checkout.Reference)
		if order.Value != c.wire || order.Currency != c.currency {
			t.Errorf("%s: sent %s %s, want %s", c.currency, order.Value, order.Currency, c.wire)
		}
		f.sim.Approve(checkout.Reference)
		payment, err := f.gateway.Capture(ctx, checkout.Reference)
		if err != nil {
			t.Fatalf("%s: Capture: %v", c.currency, err)
		}
		if payment.Amount != req.Amount {
			t.Errorf("%s: captured %s, want %s", c.currency, payment.Amount, req.Amount)
		}
		if payment.Amount.MinorUnits() != req.Amount.MinorUnits() {
			t.Errorf("%s: captured %d minor units, want %d", c.currency, payment.Amount.MinorUnits(), req.Amount.MinorUnits())
		}
	}
}

func TestGateway_StartCheckout_rejectsExtraDecimals(t *testing.T) {
	f := newFixture(t, nil)
	for _, c := range []struct{ value, currency string }{{"1500.5", "JPY"}, {"1.2345", "KWD"}, {"0", "USD"}} {
		_, err := f.gateway.StartCheckout(testContext(t), checkoutRequest(t, c.value, c.currency))
		if !errors.Is(err, ErrInvalidAmount) {
			t.Errorf("%s %s: error = %v, want ErrInvalidAmount", c.value, c.currency, err)
		}
	}
	if calls := f.sim.TokenCalls(); calls != 0 {
		t.Errorf("token calls = %d, want 0: an invalid amount must not reach PayPal", calls)
	}
}

func TestGateway_accessTokenCached(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	f := newFixture(t, func(c *Config) { c.Now = func() time.Time { return clock() } })
	ctx := testContext(t)
	for range 3 {
		if _, err := f.gateway.StartCheckout(ctx, checkoutRequest(t, "1.00", "USD")); err != nil {
			t.Fatalf("StartCheckout: %v", err)
		}
	}
	if calls := f.sim.TokenCalls(); calls != 1 {
		t.Errorf("token calls after three checkouts = %d, want 1", calls)
	}

	later := now.Add(sim.DefaultTokenLifetime - tokenRefreshMargin + time.Second)
	clock = func() time.Time { return later }
	if _, err := f.gateway.StartCheckout(ctx, checkoutRequest(t, "1.00", "USD")); err != nil {
		t.Fatalf("StartCheckout near expiry: %v", err)
	}
	if calls := f.sim.TokenCalls(); calls != 2 {
		t.Errorf("token calls shortly before expiry = %d, want 2", calls)
	}
}

func TestGateway_revokedTokenRefreshedOnce(t *testing.T) {
	f := newFixture(t, nil)
	ctx := testContext(t)
	if _, err := f.gateway.StartCheckout(ctx, checkoutRequest(t, "1.00", "USD")); err != nil {
		t.Fatalf("StartCheckout: %v", err)
	}
	f.sim.RevokeTokens()
	if _, err := f.gateway.StartCheckout(ctx, checkoutRequest(t, "1.00", "USD")); err != nil {
		t.Fatalf("StartCheckout after revocation: %v", err)
	}
	if calls := f.sim.TokenCalls(); calls != 2 {
		t.Errorf("token calls = %d, want 2", calls)
	}

	f.sim.Fail(sim.Failure{Path: sim.PathOrders, Status: 401, Times: 2})
	_, err := f.gateway.StartCheckout(ctx, checkoutRequest(t, "1.00", "USD"))
	if adapters.CauseOf(err) != adapters.CauseCredentials {
		t.Errorf("persistent 401: cause = %s (%v), want credentials", adapters.CauseOf(err), err)
	}
	if calls := f.sim.TokenCalls(); calls != 3 {
		t.Errorf("token calls after a persistent 401 = %d, want 3 (one refresh)", calls)
	}
	checkNoSecret(t, err)
}

func TestGateway_failuresClassified(t *testing.T) {
	cases := []struct {
		name    string
		failure sim.Failure
		want    adapters.Cause
	}{
		{"rate limited", sim.Failure{Path: sim.PathOrders, Status: 429, RetryAfter: "0", Times: 5}, adapters.CauseRateLimited},
		{"server error", sim.Failure{Path: sim.PathOrders, Status: 500, Times: 5}, adapters.CauseServerError},
		{"slow", sim.Failure{Path: sim.PathOrders, Delay: 2 * time.Second, Times: 5}, adapters.CauseTimeout},
		{"malformed", sim.Failure{Path: sim.PathOrders, Malformed: true}, adapters.CauseBadResponse},
		{"token rejected", sim.Failure{Path: sim.PathToken, Status: 401}, adapters.CauseCredentials},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, func(config *Config) { config.Timeout = 200 * time.Millisecond })
			f.sim.Fail(c.failure)
			_, err := f.gateway.StartCheckout(testContext(t), checkoutRequest(t, "1.00", "USD"))
			if got := adapters.CauseOf(err); got != c.want {
				t.Errorf("cause = %s (%v), want %s", got, err, c.want)
			}
			checkNoSecret(t, err)
		})
	}
}

func TestGateway_serverErrorRetried(t *testing.T) {
	f := newFixture(t, nil)
	f.sim.Fail(sim.Failure{Path: sim.PathOrders, Status: 500})
	if _, err := f.gateway.StartCheckout(testContext(t), checkoutRequest(t, "1.00", "USD")); err != nil {
		t.Errorf("StartCheckout after one 500: %v", err)
	}
}

func TestGateway_wrongCredentialsAndUnreachable(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.ClientSecret = testSecret + "-wrong" })
	_, err := f.gateway.StartCheckout(testContext(t), checkoutRequest(t, "1.00", "USD"))
	if adapters.CauseOf(err) != adapters.CauseCredentials {
		t.Errorf("wrong secret: cause = %s (%v), want credentials", adapters.CauseOf(err), err)
	}
	checkNoSecret(t, err)

	f.sim.Close()
	gateway, _ := New(f.config)
	_, err = gateway.StartCheckout(testContext(t), checkoutRequest(t, "1.00", "USD"))
	if adapters.CauseOf(err) != adapters.CauseUnreachable {
		t.Errorf("closed server: cause = %s (%v), want unreachable", adapters.CauseOf(err), err)
	}
	checkNoSecret(t, err)
}

func TestNew_rejectsInvalidConfig(t *testing.T) {
	valid := Config{ClientID: "id", ClientSecret: "secret", WebhookID: "WH-1", Mode: ModeSandbox}
	cases := map[string]func(*Config){
		"client_id":       func(c *Config) { c.ClientID = "" },
		"client_secret":   func(c *Config) { c.ClientSecret = " " },
		"webhook_id":      func(c *Config) { c.WebhookID = "" },
		"mode":            func(c *Config) { c.Mode = "production" },
		"PAYPAL_API_BASE": func(c *Config) { c.APIBase = "ftp://127.0.0.1" },
	}
	for field, edit := range cases {
		config := valid
		edit(&config)
		_, err := New(config)
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: error = %v, want ErrInvalidConfig", field, err)
			continue
		}
		if !strings.Contains(err.Error(), field) {
			t.Errorf("%s: error %q does not name the field", field, err)
		}
	}
}

func TestGateway_Refund_usesContextKey(t *testing.T) {
	f := newFixture(t, nil)
	ctx := testContext(t)
	payment, _ := capturedPayment(t, f, "1.23", "USD")
	req := payments.RefundRequest{OrderID: payment.OrderID, PaymentReference: payment.Reference, Amount: mustMoney(t, "0.50", "USD")}

	first, err := f.gateway.Refund(payments.WithIdempotencyKey(ctx, "refund-key-a"), req)
	if err != nil {
		t.Fatalf("first Refund: %v", err)
	}
	second, err := f.gateway.Refund(payments.WithIdempotencyKey(ctx, "refund-key-b"), req)
	if err != nil {
		t.Fatalf("second Refund: %v", err)
	}
	if first.Reference == second.Reference {
		t.Errorf("two refunds with two keys returned one refund %s", first.Reference)
	}
	if _, refunded, _ := f.sim.CaptureStatus(payment.Reference); refunded != "1.00" {
		t.Errorf("refunded = %s, want 1.00 after two refunds of 0.50", refunded)
	}
	if got := f.sim.RequestsWithID("refund-key-a"); got != 1 {
		t.Errorf("requests with the first key = %d, want 1", got)
	}

	again, err := f.gateway.Refund(payments.WithIdempotencyKey(ctx, "refund-key-a"), req)
	if err != nil {
		t.Fatalf("repeated Refund: %v", err)
	}
	if again.Reference != first.Reference {
		t.Errorf("repeated key made refund %s, want the first %s", again.Reference, first.Reference)
	}
	if _, refunded, _ := f.sim.CaptureStatus(payment.Reference); refunded != "1.00" {
		t.Errorf("refunded = %s after a repeated key, want 1.00", refunded)
	}
}
