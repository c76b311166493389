package app

import (
	"context"
	"testing"

	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/money"
)

// webhookFirstGateway refunds like fakeGateway, but the gateway's webhook
// records the refund before Refund returns, as when the webhook wins the
// race against the admin's request.
type webhookFirstGateway struct {
	fakeGateway
	service *Service
	err     error // the webhook's RecordRefund error
}

func (g *webhookFirstGateway) Refund(ctx context.Context, req payments.RefundRequest) (payments.Refund, error) {
	refund, err := g.fakeGateway.Refund(ctx, req)
	if err != nil {
		return payments.Refund{}, err
	}
	_, g.err = g.service.RecordRefund(context.Background(), RecordRefund{
		OrderID: req.OrderID, Gateway: g.name, RefundReference: refund.Reference, Amount: refund.Amount, At: fixedNow,
	})
	return refund, nil
}

func (f *fixture) recordRefund(t *testing.T, orderID, reference, amount string) error {
	t.Helper()
	_, err := f.service.RecordRefund(context.Background(), RecordRefund{
		OrderID: orderID, Gateway: "test", RefundReference: reference, Amount: usd(amount), At: fixedNow,
	})
	return err
}

func (f *fixture) refunds(t *testing.T, orderID string) int {
	t.Helper()
	return countType(f.typesOf(t, orderID), domain.EventOrderRefunded)
}

func TestService_RecordRefund_twiceRecordsOnce(t *testing.T) {
	f := newFixture(t)
	placed := f.placeAndPay(t)
	for range 2 {
		if err := f.recordRefund(t, placed.ID, "re_dashboard_1", "1.00"); err != nil {
			t.Fatalf("RecordRefund: %v", err)
		}
	}
	if got := f.refunds(t, placed.ID); got != 1 {
		t.Fatalf("OrderRefunded events = %d, want 1", got)
	}
	var refunded domain.OrderRefunded
	f.lastEvent(t, placed.ID, domain.EventOrderRefunded, &refunded)
	if refunded.Gateway != "test" || refunded.RefundReference != "re_dashboard_1" || refunded.Amount != usd("1.00") {
		t.Errorf("OrderRefunded = %+v", refunded)
	}
	if !refunded.RefundedAt.Equal(fixedNow) {
		t.Errorf("refunded_at = %s, want %s", refunded.RefundedAt, fixedNow)
	}
}

func TestService_RecordRefund_afterAdminRefund(t *testing.T) {
	test := &fakeGateway{name: "test"}
	f := newFixture(t, withGateways(fakeGateways{"test": test}))
	placed := f.placeAndPay(t)
	if _, err := f.service.RefundOrder(context.Background(), RefundOrder{OrderID: placed.ID}); err != nil {
		t.Fatalf("RefundOrder: %v", err)
	}
	var refunded domain.OrderRefunded
	f.lastEvent(t, placed.ID, domain.EventOrderRefunded, &refunded)

	// The gateway's webhook reports the admin's own refund.
	if err := f.recordRefund(t, placed.ID, refunded.RefundReference, "4.50"); err != nil {
		t.Fatalf("RecordRefund of the admin's refund: %v", err)
	}
	if got := f.refunds(t, placed.ID); got != 1 {
		t.Fatalf("OrderRefunded events = %d, want 1", got)
	}
}

func TestService_RefundOrder_webhookRecordedFirst(t *testing.T) {
	f := newFixture(t)
	racing := &webhookFirstGateway{fakeGateway: fakeGateway{name: "test"}, service: f.service}
	f.service.gateways = fakeGateways{"test": racing}
	placed := f.placeAndPay(t)

	if _, err := f.service.RefundOrder(context.Background(), RefundOrder{OrderID: placed.ID, Amount: "1.50"}); err != nil {
		t.Fatalf("RefundOrder after the webhook recorded the refund: %v", err)
	}
	if racing.err != nil {
		t.Fatalf("webhook RecordRefund: %v", racing.err)
	}
	if got := f.refunds(t, placed.ID); got != 1 {
		t.Fatalf("OrderRefunded events = %d, want 1", got)
	}
}

func TestService_RefundOrder_retryAfterWebhook(t *testing.T) {
	test := &fakeGateway{name: "test"}
	f := newFixture(t, withGateways(fakeGateways{"test": test}))
	placed := f.placeAndPay(t)
	// The admin's first request refunded at the gateway but was not
	// recorded; the webhook recorded it instead.
	if err := f.recordRefund(t, placed.ID, "re_lost_append", "4.50"); err != nil {
		t.Fatalf("RecordRefund: %v", err)
	}

	_, err := f.service.RefundOrder(context.Background(), RefundOrder{OrderID: placed.ID})
	wantAppError(t, err, apperr.KindConflict, domain.CodeAlreadyRefunded, "")
	if len(test.keys) != 0 {
		t.Errorf("gateway called %d times for an order already refunded", len(test.keys))
	}
	if got := f.refunds(t, placed.ID); got != 1 {
		t.Fatalf("OrderRefunded events = %d, want 1", got)
	}
}

func TestService_RecordRefund_partialsReachRefunded(t *testing.T) {
	f := newFixture(t)
	placed := f.placeAndPay(t)
	if err := f.recordRefund(t, placed.ID, "re_part_1", "1.50"); err != nil {
		t.Fatalf("first RecordRefund: %v", err)
	}
	if status := f.orderStatus(t, placed.ID); status != domain.StatusPaid {
		t.Errorf("status after a partial refund = %s, want paid", status)
	}
	if err := f.recordRefund(t, placed.ID, "re_part_2", "3.00"); err != nil {
		t.Fatalf("second RecordRefund: %v", err)
	}
	if status := f.orderStatus(t, placed.ID); status != domain.StatusRefunded {
		t.Errorf("status after refunds of the whole total = %s, want refunded", status)
	}
	if got := f.refunds(t, placed.ID); got != 2 {
		t.Errorf("OrderRefunded events = %d, want 2", got)
	}
}

func TestService_RecordRefund_rejected(t *testing.T) {
	f := newFixture(t)
	placed := f.placeAndPay(t)

	err := f.recordRefund(t, placed.ID, "re_too_much", "4.51")
	wantAppError(t, err, apperr.KindInvalid, "refund_exceeds_paid", "amount")

	_, err = f.service.RecordRefund(context.Background(), RecordRefund{
		OrderID: placed.ID, Gateway: "test", RefundReference: "re_euro", Amount: euros("1.00"),
	})
	wantAppError(t, err, apperr.KindInvalid, "invalid_amount", "amount")

	_, err = f.service.RecordRefund(context.Background(), RecordRefund{
		OrderID: placed.ID, Gateway: "stripe", RefundReference: "re_other_gateway", Amount: usd("1.00"),
	})
	wantAppError(t, err, apperr.KindConflict, "refund_gateway_mismatch", "")

	err = f.recordRefund(t, placed.ID, "", "1.00")
	wantAppError(t, err, apperr.KindInvalid, "invalid_refund_reference", "refund_reference")

	if got := f.refunds(t, placed.ID); got != 0 {
		t.Errorf("OrderRefunded events after rejected refunds = %d, want 0", got)
	}
}

func TestService_RecordRefund_orderNotReady(t *testing.T) {
	f := newFixture(t)
	err := f.recordRefund(t, "00000000-0000-4000-8000-000000000002", "re_unknown_order", "1.00")
	wantAppError(t, err, apperr.KindNotFound, "order_not_found", "")

	pending := f.place(t)
	err = f.recordRefund(t, pending.ID, "re_before_payment", "1.00")
	wantAppError(t, err, apperr.KindUnavailable, "refund_before_payment", "")

	cancelled := f.place(t)
	if _, err := f.service.CancelOrder(context.Background(), cancelled.ID); err != nil {
		t.Fatalf("CancelOrder: %v", err)
	}
	err = f.recordRefund(t, cancelled.ID, "re_cancelled", "1.00")
	wantAppError(t, err, apperr.KindConflict, domain.CodeNotRefundable, "")
}

func euros(amount string) money.Money {
	m := usd(amount)
	m.Currency = "EUR"
	return m
}

func TestService_RecordRefund_malformedOrderIDFinal(t *testing.T) {
	f := newFixture(t)
	for _, orderID := range []string{"../../etc", "nosuchorder123", ""} {
		err := f.recordRefund(t, orderID, "re_1", "1.00")
		wantAppError(t, err, apperr.KindInvalid, "invalid_order_id", "order_id")
	}
}
