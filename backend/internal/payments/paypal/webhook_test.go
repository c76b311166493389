package paypal

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/providers/adapters"
	sim "esimscan/backend/internal/simulators/paypal"
)

// signedEvent delivers a simulator-signed event of eventType for webhookID
// to the fixture's gateway and returns the verified event.
func signedEvent(t *testing.T, f *fixture, webhookID, eventType string, resource any) Event {
	t.Helper()
	delivery, err := f.sim.SignedDelivery(webhookID, eventType, resource)
	if err != nil {
		t.Fatalf("SignedDelivery: %v", err)
	}
	event, err := f.gateway.VerifyWebhook(testContext(t), delivery.Header, delivery.Body)
	if err != nil {
		t.Fatalf("VerifyWebhook %s: %v", eventType, err)
	}
	return event
}

func TestVerifyWebhook_eventsOfAnOrder(t *testing.T) {
	f := newFixture(t, nil)
	ctx := testContext(t)
	req := checkoutRequest(t, "1.234", "KWD")
	checkout, err := f.gateway.StartCheckout(ctx, req)
	if err != nil {
		t.Fatalf("StartCheckout: %v", err)
	}
	f.sim.Approve(checkout.Reference)

	approved := signedEvent(t, f, f.config.WebhookID, sim.EventOrderApproved, f.sim.OrderResource(checkout.Reference))
	if approved.Type != EventOrderApproved || approved.OrderID != checkout.Reference || approved.CustomID != req.OrderID {
		t.Errorf("approved event = %+v", approved)
	}
	if approved.ID == "" {
		t.Error("approved event has no id")
	}

	payment, err := f.gateway.Capture(ctx, approved.OrderID)
	if err != nil {
		t.Fatalf("Capture: %v", err)
	}
	completed := signedEvent(t, f, f.config.WebhookID, sim.EventCaptureCompleted, f.sim.CaptureResource(payment.Reference))
	want := Event{
		ID: completed.ID, Type: EventCaptureCompleted, OrderID: checkout.Reference,
		CaptureID: payment.Reference, CustomID: req.OrderID, Amount: req.Amount, CreatedAt: completed.CreatedAt,
	}
	if completed.CreatedAt.IsZero() {
		t.Error("capture event has no create_time")
	}
	if completed != want {
		t.Errorf("capture event = %+v, want %+v", completed, want)
	}

	refund, err := f.gateway.Refund(ctx, payments.RefundRequest{
		OrderID: req.OrderID, PaymentReference: payment.Reference, Amount: mustMoney(t, "0.500", "KWD"),
	})
	if err != nil {
		t.Fatalf("Refund: %v", err)
	}
	refunded := signedEvent(t, f, f.config.WebhookID, sim.EventCaptureRefunded, f.sim.LastRefundResource(payment.Reference))
	if refunded.RefundID != refund.Reference || refunded.CaptureID != payment.Reference ||
		refunded.CustomID != req.OrderID || refunded.Amount != mustMoney(t, "0.5", "KWD") {
		t.Errorf("refund event = %+v", refunded)
	}
}

// A denied capture names the store's order and PayPal's order, so that the
// order's capture hold can be released.
func TestVerifyWebhook_captureDenied(t *testing.T) {
	f := newFixture(t, nil)
	ctx := testContext(t)
	req := checkoutRequest(t, "10.00", "USD")
	checkout, err := f.gateway.StartCheckout(ctx, req)
	if err != nil {
		t.Fatalf("StartCheckout: %v", err)
	}
	f.sim.Approve(checkout.Reference)
	payment, err := f.gateway.Capture(ctx, checkout.Reference)
	if err != nil {
		t.Fatalf("Capture: %v", err)
	}

	denied := signedEvent(t, f, f.config.WebhookID, EventCaptureDenied, f.sim.CaptureResource(payment.Reference))

	if denied.Type != EventCaptureDenied || denied.OrderID != checkout.Reference || denied.CustomID != req.OrderID ||
		denied.CaptureID != payment.Reference {
		t.Errorf("denied event = %+v, want the capture, PayPal's order %s and order %s", denied, checkout.Reference, req.OrderID)
	}
}

func TestVerifyWebhook_rejectsForgeries(t *testing.T) {
	f := newFixture(t, nil)
	resource := map[string]any{"id": "SIMO1", "purchase_units": []any{map[string]any{"custom_id": "ord-1"}}}

	delivery, err := f.sim.SignedDelivery(f.config.WebhookID, sim.EventOrderApproved, resource)
	if err != nil {
		t.Fatalf("SignedDelivery: %v", err)
	}
	tampered := bytes.Replace(delivery.Body, []byte("ord-1"), []byte("ord-2"), 1)
	if _, err := f.gateway.VerifyWebhook(testContext(t), delivery.Header, tampered); !errors.Is(err, ErrInvalidWebhook) {
		t.Errorf("tampered body: error = %v, want ErrInvalidWebhook", err)
	}

	other, err := f.sim.SignedDelivery("WH-another-webhook", sim.EventOrderApproved, resource)
	if err != nil {
		t.Fatalf("SignedDelivery: %v", err)
	}
	if _, err := f.gateway.VerifyWebhook(testContext(t), other.Header, other.Body); !errors.Is(err, ErrInvalidWebhook) {
		t.Errorf("other webhook id: error = %v, want ErrInvalidWebhook", err)
	}

	missing := delivery.Header.Clone()
	missing.Del("Paypal-Transmission-Sig")
	if _, err := f.gateway.VerifyWebhook(testContext(t), missing, delivery.Body); !errors.Is(err, ErrInvalidWebhook) {
		t.Errorf("missing signature header: error = %v, want ErrInvalidWebhook", err)
	}
	if _, err := f.gateway.VerifyWebhook(testContext(t), delivery.Header, []byte("not json")); !errors.Is(err, ErrInvalidWebhook) {
		t.Errorf("non-JSON body: error = %v, want ErrInvalidWebhook", err)
	}
}

func TestVerifyWebhook_forwardsExactBytes(t *testing.T) {
	f := newFixture(t, nil)
	event := map[string]any{
		"id": "WH-pretty-1", "event_type": "CHECKOUT.ORDER.APPROVED",
		"resource": map[string]any{"id": "SIMO9", "purchase_units": []any{map[string]any{"custom_id": "ord-9"}}},
	}
	pretty, err := json.MarshalIndent(event, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	delivery := f.sim.Sign(f.config.WebhookID, "TX-pretty-1", pretty)
	got, err := f.gateway.VerifyWebhook(testContext(t), delivery.Header, delivery.Body)
	if err != nil {
		t.Fatalf("VerifyWebhook of an indented body: %v", err)
	}
	if got.OrderID != "SIMO9" || got.CustomID != "ord-9" {
		t.Errorf("event = %+v", got)
	}
}

func TestVerifyWebhook_verificationUnavailable(t *testing.T) {
	f := newFixture(t, nil)
	delivery, err := f.sim.SignedDelivery(f.config.WebhookID, sim.EventOrderApproved, map[string]string{"id": "SIMO1"})
	if err != nil {
		t.Fatalf("SignedDelivery: %v", err)
	}
	f.sim.Fail(sim.Failure{Path: sim.PathVerifyWebhook, Status: http.StatusServiceUnavailable, Times: 5})
	_, err = f.gateway.VerifyWebhook(testContext(t), delivery.Header, delivery.Body)
	if errors.Is(err, ErrInvalidWebhook) || adapters.CauseOf(err) != adapters.CauseServerError {
		t.Errorf("error = %v, want a server_error that is not ErrInvalidWebhook, so the route answers 5xx", err)
	}
}

func TestVerifyWebhook_otherEventType(t *testing.T) {
	f := newFixture(t, nil)
	event := signedEvent(t, f, f.config.WebhookID, "PAYMENT.CAPTURE.REVERSED", map[string]string{"id": "SIMC1"})
	if event.Type != "PAYMENT.CAPTURE.REVERSED" || event.ID == "" || event.CaptureID != "" {
		t.Errorf("event = %+v, want only id and type", event)
	}
}
