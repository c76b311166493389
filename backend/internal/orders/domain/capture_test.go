package domain

import (
	"errors"
	"testing"
)

func holdEvent(reference string) PaymentCaptureStarted {
	return PaymentCaptureStarted{OrderID: "order-under-test", Gateway: "paypal", Reference: reference, At: testTime}
}

// checkoutEvent is the PayPal checkout whose capture a test holds.
func checkoutEvent(reference string) CheckoutStarted {
	return CheckoutStarted{OrderID: "order-under-test", Gateway: "paypal", Reference: reference, At: testTime}
}

func TestOrder_StartCapture_holdsPendingOrder(t *testing.T) {
	order := given(t, placed(t, 1), checkoutEvent("PP-1"))
	event, err := order.StartCapture("paypal", "PP-1", testTime)
	if err != nil || event == nil {
		t.Fatalf("StartCapture = %v, %v, want a hold", event, err)
	}
	held := given(t, placed(t, 1), checkoutEvent("PP-1"), *event)
	if held.Status() != StatusPendingPayment {
		t.Errorf("status = %s, want pending_payment while held", held.Status())
	}
	if hold := held.CaptureHold(); hold.Gateway != "paypal" || hold.Reference != "PP-1" {
		t.Errorf("CaptureHold = %+v", hold)
	}
	again, err := held.StartCapture("paypal", "PP-1", testTime)
	if err != nil || again != nil {
		t.Errorf("second StartCapture of the same capture = %v, %v, want nil and no error", again, err)
	}
}

func TestOrder_hold_rejectsOtherCommands(t *testing.T) {
	held := given(t, placed(t, 1), checkoutEvent("PP-1"), checkoutEvent("PP-2"), holdEvent("PP-1"))
	if _, err := held.Cancel(testTime); !errors.Is(err, ErrCaptureInProgress) {
		t.Errorf("Cancel: error = %v, want ErrCaptureInProgress", err)
	}
	if _, err := held.Pay("manual", "manual-x", usd("4.50"), testTime); !errors.Is(err, ErrCaptureInProgress) {
		t.Errorf("Pay through another gateway: error = %v, want ErrCaptureInProgress", err)
	}
	if _, err := held.StartCapture("paypal", "PP-2", testTime); !errors.Is(err, ErrCaptureInProgress) {
		t.Errorf("StartCapture of another PayPal order: error = %v, want ErrCaptureInProgress", err)
	}
	if _, err := held.StartCheckout("stripe", "cs_1", testTime); !errors.Is(err, ErrCaptureInProgress) {
		t.Errorf("StartCheckout: error = %v, want ErrCaptureInProgress", err)
	}
	if err := held.CheckPayable(); !errors.Is(err, ErrCaptureInProgress) {
		t.Errorf("CheckPayable: error = %v, want ErrCaptureInProgress", err)
	}
	paid, err := held.Pay("paypal", "CAPTURE-1", usd("4.50"), testTime)
	if err != nil || paid == nil {
		t.Fatalf("Pay through the holding gateway = %v, %v, want OrderPaid", paid, err)
	}
	if hold := given(t, placed(t, 1), holdEvent("PP-1"), *paid).CaptureHold(); hold.Gateway != "" {
		t.Errorf("hold after OrderPaid = %+v, want none", hold)
	}
}

func TestOrder_StartCapture_notPayable(t *testing.T) {
	cancelled := given(t, placed(t, 1), checkoutEvent("PP-1"), cancelledEvent())
	_, err := cancelled.StartCapture("paypal", "PP-1", testTime)
	wantTransition(t, err, CodeNotPayable)
	paid := given(t, placed(t, 1), checkoutEvent("PP-1"), paidEvent("ref"))
	_, err = paid.StartCapture("paypal", "PP-1", testTime)
	wantTransition(t, err, CodeAlreadyPaid)
}

// Only a reference that a CheckoutStarted of the same gateway names can
// hold the order, whatever its status: a made-up token, another gateway's
// checkout and the manual gateway's empty reference cannot.
func TestOrder_StartCapture_unknownCheckout(t *testing.T) {
	stripe := CheckoutStarted{OrderID: "order-under-test", Gateway: "stripe", Reference: "cs_1", At: testTime}
	manual := CheckoutStarted{OrderID: "order-under-test", Gateway: "manual", At: testTime}
	cases := map[string]struct {
		order     *Order
		reference string
	}{
		"made-up token":              {given(t, placed(t, 1), checkoutEvent("PP-1")), "FAKE1"},
		"no checkout":                {given(t, placed(t, 1)), "PP-1"},
		"another gateway's checkout": {given(t, placed(t, 1), stripe), "cs_1"},
		"empty reference":            {given(t, placed(t, 1), manual), ""},
		"paid order":                 {given(t, placed(t, 1), checkoutEvent("PP-1"), paidEvent("ref")), "FAKE1"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			event, err := tc.order.StartCapture("paypal", tc.reference, testTime)
			if !errors.Is(err, ErrUnknownCheckout) || event != nil {
				t.Errorf("StartCapture(%q) = %v, %v, want ErrUnknownCheckout", tc.reference, event, err)
			}
		})
	}
	if !given(t, placed(t, 1), checkoutEvent("PP-1"), checkoutEvent("PP-2")).HasCheckout("paypal", "PP-1") {
		t.Error("HasCheckout of an earlier checkout = false, want true")
	}
}

func TestOrder_FailCapture_releasesHold(t *testing.T) {
	held := given(t, placed(t, 1), holdEvent("PP-1"))
	if event := held.FailCapture("paypal", "PP-2", "declined", testTime); event != nil {
		t.Errorf("FailCapture of another capture = %+v, want nil", event)
	}
	event := held.FailCapture("paypal", "PP-1", "declined", testTime)
	if event == nil {
		t.Fatal("FailCapture of the holding capture = nil")
	}
	released := given(t, placed(t, 1), holdEvent("PP-1"), *event)
	if hold := released.CaptureHold(); hold.Gateway != "" {
		t.Errorf("hold after PaymentCaptureFailed = %+v, want none", hold)
	}
	if _, err := released.Cancel(testTime); err != nil {
		t.Errorf("Cancel after the release: %v", err)
	}
}

func TestOrder_ReturnPayment_once(t *testing.T) {
	payment := PaymentOf{Reference: "pi_2", Amount: usd("4.50")}
	order := given(t, placed(t, 1), cancelledEvent())
	unmatched := order.RecordUnmatched("stripe", payment, "cancelled", testTime)
	if unmatched == nil {
		t.Fatal("RecordUnmatched = nil")
	}
	order = given(t, placed(t, 1), cancelledEvent(), *unmatched)
	if again := order.RecordUnmatched("stripe", payment, "cancelled", testTime); again != nil {
		t.Errorf("second RecordUnmatched = %+v, want nil", again)
	}
	returned := order.ReturnPayment("stripe", payment, "cancelled", "re_1", testTime)
	if returned == nil || returned.RefundReference != "re_1" || returned.Amount != usd("4.50") {
		t.Fatalf("ReturnPayment = %+v", returned)
	}
	order = given(t, placed(t, 1), cancelledEvent(), *unmatched, *returned)
	if !order.HasReturned("pi_2") || order.Status() != StatusCancelled {
		t.Errorf("HasReturned = %v, status = %s, want true and cancelled", order.HasReturned("pi_2"), order.Status())
	}
	if again := order.ReturnPayment("stripe", payment, "cancelled", "re_1", testTime); again != nil {
		t.Errorf("second ReturnPayment = %+v, want nil", again)
	}
}

func TestOrder_ReturnPayment_releasesHoldOfItsGateway(t *testing.T) {
	held := given(t, placed(t, 1), holdEvent("PP-1"))
	returned := held.ReturnPayment("paypal", PaymentOf{Reference: "CAPTURE-1", Amount: usd("4.49")}, "amount differs", "R-1", testTime)
	order := given(t, placed(t, 1), holdEvent("PP-1"), *returned)
	if hold := order.CaptureHold(); hold.Gateway != "" {
		t.Errorf("hold after PaymentReturned = %+v, want none", hold)
	}
	if order.Status() != StatusPendingPayment {
		t.Errorf("status = %s, want pending_payment", order.Status())
	}
}
