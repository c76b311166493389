package domain

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"esimscan/backend/money"
)

var testTime = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func usd(amount string) money.Money {
	parsed, err := money.ParseAmount(amount)
	if err != nil {
		panic(err)
	}
	return money.New(parsed, "USD")
}

func placed(t *testing.T, quantity int) OrderPlaced {
	t.Helper()
	event, err := Place(Placement{
		OrderID:         "order-under-test",
		Email:           "buyer@example.com",
		AccessTokenHash: "abc123",
		Package:         Package{ID: "pkg1", Provider: "airalo", Name: "Japan 1 GB"},
		UnitPrice:       usd("4.50"),
		Quantity:        quantity,
		At:              testTime,
	})
	if err != nil {
		t.Fatalf("Place: %v", err)
	}
	return event
}

type typedEvent interface{ EventType() string }

// given rebuilds an order from events, as the repository does.
func given(t *testing.T, events ...typedEvent) *Order {
	t.Helper()
	order := &Order{}
	for _, event := range events {
		data, err := json.Marshal(event)
		if err != nil {
			t.Fatal(err)
		}
		if err := order.Apply(event.EventType(), data); err != nil {
			t.Fatalf("Apply %s: %v", event.EventType(), err)
		}
	}
	return order
}

func paidEvent(reference string) OrderPaid {
	return OrderPaid{OrderID: "order-under-test", Gateway: "test", PaymentReference: reference, Amount: usd("4.50"), PaidAt: testTime}
}

var (
	startedEvent = ProvisioningStarted{OrderID: "order-under-test", Driver: DriverStub, StartedAt: testTime}
	demoESIM     = ESIM{ICCID: "8999000000000000001", LPA: "LPA:1$smdp.example$CODE", SMDPAddress: "smdp.example", ActivationCode: "CODE"}
	issuedEvent  = ESIMIssued{OrderID: "order-under-test", ESIMs: []ESIM{demoESIM}, IssuedAt: testTime}
	failedEvent  = OrderFailed{OrderID: "order-under-test", Reason: "provider out of stock", FailedAt: testTime}
)

func wantTransitionError(t *testing.T, err error, code string) {
	t.Helper()
	var transition *TransitionError
	if !errors.As(err, &transition) {
		t.Fatalf("error = %v, want a TransitionError with code %s", err, code)
	}
	if transition.Code != code {
		t.Errorf("code = %s, want %s", transition.Code, code)
	}
}

func TestPlace_roundsUnitPriceOnceThenMultiplies(t *testing.T) {
	event, err := Place(Placement{
		OrderID: "o1", Email: "a@example.com", AccessTokenHash: "h", Package: Package{ID: "p"},
		UnitPrice: usd("0.335"), Quantity: 3, At: testTime,
	})
	if err != nil {
		t.Fatal(err)
	}
	if event.UnitPrice != usd("0.34") {
		t.Errorf("unit price = %s, want 0.34 USD", event.UnitPrice)
	}
	// Rounding the product 1.005 instead would give 1.01.
	if event.Total != usd("1.02") {
		t.Errorf("total = %s, want 1.02 USD", event.Total)
	}
}

func TestPlace_rejectsIncompletePlacement(t *testing.T) {
	cases := map[string]Placement{
		"no quantity": {OrderID: "o", Email: "e", AccessTokenHash: "h", Package: Package{ID: "p"}, UnitPrice: usd("1")},
		"no currency": {OrderID: "o", Email: "e", AccessTokenHash: "h", Package: Package{ID: "p"}, Quantity: 1},
		"no package":  {OrderID: "o", Email: "e", AccessTokenHash: "h", UnitPrice: usd("1"), Quantity: 1},
		"no token":    {OrderID: "o", Email: "e", Package: Package{ID: "p"}, UnitPrice: usd("1"), Quantity: 1},
	}
	for name, placement := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Place(placement); !errors.Is(err, ErrInvalidPlacement) {
				t.Errorf("error = %v, want ErrInvalidPlacement", err)
			}
		})
	}
}

func TestOrder_Apply_followsStatuses(t *testing.T) {
	order := given(t, placed(t, 1))
	if order.Status() != StatusPendingPayment || order.Total() != usd("4.50") {
		t.Fatalf("after placement: status %s, total %s", order.Status(), order.Total())
	}
	order = given(t, placed(t, 1), paidEvent("ref-1"))
	if order.Status() != StatusPaid || order.PaymentReference() != "ref-1" {
		t.Errorf("after payment: status %s, reference %s", order.Status(), order.PaymentReference())
	}
	order = given(t, placed(t, 1), paidEvent("ref-1"), startedEvent)
	if order.Status() != StatusProvisioning || order.Driver() != DriverStub {
		t.Errorf("after start: status %s, driver %s", order.Status(), order.Driver())
	}
	order = given(t, placed(t, 1), paidEvent("ref-1"), startedEvent, issuedEvent)
	if order.Status() != StatusIssued || len(order.ESIMs()) != 1 {
		t.Errorf("after issue: status %s, %d eSIMs", order.Status(), len(order.ESIMs()))
	}
	order = given(t, placed(t, 1), paidEvent("ref-1"), failedEvent)
	if order.Status() != StatusFailed || order.FailureReason() != failedEvent.Reason {
		t.Errorf("after failure: status %s, reason %q", order.Status(), order.FailureReason())
	}
}

func TestOrder_Apply_rejectsEventBeforePlacement(t *testing.T) {
	data, _ := json.Marshal(paidEvent("ref"))
	if err := (&Order{}).Apply(EventOrderPaid, data); err == nil {
		t.Error("Apply succeeded, want an error")
	}
}

func TestOrder_Apply_skipsUnknownTypes(t *testing.T) {
	order := given(t, placed(t, 1))
	if err := order.Apply("OrderNoted", []byte(`{}`)); err != nil {
		t.Errorf("Apply = %v, want nil", err)
	}
	if order.Status() != StatusPendingPayment {
		t.Errorf("status = %s, want pending_payment", order.Status())
	}
}

func TestOrder_Pay_pendingOrder(t *testing.T) {
	event, err := given(t, placed(t, 1)).Pay("test", "ref-1", usd("4.50"), testTime)
	if err != nil {
		t.Fatal(err)
	}
	if event == nil || event.PaymentReference != "ref-1" || event.Amount != usd("4.50") {
		t.Errorf("event = %+v", event)
	}
}

func TestOrder_Pay_sameReferenceIsNoOp(t *testing.T) {
	histories := map[string][]typedEvent{
		"paid":         {placed(t, 1), paidEvent("ref-1")},
		"provisioning": {placed(t, 1), paidEvent("ref-1"), startedEvent},
		"issued":       {placed(t, 1), paidEvent("ref-1"), startedEvent, issuedEvent},
		"failed":       {placed(t, 1), paidEvent("ref-1"), failedEvent},
	}
	for name, history := range histories {
		t.Run(name, func(t *testing.T) {
			event, err := given(t, history...).Pay("test", "ref-1", usd("4.50"), testTime)
			if err != nil {
				t.Fatalf("Pay = %v, want no error", err)
			}
			if event != nil {
				t.Errorf("event = %+v, want none", event)
			}
		})
	}
}

func TestOrder_Pay_otherReferenceOnPaidOrder(t *testing.T) {
	order := given(t, placed(t, 1), paidEvent("ref-1"))
	_, err := order.Pay("test", "ref-2", usd("4.50"), testTime)
	wantTransitionError(t, err, CodeAlreadyPaid)
	_, err = order.Pay("stripe", "ref-1", usd("4.50"), testTime)
	wantTransitionError(t, err, CodeAlreadyPaid)
}

func TestOrder_Pay_missingOrder(t *testing.T) {
	_, err := (&Order{}).Pay("test", "ref-1", usd("4.50"), testTime)
	wantTransitionError(t, err, CodeNotPayable)
}

func TestOrder_Pay_wrongAmount(t *testing.T) {
	_, err := given(t, placed(t, 1)).Pay("test", "ref-1", usd("4.49"), testTime)
	if !errors.Is(err, ErrAmountMismatch) {
		t.Errorf("error = %v, want ErrAmountMismatch", err)
	}
}

func TestOrder_StartProvisioning(t *testing.T) {
	event, err := given(t, placed(t, 1), paidEvent("ref-1")).StartProvisioning(DriverManual, testTime)
	if err != nil {
		t.Fatal(err)
	}
	if event.Driver != DriverManual || event.OrderID != "order-under-test" {
		t.Errorf("event = %+v", event)
	}
	illegal := map[string][]typedEvent{
		"pending_payment": {placed(t, 1)},
		"provisioning":    {placed(t, 1), paidEvent("ref-1"), startedEvent},
		"issued":          {placed(t, 1), paidEvent("ref-1"), startedEvent, issuedEvent},
		"failed":          {placed(t, 1), paidEvent("ref-1"), failedEvent},
	}
	for name, history := range illegal {
		t.Run(name, func(t *testing.T) {
			_, err := given(t, history...).StartProvisioning(DriverStub, testTime)
			wantTransitionError(t, err, CodeNotProvisionable)
		})
	}
}

func TestOrder_Issue(t *testing.T) {
	event, err := given(t, placed(t, 1), paidEvent("ref-1"), startedEvent).Issue([]ESIM{demoESIM}, testTime)
	if err != nil {
		t.Fatal(err)
	}
	if len(event.ESIMs) != 1 || event.ESIMs[0] != demoESIM {
		t.Errorf("event = %+v", event)
	}
	illegal := map[string]struct {
		history []typedEvent
		code    string
	}{
		"pending_payment": {[]typedEvent{placed(t, 1)}, CodeNotIssuable},
		"paid":            {[]typedEvent{placed(t, 1), paidEvent("ref-1")}, CodeNotIssuable},
		"issued":          {[]typedEvent{placed(t, 1), paidEvent("ref-1"), startedEvent, issuedEvent}, CodeAlreadyIssued},
		"failed":          {[]typedEvent{placed(t, 1), paidEvent("ref-1"), failedEvent}, CodeNotIssuable},
	}
	for name, c := range illegal {
		t.Run(name, func(t *testing.T) {
			_, err := given(t, c.history...).Issue([]ESIM{demoESIM}, testTime)
			wantTransitionError(t, err, c.code)
		})
	}
}

func TestOrder_Issue_checksESIMs(t *testing.T) {
	second := demoESIM
	second.ICCID = "8999000000000000002"
	order := given(t, placed(t, 2), OrderPaid{OrderID: "order-under-test", Gateway: "test", PaymentReference: "r", Amount: usd("9.00")}, startedEvent)
	if _, err := order.Issue([]ESIM{demoESIM}, testTime); !errors.Is(err, ErrESIMCount) {
		t.Errorf("one eSIM for two: error = %v, want ErrESIMCount", err)
	}
	if _, err := order.Issue([]ESIM{demoESIM, demoESIM}, testTime); !errors.Is(err, ErrInvalidESIM) {
		t.Errorf("duplicate ICCID: error = %v, want ErrInvalidESIM", err)
	}
	if _, err := order.Issue([]ESIM{demoESIM, {ICCID: "8999000000000000003"}}, testTime); !errors.Is(err, ErrInvalidESIM) {
		t.Errorf("missing LPA: error = %v, want ErrInvalidESIM", err)
	}
	if _, err := order.Issue([]ESIM{demoESIM, second}, testTime); err != nil {
		t.Errorf("two distinct eSIMs: error = %v", err)
	}
}

func TestOrder_Fail(t *testing.T) {
	for name, history := range map[string][]typedEvent{
		"paid":         {placed(t, 1), paidEvent("ref-1")},
		"provisioning": {placed(t, 1), paidEvent("ref-1"), startedEvent},
	} {
		t.Run(name, func(t *testing.T) {
			event, err := given(t, history...).Fail("no stock", testTime)
			if err != nil {
				t.Fatal(err)
			}
			if event.Reason != "no stock" {
				t.Errorf("reason = %q", event.Reason)
			}
		})
	}
	for name, history := range map[string][]typedEvent{
		"pending_payment": {placed(t, 1)},
		"issued":          {placed(t, 1), paidEvent("ref-1"), startedEvent, issuedEvent},
		"failed":          {placed(t, 1), paidEvent("ref-1"), failedEvent},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := given(t, history...).Fail("no stock", testTime)
			wantTransitionError(t, err, CodeNotFailable)
		})
	}
}

// The cause of OrderFailed is folded with the reason, and a retry clears
// both.
func TestOrder_FailWithCause(t *testing.T) {
	history := []typedEvent{placed(t, 1), paidEvent("ref-1"), startedEvent}
	event, err := given(t, history...).FailWithCause("refused", FailureRejected, testTime)
	if err != nil || event.Cause != FailureRejected {
		t.Fatalf("FailWithCause = %+v, %v, want cause %q", event, err, FailureRejected)
	}
	failed := given(t, append(history, event)...)
	if failed.FailureCause() != FailureRejected || failed.FailureReason() != "refused" {
		t.Errorf("failure = %q, %q, want %q, refused", failed.FailureCause(), failed.FailureReason(), FailureRejected)
	}
	retried := given(t, append(history, event, ProvisioningRetried{OrderID: "order-under-test", RetriedAt: testTime})...)
	if retried.FailureCause() != "" {
		t.Errorf("cause after a retry = %q, want none", retried.FailureCause())
	}
	plain, err := given(t, history...).Fail("no stock", testTime)
	if err != nil || plain.Cause != "" {
		t.Errorf("Fail = %+v, %v, want no cause", plain, err)
	}
}
