package domain

import (
	"errors"
	"testing"
)

func cancelledEvent() OrderCancelled {
	return OrderCancelled{OrderID: "order-under-test", CancelledAt: testTime}
}

func refundedEvent(amount string) OrderRefunded {
	return OrderRefunded{OrderID: "order-under-test", Gateway: "test", RefundReference: "re_" + amount, Amount: usd(amount), RefundedAt: testTime}
}

func wantTransition(t *testing.T, err error, code string) {
	t.Helper()
	var transition *TransitionError
	if !errors.As(err, &transition) {
		t.Fatalf("error = %v, want a TransitionError", err)
	}
	if transition.Code != code {
		t.Fatalf("code = %s, want %s", transition.Code, code)
	}
}

func TestOrder_Cancel_pendingOnly(t *testing.T) {
	order := given(t, placed(t, 1))
	event, err := order.Cancel(testTime)
	if err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if event.OrderID != "order-under-test" {
		t.Fatalf("order id = %q", event.OrderID)
	}
	cancelled := given(t, placed(t, 1), event)
	if cancelled.Status() != StatusCancelled {
		t.Fatalf("status = %s, want cancelled", cancelled.Status())
	}

	cases := map[string]*Order{
		"cancelled": cancelled,
		"paid":      given(t, placed(t, 1), paidEvent("ref")),
		"refunded":  given(t, placed(t, 1), paidEvent("ref"), refundedEvent("4.50")),
	}
	for name, order := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := order.Cancel(testTime)
			wantTransition(t, err, CodeNotCancellable)
		})
	}
}

func TestOrder_Pay_cancelledRejected(t *testing.T) {
	order := given(t, placed(t, 1), cancelledEvent())
	_, err := order.Pay("stripe", "pi_1", usd("4.50"), testTime)
	wantTransition(t, err, CodeNotPayable)
}

func TestOrder_StartCheckout_transitions(t *testing.T) {
	order := given(t, placed(t, 1))
	event, err := order.StartCheckout("stripe", "cs_1", testTime)
	if err != nil {
		t.Fatalf("StartCheckout: %v", err)
	}
	started := given(t, placed(t, 1), event)
	if started.Status() != StatusPendingPayment {
		t.Fatalf("status = %s, want pending_payment", started.Status())
	}
	if started.Checkout().Reference != "cs_1" {
		t.Fatalf("checkout reference = %q", started.Checkout().Reference)
	}
	_, err = given(t, placed(t, 1), paidEvent("ref")).StartCheckout("stripe", "cs_2", testTime)
	wantTransition(t, err, CodeAlreadyPaid)
	_, err = given(t, placed(t, 1), cancelledEvent()).StartCheckout("stripe", "cs_3", testTime)
	wantTransition(t, err, CodeNotPayable)
}

func TestOrder_Refund_partialThenFull(t *testing.T) {
	order := given(t, placed(t, 1), paidEvent("ref"))
	partial, err := order.Refund("re_1", usd("1.50"), testTime)
	if err != nil {
		t.Fatalf("partial Refund: %v", err)
	}
	if partial.Gateway != "test" {
		t.Fatalf("gateway = %q, want the payment's gateway", partial.Gateway)
	}
	order = given(t, placed(t, 1), paidEvent("ref"), partial)
	if order.Status() != StatusPaid {
		t.Fatalf("status after partial refund = %s, want paid", order.Status())
	}
	if got := order.RefundableAmount(); got != usd("3.00") {
		t.Fatalf("refundable = %s, want 3.00 USD", got)
	}
	if order.Refunds() != 1 {
		t.Fatalf("refunds = %d, want 1", order.Refunds())
	}

	_, err = order.Refund("re_2", usd("3.01"), testTime)
	if !errors.Is(err, ErrRefundExceedsPaid) {
		t.Fatalf("refund over the rest: error = %v, want ErrRefundExceedsPaid", err)
	}
	rest, err := order.Refund("re_2", usd("3.00"), testTime)
	if err != nil {
		t.Fatalf("full Refund: %v", err)
	}
	order = given(t, placed(t, 1), paidEvent("ref"), partial, rest)
	if order.Status() != StatusRefunded {
		t.Fatalf("status after full refund = %s, want refunded", order.Status())
	}
	_, err = order.Refund("re_3", usd("0.01"), testTime)
	wantTransition(t, err, CodeAlreadyRefunded)
}

func TestOrder_Refund_rejected(t *testing.T) {
	paid := given(t, placed(t, 1), paidEvent("ref"))
	if _, err := paid.Refund("re", usd("4.51"), testTime); !errors.Is(err, ErrRefundExceedsPaid) {
		t.Fatalf("refund above paid: error = %v, want ErrRefundExceedsPaid", err)
	}
	if _, err := paid.Refund("re", usd("0"), testTime); !errors.Is(err, ErrInvalidRefundAmount) {
		t.Fatalf("zero refund: error = %v, want ErrInvalidRefundAmount", err)
	}
	euros := usd("1.00")
	euros.Currency = "EUR"
	if _, err := paid.Refund("re", euros, testTime); !errors.Is(err, ErrInvalidRefundAmount) {
		t.Fatalf("refund in EUR: error = %v, want ErrInvalidRefundAmount", err)
	}
	_, err := given(t, placed(t, 1)).Refund("re", usd("1.00"), testTime)
	wantTransition(t, err, CodeNotRefundable)
	_, err = given(t, placed(t, 1), cancelledEvent()).Refund("re", usd("1.00"), testTime)
	wantTransition(t, err, CodeNotRefundable)
}

func TestOrder_Refund_issuedAndFailedOrders(t *testing.T) {
	failed := given(t, placed(t, 1), paidEvent("ref"), OrderFailed{OrderID: "order-under-test", Reason: "x", FailedAt: testTime})
	if _, err := failed.Refund("re", usd("4.50"), testTime); err != nil {
		t.Fatalf("refund of a failed order: %v", err)
	}
	started := ProvisioningStarted{OrderID: "order-under-test", Driver: DriverManual, StartedAt: testTime}
	issued := ESIMIssued{OrderID: "order-under-test", ESIMs: []ESIM{{ICCID: "8901", LPA: "LPA:1$x$y"}}, IssuedAt: testTime}
	order := given(t, placed(t, 1), paidEvent("ref"), started, issued, refundedEvent("4.50"))
	if order.Status() != StatusRefunded {
		t.Fatalf("status = %s, want refunded", order.Status())
	}
	if _, err := order.StartProvisioning(DriverManual, testTime); err == nil {
		t.Fatal("StartProvisioning of a refunded order: no error")
	}
}

func TestOrder_HasRefund_keepsEveryReference(t *testing.T) {
	first := refundedEvent("1.00")
	second := refundedEvent("2.00")
	order := given(t, placed(t, 1), paidEvent("ref"), first, second)
	for _, reference := range []string{first.RefundReference, second.RefundReference} {
		if !order.HasRefund(reference) {
			t.Errorf("HasRefund(%q) = false, want true", reference)
		}
	}
	if order.HasRefund("re_unknown") {
		t.Error("HasRefund of an unrecorded reference = true")
	}
	if given(t, placed(t, 1)).HasRefund("") {
		t.Error("HasRefund on an order without refunds = true")
	}
}

func TestOrder_RecordRefund_knownReferenceRecordsNothing(t *testing.T) {
	recorded := refundedEvent("4.50")
	order := given(t, placed(t, 1), paidEvent("ref"), recorded)
	event, err := order.RecordRefund("test", recorded.RefundReference, usd("4.50"), testTime)
	if err != nil {
		t.Fatalf("RecordRefund of a recorded reference: %v", err)
	}
	if event != nil {
		t.Fatalf("RecordRefund of a recorded reference = %+v, want no event", event)
	}
}

func TestOrder_RecordRefund_partialsReachRefunded(t *testing.T) {
	order := given(t, placed(t, 1), paidEvent("ref"))
	first, err := order.RecordRefund("test", "re_a", usd("1.25"), testTime)
	if err != nil || first == nil {
		t.Fatalf("first RecordRefund = %v, %v", first, err)
	}
	if first.Gateway != "test" || first.RefundReference != "re_a" || first.Amount != usd("1.25") {
		t.Errorf("first OrderRefunded = %+v", first)
	}
	order = given(t, placed(t, 1), paidEvent("ref"), *first)
	second, err := order.RecordRefund("test", "re_b", usd("3.25"), testTime)
	if err != nil || second == nil {
		t.Fatalf("second RecordRefund = %v, %v", second, err)
	}
	order = given(t, placed(t, 1), paidEvent("ref"), *first, *second)
	if order.Status() != StatusRefunded {
		t.Errorf("status = %s, want refunded", order.Status())
	}
}

func TestOrder_RecordRefund_rejected(t *testing.T) {
	paid := given(t, placed(t, 1), paidEvent("ref"))
	if _, err := paid.RecordRefund("test", "re_1", usd("4.51"), testTime); !errors.Is(err, ErrRefundExceedsPaid) {
		t.Errorf("over-refund: error = %v, want ErrRefundExceedsPaid", err)
	}
	euros := usd("1.00")
	euros.Currency = "EUR"
	if _, err := paid.RecordRefund("test", "re_2", euros, testTime); !errors.Is(err, ErrInvalidRefundAmount) {
		t.Errorf("refund in EUR: error = %v, want ErrInvalidRefundAmount", err)
	}
	if _, err := paid.RecordRefund("stripe", "re_3", usd("1.00"), testTime); !errors.Is(err, ErrRefundGatewayMismatch) {
		t.Errorf("refund from another gateway: error = %v, want ErrRefundGatewayMismatch", err)
	}
	_, err := given(t, placed(t, 1)).RecordRefund("test", "re_4", usd("1.00"), testTime)
	wantTransition(t, err, CodeNotRefundable)
}
