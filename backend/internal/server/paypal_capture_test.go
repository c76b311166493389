package server

import (
	"context"
	"testing"

	"github.com/google/uuid"

	ordersapp "esimscan/backend/internal/orders/app"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/payments/paypal"
	"esimscan/backend/money"
)

// Events that name an order id no order can have are acknowledged, because
// PayPal's retries could never record them.
func TestApplyPayPalEvent_malformedOrderIDAcknowledged(t *testing.T) {
	f := newPayPalRefundFixture(t)
	for _, orderID := range []string{"../../etc", "nosuchorder123"} {
		events := []paypal.Event{
			{ID: "WH-1", Type: paypal.EventCaptureCompleted, CaptureID: "CAPTURE-1", CustomID: orderID,
				Amount: money.New(10_000_000, "USD")},
			{ID: "WH-2", Type: paypal.EventOrderApproved, OrderID: "PP-1", CustomID: orderID},
		}
		for _, event := range events {
			if err := f.server.applyPayPalEvent(context.Background(), f.gateway, event); err != nil {
				t.Errorf("%s for order id %q: %v, want it acknowledged", event.Type, orderID, err)
			}
		}
	}
}

// A PAYMENT.CAPTURE.COMPLETED for a cancelled order refunds the capture at
// PayPal and records it, instead of returning 503 forever.
func TestApplyPayPalEvent_captureOfCancelledOrderReturned(t *testing.T) {
	f := newPayPalRefundFixture(t)
	ctx := context.Background()
	placed, err := f.server.orders.PlaceOrder(ctx, ordersapp.PlaceOrder{PackageID: "pkg-jp", Email: "buyer@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	checkout, err := f.gateway.StartCheckout(ctx, payments.CheckoutRequest{
		OrderID: placed.ID, Amount: placed.Total, Description: "Japan 1 GB",
		ReturnURL: "http://127.0.0.1:1/back", CancelURL: "http://127.0.0.1:1/cancel",
	})
	if err != nil {
		t.Fatal(err)
	}
	f.sim.Approve(checkout.Reference)
	payment, err := f.gateway.Capture(ctx, checkout.Reference) // captured outside the store, as before a fix
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.server.orders.CancelOrder(ctx, placed.ID); err != nil {
		t.Fatal(err)
	}
	event := paypal.Event{ID: "WH-" + uuid.NewString(), Type: paypal.EventCaptureCompleted,
		CaptureID: payment.Reference, CustomID: placed.ID, Amount: payment.Amount}
	for range 2 {
		if err := f.server.applyPayPalEvent(ctx, f.gateway, event); err != nil {
			t.Fatalf("applyPayPalEvent: %v", err)
		}
	}
	if status, refunded, _ := f.sim.CaptureStatus(payment.Reference); status != "REFUNDED" || refunded != "10.00" {
		t.Errorf("capture at PayPal = %s with %s refunded, want REFUNDED in full", status, refunded)
	}
	events, err := f.store.ReadStream(ctx, "order-"+placed.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	returned := 0
	for _, recorded := range events {
		if recorded.Type == domain.EventPaymentReturned {
			returned++
		}
	}
	if returned != 1 {
		t.Errorf("PaymentReturned events = %d, want 1", returned)
	}
}
