package app

import (
	"context"
	"sync"
	"testing"

	"github.com/google/uuid"

	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/platform/apperr"
)

func TestPayWithTestGateway_paysTotal(t *testing.T) {
	f := newFixture(t)
	placed := f.place(t)
	result, err := f.service.PayWithTestGateway(context.Background(), placed.ID, placed.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if result.NextRevision != 1 {
		t.Errorf("revision = %d, want 1", result.NextRevision)
	}
	var paid domain.OrderPaid
	f.lastEvent(t, placed.ID, domain.EventOrderPaid, &paid)
	if paid.Gateway != "test" || paid.PaymentReference != "test-"+placed.ID || paid.Amount != placed.Total {
		t.Errorf("event = %+v", paid)
	}
}

func TestPayWithTestGateway_disabled(t *testing.T) {
	f := newFixture(t, withoutTestPayments())
	placed := f.place(t)
	_, err := f.service.PayWithTestGateway(context.Background(), placed.ID, placed.AccessToken)
	wantAppError(t, err, apperr.KindNotFound, "test_payments_disabled", "")
	if got := f.typesOf(t, placed.ID); len(got) != 1 {
		t.Errorf("events = %v, want only OrderPlaced", got)
	}
}

func TestPayWithTestGateway_hidesOtherOrders(t *testing.T) {
	f := newFixture(t)
	placed := f.place(t)
	other := f.place(t)
	attempts := map[string][2]string{
		"wrong token":         {placed.ID, other.AccessToken},
		"empty token":         {placed.ID, ""},
		"unknown order":       {uuid.NewString(), placed.AccessToken},
		"malformed order id":  {"../store", placed.AccessToken},
		"token of this order": {other.ID, placed.AccessToken},
	}
	for name, attempt := range attempts {
		t.Run(name, func(t *testing.T) {
			_, err := f.service.PayWithTestGateway(context.Background(), attempt[0], attempt[1])
			wantAppError(t, err, apperr.KindNotFound, "order_not_found", "")
		})
	}
	if got := f.typesOf(t, placed.ID); len(got) != 1 {
		t.Errorf("events = %v, want only OrderPlaced", got)
	}
}

func TestPayWithTestGateway_twiceIsNoOp(t *testing.T) {
	f := newFixture(t)
	placed := f.place(t)
	first, err := f.service.PayWithTestGateway(context.Background(), placed.ID, placed.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	second, err := f.service.PayWithTestGateway(context.Background(), placed.ID, placed.AccessToken)
	if err != nil {
		t.Fatalf("second payment: %v", err)
	}
	if second != first {
		t.Errorf("second result = %+v, want the current revision %+v", second, first)
	}
	if n := countType(f.typesOf(t, placed.ID), domain.EventOrderPaid); n != 1 {
		t.Errorf("%d OrderPaid events, want 1", n)
	}
}

func TestPayWithTestGateway_concurrentPaymentsPayOnce(t *testing.T) {
	f := newFixture(t)
	placed := f.place(t)
	const payers = 8
	errs := make(chan error, payers)
	var start sync.WaitGroup
	start.Add(1)
	for range payers {
		go func() {
			start.Wait()
			_, err := f.service.PayWithTestGateway(context.Background(), placed.ID, placed.AccessToken)
			errs <- err
		}()
	}
	start.Done()
	for range payers {
		if err := <-errs; err != nil {
			t.Errorf("payment: %v", err)
		}
	}
	if n := countType(f.typesOf(t, placed.ID), domain.EventOrderPaid); n != 1 {
		t.Errorf("%d OrderPaid events, want 1", n)
	}
}

func TestPayWithTestGateway_failedOrder(t *testing.T) {
	f := newFixture(t)
	placed := f.placeAndPay(t)
	if _, err := f.service.FailOrder(context.Background(), placed.ID, "provider out of stock"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.service.PayWithTestGateway(context.Background(), placed.ID, placed.AccessToken); err != nil {
		t.Errorf("repeated payment of a failed order: %v, want a no-op", err)
	}
	if n := countType(f.typesOf(t, placed.ID), domain.EventOrderPaid); n != 1 {
		t.Errorf("%d OrderPaid events, want 1", n)
	}
}
