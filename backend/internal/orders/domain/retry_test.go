package domain

import (
	"errors"
	"testing"
)

var providerOrderEvent = ProviderOrderPlaced{
	OrderID: "order-under-test", Provider: "airalo", ProviderOrderID: "9001", Reference: "order-under-test", PlacedAt: testTime,
}

func TestOrder_RetryProvisioning_failedOrder(t *testing.T) {
	order := given(t, placed(t, 1), paidEvent("ref"), startedEvent, failedEvent)
	event, err := order.RetryProvisioning(DriverLive, testTime)
	if err != nil {
		t.Fatal(err)
	}
	if event.Driver != DriverStub {
		t.Errorf("driver = %s, want the recorded stub driver", event.Driver)
	}
	retried := given(t, placed(t, 1), paidEvent("ref"), startedEvent, failedEvent, event)
	if retried.Status() != StatusProvisioning {
		t.Errorf("status = %s, want provisioning", retried.Status())
	}
	if retried.FailureReason() != "" {
		t.Errorf("failure reason = %q, want it cleared", retried.FailureReason())
	}
	if !retried.ProvisioningSince().Equal(testTime) {
		t.Errorf("provisioning since = %s, want the retry time", retried.ProvisioningSince())
	}
}

func TestOrder_RetryProvisioning_failedBeforeStart(t *testing.T) {
	order := given(t, placed(t, 1), paidEvent("ref"), failedEvent)
	event, err := order.RetryProvisioning(DriverLive, testTime)
	if err != nil {
		t.Fatal(err)
	}
	if event.Driver != DriverLive {
		t.Errorf("driver = %q, want the fallback live driver", event.Driver)
	}
	if retried := given(t, placed(t, 1), paidEvent("ref"), failedEvent, event); retried.Driver() != DriverLive {
		t.Errorf("driver after retry = %q, want live", retried.Driver())
	}
}

func TestOrder_RetryProvisioning_rejectsOtherStatuses(t *testing.T) {
	issued := given(t, placed(t, 1), paidEvent("ref"), startedEvent, issuedEvent)
	_, err := issued.RetryProvisioning(DriverLive, testTime)
	wantTransitionError(t, err, CodeAlreadyIssued)

	provisioning := given(t, placed(t, 1), paidEvent("ref"), startedEvent)
	_, err = provisioning.RetryProvisioning(DriverLive, testTime)
	wantTransitionError(t, err, CodeNotRetryable)

	pending := given(t, placed(t, 1))
	_, err = pending.RetryProvisioning(DriverLive, testTime)
	wantTransitionError(t, err, CodeNotRetryable)
}

func TestOrder_RecordProviderOrder(t *testing.T) {
	order := given(t, placed(t, 1), paidEvent("ref"), startedEvent)
	event, err := order.RecordProviderOrder("airalo", "9001", "order-under-test", testTime)
	if err != nil {
		t.Fatal(err)
	}
	if event == nil || event.ProviderOrderID != "9001" || event.Reference != "order-under-test" {
		t.Fatalf("event = %+v", event)
	}

	recorded := given(t, placed(t, 1), paidEvent("ref"), startedEvent, providerOrderEvent)
	if got := recorded.ProviderOrder().ProviderOrderID; got != "9001" {
		t.Errorf("provider order id = %q, want 9001", got)
	}
	again, err := recorded.RecordProviderOrder("airalo", "9001", "order-under-test", testTime)
	if err != nil || again != nil {
		t.Errorf("recording the same provider order again = %+v, %v; want nil, nil", again, err)
	}
}

func TestOrder_RecordProviderOrder_rejects(t *testing.T) {
	paid := given(t, placed(t, 1), paidEvent("ref"))
	_, err := paid.RecordProviderOrder("airalo", "9001", "order-under-test", testTime)
	wantTransitionError(t, err, CodeNotProvisionable)

	provisioning := given(t, placed(t, 1), paidEvent("ref"), startedEvent)
	if _, err := provisioning.RecordProviderOrder("airalo", "", "order-under-test", testTime); !errors.Is(err, ErrInvalidProviderOrder) {
		t.Errorf("error = %v, want ErrInvalidProviderOrder", err)
	}
}
