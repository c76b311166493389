package stripe

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/uuid"

	ordersapp "esimscan/backend/internal/orders/app"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/money"
)

// sessionEvent is a signed-ready Checkout Session event of type eventType
// for a PaymentIntent of its own.
func sessionEvent(eventType, eventID, orderID, paymentStatus, paymentIntent string, amountTotal int64, currency string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"type":%q,"data":{"object":{"id":"cs_%s","object":"checkout.session",
		"client_reference_id":%q,"payment_status":%q,"payment_intent":%q,"amount_total":%d,"currency":%q}}}`,
		eventID, eventType, eventID, orderID, paymentStatus, paymentIntent, amountTotal, currency)
}

func (f *webhookFixture) returnedEvents(t *testing.T, orderID string) []domain.PaymentReturned {
	t.Helper()
	var returned []domain.PaymentReturned
	for _, event := range f.orderEvents(t, orderID, domain.EventPaymentReturned) {
		var decoded domain.PaymentReturned
		if err := json.Unmarshal(event, &decoded); err != nil {
			t.Fatal(err)
		}
		returned = append(returned, decoded)
	}
	return returned
}

func (f *webhookFixture) orderEvents(t *testing.T, orderID, eventType string) [][]byte {
	t.Helper()
	events, err := f.store.ReadStream(context.Background(), "order-"+orderID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var data [][]byte
	for _, event := range events {
		if event.Type == eventType {
			data = append(data, event.Data)
		}
	}
	return data
}

// Payments the order cannot take are refunded at once and recorded on the
// order, once per PaymentIntent however often Stripe delivers them.
func TestWebhook_Handle_returnsUnmatchedPayments(t *testing.T) {
	f := newWebhookFixture(t, money.New(4_500_000, "USD"))
	ctx := context.Background()

	cancelled := f.place(t)
	if _, err := f.orders.CancelOrder(ctx, cancelled); err != nil {
		t.Fatal(err)
	}
	paidOther := f.place(t)
	if err := f.deliver(completedEvent(newEventID(), paidOther, 450, "usd")); err != nil {
		t.Fatal(err)
	}
	refunded := f.place(t)
	if err := f.deliver(completedEvent(newEventID(), refunded, 450, "usd")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.orders.RefundOrder(ctx, ordersapp.RefundOrder{OrderID: refunded}); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		orderID  string
		amount   int64
		currency string
	}{
		"cancelled order":       {cancelled, 450, "usd"},
		"paid by another":       {paidOther, 450, "usd"},
		"refunded order":        {refunded, 450, "usd"},
		"amount differs":        {f.place(t), 449, "usd"},
		"currency differs":      {f.place(t), 450, "eur"},
		"zero-decimal currency": {f.place(t), 450, "jpy"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			intent := "pi_" + uuid.NewString()[:8]
			refundsBefore := f.gateway.count()
			for range 2 {
				payload := sessionEvent(EventCheckoutSessionCompleted, newEventID(), tc.orderID, "paid", intent, tc.amount, tc.currency)
				if err := f.deliver(payload); err != nil {
					t.Fatalf("Handle: %v, want the payment returned and acknowledged", err)
				}
			}
			var mine []domain.PaymentReturned
			for _, returned := range f.returnedEvents(t, tc.orderID) {
				if returned.PaymentReference == intent {
					mine = append(mine, returned)
				}
			}
			if len(mine) != 1 {
				t.Fatalf("PaymentReturned events for %s = %d, want 1", intent, len(mine))
			}
			if mine[0].Gateway != Name || mine[0].RefundReference == "" || mine[0].Reason == "" {
				t.Errorf("PaymentReturned = %+v", mine[0])
			}
			if got := f.gateway.count() - refundsBefore; got != 1 {
				t.Errorf("gateway refunds = %d, want 1", got)
			}
		})
	}
	if paid := f.paidEvents(t, paidOther); len(paid) != 1 {
		t.Errorf("OrderPaid events of the order paid before = %d, want 1", len(paid))
	}
}

// A refund that fails records PaymentUnmatched and asks Stripe to deliver
// again; the next delivery refunds and records PaymentReturned.
func TestWebhook_Handle_unmatchedRefundRetried(t *testing.T) {
	f := newWebhookFixture(t, money.New(4_500_000, "USD"))
	orderID := f.place(t)
	if _, err := f.orders.CancelOrder(context.Background(), orderID); err != nil {
		t.Fatal(err)
	}
	f.gateway.setFail(true)
	eventID := newEventID()
	payload := sessionEvent(EventCheckoutSessionCompleted, eventID, orderID, "paid", "pi_late", 450, "usd")
	if err := f.deliver(payload); err == nil {
		t.Fatal("Handle succeeded while the refund failed, want an error so Stripe retries")
	}
	if got := len(f.orderEvents(t, orderID, domain.EventPaymentUnmatched)); got != 1 {
		t.Fatalf("PaymentUnmatched events = %d, want 1", got)
	}
	if err := f.deliver(payload); err == nil {
		t.Fatal("second Handle succeeded while the refund failed")
	}
	if got := len(f.orderEvents(t, orderID, domain.EventPaymentUnmatched)); got != 1 {
		t.Errorf("PaymentUnmatched events after a second failure = %d, want 1", got)
	}

	f.gateway.setFail(false)
	if err := f.deliver(payload); err != nil {
		t.Fatalf("Handle after the gateway recovered: %v", err)
	}
	if got := len(f.returnedEvents(t, orderID)); got != 1 {
		t.Errorf("PaymentReturned events = %d, want 1", got)
	}
	if got := f.gateway.count(); got != 1 {
		t.Errorf("gateway refunds = %d, want 1", got)
	}
}

func TestWebhook_Handle_asyncPayment(t *testing.T) {
	f := newWebhookFixture(t, money.New(4_500_000, "USD"))
	orderID := f.place(t)
	completed := sessionEvent(EventCheckoutSessionCompleted, newEventID(), orderID, "unpaid", "pi_async", 450, "usd")
	if err := f.deliver(completed); err != nil {
		t.Fatalf("Handle completed: %v", err)
	}
	failed := sessionEvent(EventCheckoutSessionAsyncPaymentFailed, newEventID(), orderID, "unpaid", "pi_async", 450, "usd")
	if err := f.deliver(failed); err != nil {
		t.Fatalf("Handle async_payment_failed: %v", err)
	}
	if paid := f.paidEvents(t, orderID); len(paid) != 0 {
		t.Fatalf("OrderPaid events = %d before the delayed payment succeeded", len(paid))
	}
	succeeded := sessionEvent(EventCheckoutSessionAsyncPaymentSucceed, newEventID(), orderID, "paid", "pi_async", 450, "usd")
	if err := f.deliver(succeeded); err != nil {
		t.Fatalf("Handle async_payment_succeeded: %v", err)
	}
	paid := f.paidEvents(t, orderID)
	if len(paid) != 1 || paid[0].PaymentReference != "pi_async" || paid[0].Amount.String() != "4.50 USD" {
		t.Fatalf("OrderPaid = %+v, want one of 4.50 USD by pi_async", paid)
	}
}

// An order id that no order can have is acknowledged, because Stripe's
// retries could never record it.
func TestWebhook_Handle_malformedOrderIDAcknowledged(t *testing.T) {
	f := newWebhookFixture(t, money.New(4_500_000, "USD"))
	for _, orderID := range []string{"../../etc", "nosuchorder123", "0f0c4149-6e68-46b7-bd0a-7726316c375e/x"} {
		eventID := newEventID()
		if err := f.deliver(completedEvent(eventID, orderID, 450, "usd")); err != nil {
			t.Errorf("Handle for order id %q: %v, want it acknowledged", orderID, err)
		}
		if _, err := f.store.ReadStream(context.Background(), "stripe-event-"+eventID, 0); err != nil {
			t.Errorf("event for order id %q not reserved: %v", orderID, err)
		}
	}
	if got := f.gateway.count(); got != 0 {
		t.Errorf("gateway refunds = %d, want none without an order", got)
	}
}
