package paypal

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"esimscan/backend/internal/payments"
	sim "esimscan/backend/internal/simulators/paypal"
)

func TestGateway_CaptureOrderID(t *testing.T) {
	f := newFixture(t, nil)
	payment, _ := capturedPayment(t, f, "12.50", "USD")
	orderID, err := f.gateway.CaptureOrderID(testContext(t), payment.Reference)
	if err != nil {
		t.Fatalf("CaptureOrderID: %v", err)
	}
	if orderID != payment.OrderID || !strings.HasPrefix(orderID, "ord-") {
		t.Errorf("CaptureOrderID = %q, want the checkout's order id %q", orderID, payment.OrderID)
	}
	_, err = f.gateway.CaptureOrderID(testContext(t), "SIMC-UNKNOWN")
	if err == nil || !strings.Contains(err.Error(), "SIMC-UNKNOWN") {
		t.Errorf("CaptureOrderID of an unknown capture: error = %v, want one naming the capture", err)
	}
	checkNoSecret(t, err)
}

func TestVerifyWebhook_dashboardRefundWithoutCustomID(t *testing.T) {
	f := newFixture(t, nil)
	payment, _ := capturedPayment(t, f, "12.50", "USD")

	// A refund made in PayPal's dashboard, through the simulator's control.
	client := &http.Client{}
	resp, err := client.Post(f.sim.URL+sim.PathControl+"captures/"+payment.Reference+"/refund", "application/json",
		strings.NewReader(`{"amount":{"currency_code":"USD","value":"2.50"}}`))
	if err != nil {
		t.Fatalf("dashboard refund: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("dashboard refund: status %d, want 201", resp.StatusCode)
	}
	event := signedEvent(t, f, f.config.WebhookID, sim.EventCaptureRefunded, f.sim.LastRefundResource(payment.Reference))
	if event.RefundID == "" || event.CaptureID != payment.Reference || event.Amount != mustMoney(t, "2.50", "USD") {
		t.Errorf("refund event = %+v", event)
	}
	if event.CustomID != "" {
		t.Errorf("dashboard refund custom_id = %q, want none", event.CustomID)
	}
	if event.CreatedAt.IsZero() {
		t.Error("refund event has no create_time")
	}
}

func TestGateway_Capture_declinedForGood(t *testing.T) {
	f := newFixture(t, nil)
	ctx := testContext(t)
	checkout, err := f.gateway.StartCheckout(ctx, checkoutRequest(t, "4.50", "USD"))
	if err != nil {
		t.Fatalf("StartCheckout: %v", err)
	}
	if _, err := f.gateway.Capture(ctx, checkout.Reference); !errors.Is(err, payments.ErrCaptureDeclined) {
		t.Errorf("capture before approval: error = %v, want ErrCaptureDeclined", err)
	}
	f.sim.Approve(checkout.Reference)
	f.sim.Decline(checkout.Reference)
	if _, err := f.gateway.Capture(ctx, checkout.Reference); !errors.Is(err, payments.ErrCaptureDeclined) {
		t.Errorf("declined capture: error = %v, want ErrCaptureDeclined", err)
	}
	if _, err := f.gateway.Capture(ctx, "SIMO-UNKNOWN"); !errors.Is(err, payments.ErrCaptureDeclined) {
		t.Errorf("capture of an unknown order: error = %v, want ErrCaptureDeclined", err)
	}

	f.sim.Fail(sim.Failure{Path: "/v2/checkout/orders/", Status: http.StatusServiceUnavailable, Times: 4})
	other, err := f.gateway.StartCheckout(ctx, checkoutRequest(t, "4.50", "USD"))
	if err == nil {
		f.sim.Approve(other.Reference)
		_, err = f.gateway.Capture(ctx, other.Reference)
	}
	if err == nil || errors.Is(err, payments.ErrCaptureDeclined) {
		t.Errorf("capture while PayPal answers 503: error = %v, want a retryable error", err)
	}
}
