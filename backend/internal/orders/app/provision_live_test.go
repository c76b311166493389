package app

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/providers/adapters"
)

// fakeClient is an adapters.Client whose Order and QueryOrder responses come
// from functions that tests set, and which counts the calls. call is
// 1-based per method. It is safe for concurrent use.
type fakeClient struct {
	mu         sync.Mutex
	orderCalls int
	queryCalls int
	references []string
	queriedIDs []string
	order      func(ctx context.Context, call int) (adapters.OrderResult, error)
	query      func(ctx context.Context, call int) (adapters.OrderResult, error)
}

func (c *fakeClient) Balance(ctx context.Context) (adapters.Balance, error) {
	return adapters.Balance{}, errors.New("fake client has no balance")
}

func (c *fakeClient) ListPackages(ctx context.Context, yield func(adapters.Package) error) error {
	return errors.New("fake client has no packages")
}

func (c *fakeClient) Order(ctx context.Context, req adapters.OrderRequest) (adapters.OrderResult, error) {
	c.mu.Lock()
	c.orderCalls++
	call := c.orderCalls
	c.references = append(c.references, req.Reference)
	answer := c.order
	c.mu.Unlock()
	return answer(ctx, call)
}

func (c *fakeClient) QueryOrder(ctx context.Context, providerOrderID string) (adapters.OrderResult, error) {
	c.mu.Lock()
	c.queryCalls++
	call := c.queryCalls
	c.queriedIDs = append(c.queriedIDs, providerOrderID)
	answer := c.query
	c.mu.Unlock()
	if answer == nil {
		return adapters.OrderResult{}, errors.New("fake client was not told how to answer QueryOrder")
	}
	return answer(ctx, call)
}

func (c *fakeClient) setOrder(answer func(ctx context.Context, call int) (adapters.OrderResult, error)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order = answer
}

func (c *fakeClient) counts() (orders, queries int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.orderCalls, c.queryCalls
}

func (c *fakeClient) orderReferences() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.references...)
}

// fakeProviders hands out one client for every slug.
type fakeProviders struct {
	client *fakeClient
	slugs  chan string
}

func (p *fakeProviders) ClientFor(ctx context.Context, slug string) (adapters.Client, error) {
	select {
	case p.slugs <- slug:
	default:
	}
	return p.client, nil
}

var liveESIM = adapters.ESIM{
	ICCID:          "8944500000000000017",
	LPA:            "LPA:1$smdp.provider.example$MATCH-17",
	SMDPAddress:    "smdp.provider.example",
	ActivationCode: "MATCH-17",
}

func issuedAtOnce(ctx context.Context, call int) (adapters.OrderResult, error) {
	return adapters.OrderResult{ProviderOrderID: "provider-order-1", ESIMs: []adapters.ESIM{liveESIM}}, nil
}

func pendingOrder(ctx context.Context, call int) (adapters.OrderResult, error) {
	return adapters.OrderResult{ProviderOrderID: "provider-order-1", Pending: true}, nil
}

func stillPending(ctx context.Context, call int) (adapters.OrderResult, error) {
	return adapters.OrderResult{ProviderOrderID: "provider-order-1", Pending: true}, nil
}

func readyAfter(pendingPolls int) func(ctx context.Context, call int) (adapters.OrderResult, error) {
	return func(ctx context.Context, call int) (adapters.OrderResult, error) {
		if call <= pendingPolls {
			return adapters.OrderResult{ProviderOrderID: "provider-order-1", Pending: true}, nil
		}
		return adapters.OrderResult{ProviderOrderID: "provider-order-1", ESIMs: []adapters.ESIM{liveESIM}}, nil
	}
}

// blockUntilCancelled is an order call that never returns before the
// process stops, as when the process dies in the middle of the call.
func blockUntilCancelled(ctx context.Context, call int) (adapters.OrderResult, error) {
	<-ctx.Done()
	return adapters.OrderResult{}, &adapters.Error{Cause: adapters.CauseTimeout, Message: "call cancelled before the provider responded"}
}

// withLive selects the live driver with client, fast polling, the given
// deadline and the real clock, which the deadline runs on.
func withLive(client *fakeClient, deadline time.Duration) option {
	return func(d *Deps) {
		d.Driver = domain.DriverLive
		d.Providers = &fakeProviders{client: client, slugs: make(chan string, 16)}
		d.LiveDeadline = deadline
		d.PollInterval = 10 * time.Millisecond
		d.MaxPollInterval = 40 * time.Millisecond
		d.Now = time.Now
	}
}

func (f *fixture) waitStatus(t *testing.T, orderID string, want domain.Status) {
	t.Helper()
	eventually(t, "the order to be "+string(want), func() bool { return f.orderStatus(t, orderID) == want })
}

func (f *fixture) failureReason(t *testing.T, orderID string) string {
	t.Helper()
	loaded, err := f.service.loadOrder(context.Background(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	return loaded.order.FailureReason()
}

func TestLive_issuesAtOnceFromSyncProvider(t *testing.T) {
	client := &fakeClient{order: issuedAtOnce}
	f := newFixture(t, withLive(client, time.Minute))
	startReactor(t, f.store, f.service)
	placed := f.placeAndPay(t)
	f.waitStatus(t, placed.ID, domain.StatusIssued)

	want := "OrderPlaced,OrderPaid,ProvisioningStarted,ProviderOrderRequested,ProviderOrderPlaced,ESIMIssued"
	if got := strings.Join(f.typesOf(t, placed.ID), ","); got != want {
		t.Errorf("events = %s, want %s", got, want)
	}
	var recorded domain.ProviderOrderPlaced
	f.lastEvent(t, placed.ID, domain.EventProviderOrderPlaced, &recorded)
	if recorded.Reference != placed.ID || recorded.ProviderOrderID != "provider-order-1" || recorded.Provider != "airalo" {
		t.Errorf("ProviderOrderPlaced = %+v, want reference %s, provider order provider-order-1 at airalo", recorded, placed.ID)
	}
	var issued domain.ESIMIssued
	f.lastEvent(t, placed.ID, domain.EventESIMIssued, &issued)
	want1 := domain.ESIM{ICCID: liveESIM.ICCID, LPA: liveESIM.LPA, SMDPAddress: liveESIM.SMDPAddress, ActivationCode: liveESIM.ActivationCode}
	if len(issued.ESIMs) != 1 || issued.ESIMs[0] != want1 {
		t.Errorf("eSIMs = %+v, want %+v with demo false", issued.ESIMs, want1)
	}
	if orders, queries := client.counts(); orders != 1 || queries != 0 {
		t.Errorf("%d Order and %d QueryOrder calls, want 1 and 0", orders, queries)
	}
	if refs := client.orderReferences(); refs[0] != placed.ID {
		t.Errorf("reference = %q, want the order id %s", refs[0], placed.ID)
	}
}

func TestLive_issuesAfterPolling(t *testing.T) {
	client := &fakeClient{order: pendingOrder, query: readyAfter(2)}
	f := newFixture(t, withLive(client, time.Minute))
	startReactor(t, f.store, f.service)
	placed := f.placeAndPay(t)
	f.waitStatus(t, placed.ID, domain.StatusIssued)

	if orders, queries := client.counts(); orders != 1 || queries != 3 {
		t.Errorf("%d Order and %d QueryOrder calls, want 1 and 3", orders, queries)
	}
	for _, id := range client.queriedIDs {
		if id != "provider-order-1" {
			t.Errorf("QueryOrder(%q), want provider-order-1", id)
		}
	}
	types := f.typesOf(t, placed.ID)
	if countType(types, domain.EventProviderOrderPlaced) != 1 || countType(types, domain.EventESIMIssued) != 1 {
		t.Errorf("events = %v, want one ProviderOrderPlaced and one ESIMIssued", types)
	}
}

func TestLive_deadlineFailsOrder(t *testing.T) {
	client := &fakeClient{order: pendingOrder, query: stillPending}
	f := newFixture(t, withLive(client, 300*time.Millisecond))
	startReactor(t, f.store, f.service)
	placed := f.placeAndPay(t)
	f.waitStatus(t, placed.ID, domain.StatusFailed)

	if reason := f.failureReason(t, placed.ID); !strings.HasPrefix(reason, "no eSIM from airalo within 300ms") {
		t.Errorf("reason = %q, want the deadline named", reason)
	}
	if _, queries := client.counts(); queries < 2 {
		t.Errorf("%d QueryOrder calls, want polling until the deadline", queries)
	}
}

func TestLive_finalErrorFailsOrder(t *testing.T) {
	client := &fakeClient{order: func(ctx context.Context, call int) (adapters.OrderResult, error) {
		return adapters.OrderResult{}, &adapters.Error{
			Cause:   adapters.CauseCredentials,
			Message: "rejected credentials (HTTP 401, POST /v2/orders)",
		}
	}}
	f := newFixture(t, withLive(client, time.Minute))
	startReactor(t, f.store, f.service)
	placed := f.placeAndPay(t)
	f.waitStatus(t, placed.ID, domain.StatusFailed)

	want := "order from airalo failed (credentials): rejected credentials (HTTP 401, POST /v2/orders)"
	if reason := f.failureReason(t, placed.ID); reason != want {
		t.Errorf("reason = %q, want %q", reason, want)
	}
	if orders, _ := client.counts(); orders != 1 {
		t.Errorf("%d Order calls, want 1: a final error is not retried", orders)
	}
	if n := countType(f.typesOf(t, placed.ID), domain.EventProviderOrderPlaced); n != 0 {
		t.Errorf("%d ProviderOrderPlaced events, want none", n)
	}
}

func TestLive_retryableErrorsAreRetried(t *testing.T) {
	failures := []adapters.Cause{adapters.CauseTimeout, adapters.CauseRateLimited, adapters.CauseUnreachable, adapters.CauseServerError}
	client := &fakeClient{order: func(ctx context.Context, call int) (adapters.OrderResult, error) {
		if call <= len(failures) {
			return adapters.OrderResult{}, &adapters.Error{Cause: failures[call-1], Message: "try again"}
		}
		return issuedAtOnce(ctx, call)
	}}
	f := newFixture(t, withLive(client, time.Minute))
	startReactor(t, f.store, f.service)
	placed := f.placeAndPay(t)
	f.waitStatus(t, placed.ID, domain.StatusIssued)

	if orders, _ := client.counts(); orders != len(failures)+1 {
		t.Errorf("%d Order calls, want %d", orders, len(failures)+1)
	}
	for _, reference := range client.orderReferences() {
		if reference != placed.ID {
			t.Errorf("reference = %q, want the order id %s on every attempt", reference, placed.ID)
		}
	}
}

func TestLive_restartAfterProviderOrderOnlyPolls(t *testing.T) {
	first := &fakeClient{order: pendingOrder, query: stillPending}
	f := newFixture(t, withLive(first, time.Minute))
	running := startReactor(t, f.store, f.service)
	placed := f.placeAndPay(t)
	eventually(t, "the provider order to be recorded", func() bool {
		return countType(f.typesOf(t, placed.ID), domain.EventProviderOrderPlaced) == 1
	})
	running.stop()

	second := &fakeClient{order: issuedAtOnce, query: readyAfter(0)}
	restarted := newService(t, f.store, f.pricing, withLive(second, time.Minute))
	startReactor(t, f.store, restarted)
	f.waitStatus(t, placed.ID, domain.StatusIssued)

	if orders, queries := second.counts(); orders != 0 || queries != 1 {
		t.Errorf("after the restart: %d Order and %d QueryOrder calls, want 0 and 1", orders, queries)
	}
	if orders, _ := first.counts(); orders != 1 {
		t.Errorf("before the restart: %d Order calls, want 1", orders)
	}
}

func TestLive_restartBeforeProviderOrderOrdersWithSameReference(t *testing.T) {
	first := &fakeClient{order: blockUntilCancelled}
	f := newFixture(t, withLive(first, time.Minute))
	running := startReactor(t, f.store, f.service)
	placed := f.placeAndPay(t)
	eventually(t, "the first Order call", func() bool {
		orders, _ := first.counts()
		return orders == 1
	})
	running.stop()
	if status := f.orderStatus(t, placed.ID); status != domain.StatusProvisioning {
		t.Fatalf("status after the stop = %s, want provisioning", status)
	}

	second := &fakeClient{order: issuedAtOnce}
	restarted := newService(t, f.store, f.pricing, withLive(second, time.Minute))
	startReactor(t, f.store, restarted)
	f.waitStatus(t, placed.ID, domain.StatusIssued)

	references := append(first.orderReferences(), second.orderReferences()...)
	if len(references) != 2 || references[0] != placed.ID || references[1] != placed.ID {
		t.Errorf("references = %v, want the order id %s once per process", references, placed.ID)
	}
}

func TestLive_oneWorkerPerOrder(t *testing.T) {
	release := make(chan struct{})
	client := &fakeClient{order: func(ctx context.Context, call int) (adapters.OrderResult, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return issuedAtOnce(ctx, call)
	}}
	f := newFixture(t, withLive(client, time.Minute))
	placed := f.placeAndPay(t)
	if err := f.service.startProvisioning(context.Background(), placed.ID); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() {
		cancel()
		f.service.Wait()
	}()
	for range 3 {
		if err := f.service.runDriver(ctx, placed.ID); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the first Order call", func() bool {
		orders, _ := client.counts()
		return orders == 1
	})
	close(release)
	f.waitStatus(t, placed.ID, domain.StatusIssued)
	if orders, _ := client.counts(); orders != 1 {
		t.Errorf("%d Order calls, want 1 for three driver runs of one order", orders)
	}
}

func TestLive_shutdownEndsPolling(t *testing.T) {
	client := &fakeClient{order: pendingOrder, query: stillPending}
	f := newFixture(t, withLive(client, time.Hour))
	running := startReactor(t, f.store, f.service)
	placed := f.placeAndPay(t)
	eventually(t, "polling to start", func() bool {
		_, queries := client.counts()
		return queries >= 1
	})
	running.stop() // panics unless Wait returns

	if status := f.orderStatus(t, placed.ID); status != domain.StatusProvisioning {
		t.Errorf("status = %s, want provisioning: a shutdown fails no order", status)
	}
}

func TestRetryProvisioning_failedOrderIsOrderedAgain(t *testing.T) {
	client := &fakeClient{order: func(ctx context.Context, call int) (adapters.OrderResult, error) {
		return adapters.OrderResult{}, &adapters.Error{Cause: adapters.CauseNotFound, Message: "no API at /v2/orders (HTTP 404)"}
	}}
	f := newFixture(t, withLive(client, time.Minute))
	startReactor(t, f.store, f.service)
	placed := f.placeAndPay(t)
	f.waitStatus(t, placed.ID, domain.StatusFailed)

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

func TestRetryProvisioning_resumesPollingRecordedOrder(t *testing.T) {
	client := &fakeClient{order: pendingOrder, query: stillPending}
	f := newFixture(t, withLive(client, 200*time.Millisecond))
	startReactor(t, f.store, f.service)
	placed := f.placeAndPay(t)
	f.waitStatus(t, placed.ID, domain.StatusFailed)

	client.mu.Lock()
	client.query = readyAfter(0)
	client.mu.Unlock()
	if _, err := f.service.RetryProvisioning(adminContext(), placed.ID); err != nil {
		t.Fatal(err)
	}
	f.waitStatus(t, placed.ID, domain.StatusIssued)
	if orders, _ := client.counts(); orders != 1 {
		t.Errorf("%d Order calls, want 1: the retry polls the recorded provider order", orders)
	}
}

func TestRetryProvisioning_rejects(t *testing.T) {
	f := newFixture(t, withDriver(domain.DriverStub))
	running := startReactor(t, f.store, f.service)
	issued := f.placeAndPay(t)
	f.waitStatus(t, issued.ID, domain.StatusIssued)
	running.waitCaughtUp(t)
	before := len(f.store.All())

	_, err := f.service.RetryProvisioning(adminContext(), issued.ID)
	wantAppError(t, err, apperr.KindConflict, domain.CodeAlreadyIssued, "")

	pending := f.place(t)
	_, err = f.service.RetryProvisioning(adminContext(), pending.ID)
	wantAppError(t, err, apperr.KindConflict, domain.CodeNotRetryable, "")

	_, err = f.service.RetryProvisioning(adminContext(), "00000000-0000-4000-8000-000000000000")
	wantAppError(t, err, apperr.KindNotFound, "order_not_found", "")
	_, err = f.service.RetryProvisioning(adminContext(), "../provider-airalo")
	wantAppError(t, err, apperr.KindNotFound, "order_not_found", "")

	if after := len(f.store.All()); after != before+1 {
		t.Errorf("%d events appended, want only the pending order's OrderPlaced", after-before)
	}
}
