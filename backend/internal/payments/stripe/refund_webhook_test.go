package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	ordersapp "esimscan/backend/internal/orders/app"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/payments"
	"esimscan/backend/money"
)

// orderRefunds records reported refunds through the orders service, as
// the server wires it.
type orderRefunds struct{ orders *ordersapp.Service }

func (r orderRefunds) RecordRefund(ctx context.Context, gateway string, refund payments.ReportedRefund) error {
	_, err := r.orders.RecordRefund(ctx, ordersapp.RecordRefund{
		OrderID: refund.OrderID, Gateway: gateway, RefundReference: refund.Reference, Amount: refund.Amount, At: refund.At,
	})
	return err
}

// fakeLookup plays the Stripe API for refund events that lack data.
type fakeLookup struct {
	mu      sync.Mutex
	refunds map[string][]ChargeRefund // by charge id
	orders  map[string]string         // order id by PaymentIntent id
	err     error
	calls   int
}

func (l *fakeLookup) ChargeRefunds(_ context.Context, chargeID string) ([]ChargeRefund, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	return l.refunds[chargeID], l.err
}

func (l *fakeLookup) PaymentIntentOrderID(_ context.Context, paymentIntentID string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	return l.orders[paymentIntentID], l.err
}

// newRefundFixture returns a webhook fixture whose order of 4.50 USD is
// paid through Stripe with PaymentIntent pi_<orderID>.
func newRefundFixture(t *testing.T) (*webhookFixture, *fakeLookup, string) {
	t.Helper()
	f := newWebhookFixture(t, money.New(4_500_000, "USD"))
	lookup := &fakeLookup{refunds: map[string][]ChargeRefund{}, orders: map[string]string{}}
	f.webhook.Refunds = orderRefunds{f.orders}
	f.webhook.Lookup = func(context.Context) (ChargeLookup, error) { return lookup, nil }
	orderID := f.place(t)
	eventID := newEventID()
	if err := f.deliver(completedEventWithIntent(eventID, orderID, "pi_"+orderID)); err != nil {
		t.Fatalf("deliver the payment: %v", err)
	}
	return f, lookup, orderID
}

func completedEventWithIntent(eventID, orderID, paymentIntent string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"type":"checkout.session.completed","data":{"object":{
		"id":"cs_%s","client_reference_id":%q,"payment_status":"paid","payment_intent":%q,
		"amount_total":450,"currency":"usd"}}}`, eventID, eventID, orderID, paymentIntent)
}

type wireTestRefund struct {
	ID     string `json:"id"`
	Amount int64  `json:"amount"`
	Status string `json:"status"`
}

// chargeRefundedEvent is charge.refunded as an endpoint on API version
// 2019-02-19 receives it, with the refunds list, or as one on 2022-11-15
// or later receives it when refunds is nil.
func chargeRefundedEvent(eventID, orderID, paymentIntent string, refunds []wireTestRefund) []byte {
	metadata := "{}"
	if orderID != "" {
		metadata = fmt.Sprintf(`{"order_id":%q}`, orderID)
	}
	list := ""
	if refunds != nil {
		data := make([]map[string]any, 0, len(refunds))
		for _, r := range refunds {
			data = append(data, map[string]any{"id": r.ID, "object": "refund", "amount": r.Amount,
				"currency": "usd", "status": r.Status, "created": 1740830400})
		}
		encoded, _ := json.Marshal(map[string]any{"object": "list", "data": data, "has_more": false})
		list = `,"refunds":` + string(encoded)
	}
	return fmt.Appendf(nil, `{"id":%q,"object":"event","api_version":"2019-02-19","type":"charge.refunded",
		"data":{"object":{"id":"ch_%s","object":"charge","amount":450,"currency":"usd","refunded":true,
		"metadata":%s,"payment_intent":%q%s}}}`, eventID, eventID, metadata, paymentIntent, list)
}

func refundEvent(eventType, eventID, orderID, paymentIntent string, refund wireTestRefund) []byte {
	metadata := "{}"
	if orderID != "" {
		metadata = fmt.Sprintf(`{"order_id":%q}`, orderID)
	}
	return fmt.Appendf(nil, `{"id":%q,"object":"event","type":%q,"data":{"object":{"id":%q,"object":"refund",
		"amount":%d,"currency":"usd","status":%q,"charge":"ch_x","payment_intent":%q,"metadata":%s,
		"created":1740830400}}}`, eventID, eventType, refund.ID, refund.Amount, refund.Status, paymentIntent, metadata)
}

func (f *webhookFixture) refundedEvents(t *testing.T, orderID string) []domain.OrderRefunded {
	t.Helper()
	events, err := f.store.ReadStream(context.Background(), "order-"+orderID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var refunded []domain.OrderRefunded
	for _, event := range events {
		if event.Type != domain.EventOrderRefunded {
			continue
		}
		var decoded domain.OrderRefunded
		if err := json.Unmarshal(event.Data, &decoded); err != nil {
			t.Fatal(err)
		}
		refunded = append(refunded, decoded)
	}
	return refunded
}

func TestWebhook_Handle_chargeRefundedRecordsOnce(t *testing.T) {
	f, lookup, orderID := newRefundFixture(t)
	refund := []wireTestRefund{{ID: "re_" + orderID[:8], Amount: 150, Status: "succeeded"}}
	payload := chargeRefundedEvent(newEventID(), orderID, "pi_"+orderID, refund)
	for range 2 {
		if err := f.deliver(payload); err != nil {
			t.Fatalf("Handle: %v", err)
		}
	}
	// Another event reporting the same refund records nothing either.
	if err := f.deliver(chargeRefundedEvent(newEventID(), orderID, "pi_"+orderID, refund)); err != nil {
		t.Fatalf("Handle of a second event: %v", err)
	}
	refunded := f.refundedEvents(t, orderID)
	if len(refunded) != 1 {
		t.Fatalf("OrderRefunded events = %d, want 1", len(refunded))
	}
	got := refunded[0]
	if got.Gateway != Name || got.RefundReference != refund[0].ID || got.Amount.String() != "1.50 USD" {
		t.Errorf("OrderRefunded = %+v", got)
	}
	if got.RefundedAt.Unix() != 1740830400 {
		t.Errorf("refunded_at = %s, want the refund's created time", got.RefundedAt)
	}
	if lookup.calls != 0 {
		t.Errorf("Stripe API calls = %d, want none for an event with its refunds and order id", lookup.calls)
	}
}

func TestWebhook_Handle_partialRefundsReachRefunded(t *testing.T) {
	f, _, orderID := newRefundFixture(t)
	first := wireTestRefund{ID: "re_a" + orderID[:8], Amount: 200, Status: "succeeded"}
	second := wireTestRefund{ID: "re_b" + orderID[:8], Amount: 250, Status: "succeeded"}
	if err := f.deliver(chargeRefundedEvent(newEventID(), orderID, "pi_"+orderID, []wireTestRefund{first})); err != nil {
		t.Fatalf("first refund: %v", err)
	}
	// The charge lists every refund so far, the first one included.
	if err := f.deliver(chargeRefundedEvent(newEventID(), orderID, "pi_"+orderID, []wireTestRefund{second, first})); err != nil {
		t.Fatalf("second refund: %v", err)
	}
	if got := len(f.refundedEvents(t, orderID)); got != 2 {
		t.Fatalf("OrderRefunded events = %d, want 2", got)
	}
	status, _, err := f.orders.PaymentStatus(context.Background(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	if status != string(domain.StatusRefunded) {
		t.Errorf("status = %s, want refunded", status)
	}
}

func TestWebhook_Handle_dashboardRefundOnNewAPIVersion(t *testing.T) {
	f, lookup, orderID := newRefundFixture(t)
	eventID := newEventID()
	lookup.orders["pi_"+orderID] = orderID
	lookup.refunds["ch_"+eventID] = []ChargeRefund{
		{ID: "re_dash" + orderID[:8], Amount: 450, Currency: "USD", Status: RefundSucceeded},
	}
	// No refunds list and no metadata: the charge of a dashboard refund
	// as an endpoint on API version 2022-11-15 or later receives it.
	if err := f.deliver(chargeRefundedEvent(eventID, "", "pi_"+orderID, nil)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	refunded := f.refundedEvents(t, orderID)
	if len(refunded) != 1 || refunded[0].RefundReference != "re_dash"+orderID[:8] || refunded[0].Amount.String() != "4.50 USD" {
		t.Fatalf("OrderRefunded events = %+v, want one of 4.50 USD", refunded)
	}
	if lookup.calls != 2 {
		t.Errorf("Stripe API calls = %d, want 2 (order id, refunds)", lookup.calls)
	}
}

func TestWebhook_Handle_pendingRefundRecordedWhenSucceeded(t *testing.T) {
	f, _, orderID := newRefundFixture(t)
	refund := wireTestRefund{ID: "re_pend" + orderID[:8], Amount: 100, Status: "pending"}
	if err := f.deliver(refundEvent(EventRefundCreated, newEventID(), "", "pi_"+orderID, refund)); err != nil {
		t.Fatalf("refund.created: %v", err)
	}
	if got := len(f.refundedEvents(t, orderID)); got != 0 {
		t.Fatalf("OrderRefunded events for a pending refund = %d, want 0", got)
	}
	refund.Status = RefundSucceeded
	if err := f.deliver(refundEvent(EventRefundUpdated, newEventID(), orderID, "pi_"+orderID, refund)); err != nil {
		t.Fatalf("refund.updated: %v", err)
	}
	if err := f.deliver(refundEvent(EventChargeRefundUpdated, newEventID(), orderID, "pi_"+orderID, refund)); err != nil {
		t.Fatalf("charge.refund.updated: %v", err)
	}
	if got := len(f.refundedEvents(t, orderID)); got != 1 {
		t.Fatalf("OrderRefunded events = %d, want 1", got)
	}
}

func TestWebhook_Handle_refundRejectedIsAcknowledged(t *testing.T) {
	f, _, orderID := newRefundFixture(t)
	eventID := newEventID()
	tooMuch := []wireTestRefund{{ID: "re_big" + orderID[:8], Amount: 451, Status: "succeeded"}}
	if err := f.deliver(chargeRefundedEvent(eventID, orderID, "pi_"+orderID, tooMuch)); err != nil {
		t.Fatalf("Handle of an over-refund = %v, want nil so Stripe stops retrying", err)
	}
	if got := len(f.refundedEvents(t, orderID)); got != 0 {
		t.Errorf("OrderRefunded events = %d, want 0", got)
	}
	if _, err := f.store.ReadStream(context.Background(), "stripe-event-"+eventID, 0); err != nil {
		t.Errorf("the rejected event is not reserved: %v", err)
	}
}

func TestWebhook_Handle_refundRetriedUntilRecordable(t *testing.T) {
	f, lookup, _ := newRefundFixture(t)
	unknown := "00000000-0000-4000-8000-00000000abcd"
	eventID := newEventID()
	refund := []wireTestRefund{{ID: "re_unknown_order", Amount: 100, Status: "succeeded"}}
	if err := f.deliver(chargeRefundedEvent(eventID, unknown, "pi_x", refund)); err == nil {
		t.Error("Handle of a refund of an order the log lacks = nil, want an error so Stripe retries")
	}
	if _, err := f.store.ReadStream(context.Background(), "stripe-event-"+eventID, 0); err == nil {
		t.Error("an event not recorded was reserved")
	}

	pending := f.place(t)
	refund[0].ID = "re_before_payment"
	if err := f.deliver(chargeRefundedEvent(newEventID(), pending, "pi_y", refund)); err == nil {
		t.Error("Handle of a refund before the payment = nil, want an error so Stripe retries")
	}

	lookup.err = errors.New("stripe is down")
	if err := f.deliver(chargeRefundedEvent(newEventID(), "", "pi_z", nil)); err == nil {
		t.Error("Handle while the Stripe API fails = nil, want an error so Stripe retries")
	}
}
