package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/providers/adapters"
)

// insufficientBalance is the refusal of an eSIM Access order when the
// merchant balance does not cover it.
var insufficientBalance = &adapters.Error{
	Cause: adapters.CauseRejected,
	Message: `esim-access refused the order with code 200007 "Insufficient account balance". ` +
		"Top up the merchant balance at eSIM Access, then retry the order (POST /api/v1/open/esim/order)",
}

func refusedOrder(ctx context.Context, call int) (adapters.OrderResult, error) {
	return adapters.OrderResult{}, insufficientBalance
}

func TestLive_rejectedOrderFailsAtOnce(t *testing.T) {
	client := &fakeClient{order: refusedOrder}
	// The deadline is far longer than waitStatus waits, so only the
	// refusal can fail the order in time.
	f := newFixture(t, withLive(client, time.Hour))
	startReactor(t, f.store, f.service)
	placed := f.placeAndPay(t)
	f.waitStatus(t, placed.ID, domain.StatusFailed)

	if reason := f.failureReason(t, placed.ID); reason != insufficientBalance.Message {
		t.Errorf("reason = %q, want the adapter's message %q", reason, insufficientBalance.Message)
	}
	var failed domain.OrderFailed
	f.lastEvent(t, placed.ID, domain.EventOrderFailed, &failed)
	if failed.Cause != domain.FailureRejected {
		t.Errorf("OrderFailed cause = %q, want %q", failed.Cause, domain.FailureRejected)
	}
	if orders, _ := client.counts(); orders != 1 {
		t.Errorf("%d Order calls, want 1: a refusal is not retried", orders)
	}
	want := "OrderPlaced,OrderPaid,ProvisioningStarted,ProviderOrderRequested,OrderFailed"
	if got := strings.Join(f.typesOf(t, placed.ID), ","); got != want {
		t.Errorf("events = %s, want %s with no provider order recorded", got, want)
	}
}

func TestLive_retryAfterRejectionIssues(t *testing.T) {
	client := &fakeClient{order: refusedOrder}
	f := newFixture(t, withLive(client, time.Hour))
	startReactor(t, f.store, f.service)
	placed := f.placeAndPay(t)
	f.waitStatus(t, placed.ID, domain.StatusFailed)

	// The admin tops up the balance, then retries.
	client.setOrder(issuedAtOnce)
	if _, err := f.service.RetryProvisioning(adminContext(), placed.ID); err != nil {
		t.Fatal(err)
	}
	f.waitStatus(t, placed.ID, domain.StatusIssued)

	want := "OrderPlaced,OrderPaid,ProvisioningStarted,ProviderOrderRequested,OrderFailed," +
		"ProvisioningRetried,ProviderOrderRequested,ProviderOrderPlaced,ESIMIssued"
	if got := strings.Join(f.typesOf(t, placed.ID), ","); got != want {
		t.Errorf("events = %s, want %s", got, want)
	}
	references := client.orderReferences()
	if len(references) != 2 || references[0] != placed.ID || references[1] != placed.ID {
		t.Errorf("references = %v, want the order id twice", references)
	}
}

func TestLive_rejectedPollKeepsPolling(t *testing.T) {
	client := &fakeClient{order: pendingOrder, query: func(ctx context.Context, call int) (adapters.OrderResult, error) {
		if call <= 2 {
			return adapters.OrderResult{}, &adapters.Error{
				Cause:   adapters.CauseRejected,
				Message: `esim-access refused the order query with code 310272 "Order number does not exist"`,
			}
		}
		return readyAfter(0)(ctx, call)
	}}
	f := newFixture(t, withLive(client, time.Minute))
	startReactor(t, f.store, f.service)
	placed := f.placeAndPay(t)
	f.waitStatus(t, placed.ID, domain.StatusIssued)

	if orders, queries := client.counts(); orders != 1 || queries != 3 {
		t.Errorf("%d Order and %d QueryOrder calls, want 1 and 3", orders, queries)
	}
	if n := countType(f.typesOf(t, placed.ID), domain.EventOrderFailed); n != 0 {
		t.Errorf("%d OrderFailed events, want none: a refused poll does not fail the order", n)
	}
}

func TestLive_rejectedPollFailsAtDeadline(t *testing.T) {
	client := &fakeClient{order: pendingOrder, query: func(ctx context.Context, call int) (adapters.OrderResult, error) {
		return adapters.OrderResult{}, &adapters.Error{Cause: adapters.CauseRejected, Message: "order number unknown"}
	}}
	f := newFixture(t, withLive(client, 300*time.Millisecond))
	startReactor(t, f.store, f.service)
	placed := f.placeAndPay(t)
	f.waitStatus(t, placed.ID, domain.StatusFailed)

	want := "no eSIM from airalo within 300ms; last error (rejected): order number unknown"
	if reason := f.failureReason(t, placed.ID); reason != want {
		t.Errorf("reason = %q, want %q", reason, want)
	}
	var failed domain.OrderFailed
	f.lastEvent(t, placed.ID, domain.EventOrderFailed, &failed)
	if failed.Cause != domain.FailureDeadline {
		t.Errorf("OrderFailed cause = %q, want %q", failed.Cause, domain.FailureDeadline)
	}
	if _, queries := client.counts(); queries < 2 {
		t.Errorf("%d QueryOrder calls, want polling until the deadline", queries)
	}
}
