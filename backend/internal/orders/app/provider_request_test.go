package app

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/esimgo"
	"esimscan/backend/internal/providers/adapters/httpx"
	esimgosim "esimscan/backend/internal/simulators/esimgo"
)

// requestClient is an adapters.Client that passes every OrderRequest to
// order and keeps a copy of it. It is safe for concurrent use.
type requestClient struct {
	mu       sync.Mutex
	requests []adapters.OrderRequest
	order    func(ctx context.Context, req adapters.OrderRequest) (adapters.OrderResult, error)
	returned chan error // receives the error of each Order call, when not nil
}

func (c *requestClient) Balance(ctx context.Context) (adapters.Balance, error) {
	return adapters.Balance{}, errors.New("request client has no balance")
}

func (c *requestClient) ListPackages(ctx context.Context, yield func(adapters.Package) error) error {
	return errors.New("request client has no packages")
}

func (c *requestClient) Order(ctx context.Context, req adapters.OrderRequest) (adapters.OrderResult, error) {
	c.mu.Lock()
	c.requests = append(c.requests, req)
	c.mu.Unlock()
	result, err := c.order(ctx, req)
	if c.returned != nil {
		c.returned <- err
	}
	return result, err
}

func (c *requestClient) QueryOrder(ctx context.Context, providerOrderID string) (adapters.OrderResult, error) {
	return adapters.OrderResult{}, errors.New("request client was not told how to answer QueryOrder")
}

func (c *requestClient) sent() []adapters.OrderRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]adapters.OrderRequest(nil), c.requests...)
}

// clientProviders hands out one client for every slug.
type clientProviders struct{ client adapters.Client }

func (p clientProviders) ClientFor(ctx context.Context, slug string) (adapters.Client, error) {
	return p.client, nil
}

// withLiveClient selects the live driver with client and the real clock.
// The first retry waits pollInterval.
func withLiveClient(client adapters.Client, pollInterval time.Duration) option {
	return func(d *Deps) {
		d.Driver = domain.DriverLive
		d.Providers = clientProviders{client: client}
		d.LiveDeadline = time.Hour
		d.PollInterval = pollInterval
		d.MaxPollInterval = pollInterval
		d.Now = time.Now
	}
}

// sellESIMGoBundle makes the fixture's package an eSIM Go bundle that the
// simulator sells.
func (f *fixture) sellESIMGoBundle() {
	quote := japanQuote()
	quote.Provider = "esim-go"
	quote.ProviderPackageID = "esim_5GB_30D_JP_V2"
	f.pricing.set(quote)
}

// newESIMGoClient returns a client of the simulator with fresh memory
// that makes one attempt per order transaction.
func newESIMGoClient(t *testing.T, running *esimgosim.Running, apiKey string) *esimgo.Client {
	t.Helper()
	client, err := esimgo.New(adapters.Settings{
		BaseURL:     running.URL + "/v2.4",
		Credentials: map[string]string{esimgo.CredentialAPIKey: apiKey},
	}, esimgo.WithRetry(httpx.RetryPolicy{
		MaxAttempts: 1, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, MaxRetryAfter: time.Second,
	}))
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func (f *fixture) requestsOf(t *testing.T, orderID string) []domain.ProviderOrderRequested {
	t.Helper()
	events, err := f.store.ReadStream(context.Background(), streamOf(orderID), 0)
	if err != nil {
		t.Fatal(err)
	}
	var requests []domain.ProviderOrderRequested
	for _, event := range events {
		if event.Type != domain.EventProviderOrderRequested {
			continue
		}
		var requested domain.ProviderOrderRequested
		if err := decodeEvent(event, &requested); err != nil {
			t.Fatal(err)
		}
		requests = append(requests, requested)
	}
	return requests
}

// An eSIM Go transaction is charged but returns HTTP 500, and the
// process stops before it looks the order up. The next process, with an
// adapter that remembers nothing, finds the order instead of buying again.
func TestLive_restartAfterUnknownOutcomeBuysOnce(t *testing.T) {
	const apiKey = "key-restart-after-unknown-outcome"
	simulator, err := esimgosim.Start(esimgosim.Options{APIKey: apiKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(simulator.Close)
	simulator.Fail(esimgosim.Failure{
		Mode: esimgosim.FailServerAfter, Method: http.MethodPost, Path: esimgosim.PathOrders, OrderType: "transaction",
	})

	first := &requestClient{returned: make(chan error, 1)}
	firstAdapter := newESIMGoClient(t, simulator, apiKey)
	first.order = firstAdapter.Order
	// The first process waits an hour before its retry, so it stops first.
	f := newFixture(t, withLiveClient(first, time.Hour))
	f.sellESIMGoBundle()
	running := startReactor(t, f.store, f.service)
	placed := f.placeAndPay(t)
	select {
	case err := <-first.returned:
		if err == nil || !strings.Contains(err.Error(), "order outcome unknown") {
			t.Fatalf("first Order error = %v, want an unknown outcome", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("timed out waiting for the first Order call")
	}
	running.stop()

	if got := len(simulator.Orders()); got != 1 {
		t.Fatalf("%d orders at the simulator after the first process, want 1", got)
	}
	requests := f.requestsOf(t, placed.ID)
	if len(requests) != 1 || requests[0].Provider != "esim-go" || requests[0].Reference != placed.ID {
		t.Fatalf("requests = %+v, want one esim-go request with reference %s", requests, placed.ID)
	}
	if n := countType(f.typesOf(t, placed.ID), domain.EventProviderOrderPlaced); n != 0 {
		t.Fatalf("%d ProviderOrderPlaced after the first process, want none", n)
	}

	second := &requestClient{}
	secondAdapter := newESIMGoClient(t, simulator, apiKey)
	second.order = secondAdapter.Order
	restarted := newService(t, f.store, f.pricing, withLiveClient(second, 10*time.Millisecond))
	startReactor(t, f.store, restarted)
	f.waitStatus(t, placed.ID, domain.StatusIssued)

	orders := simulator.Orders()
	if len(orders) != 1 {
		t.Fatalf("%d orders at the simulator, want exactly 1", len(orders))
	}
	var recorded domain.ProviderOrderPlaced
	f.lastEvent(t, placed.ID, domain.EventProviderOrderPlaced, &recorded)
	if recorded.ProviderOrderID != orders[0].OrderReference {
		t.Errorf("recorded provider order %s, want the first process's %s", recorded.ProviderOrderID, orders[0].OrderReference)
	}
	sent := second.sent()
	if len(sent) != 1 || !sent[0].OutcomeUnknownSince.Equal(requests[0].RequestedAt) {
		t.Errorf("second process's requests = %+v, want one with OutcomeUnknownSince %s", sent, requests[0].RequestedAt)
	}
	if n := len(f.requestsOf(t, placed.ID)); n != 1 {
		t.Errorf("%d ProviderOrderRequested events, want 1: the restart appends none", n)
	}
	if first := first.sent(); len(first) != 1 || !first[0].OutcomeUnknownSince.IsZero() {
		t.Errorf("first process's requests = %+v, want one without OutcomeUnknownSince", first)
	}
}

// A provider order that a call opens before charging, as Maya's customer,
// is recorded at once and passed back after a restart.
func TestLive_openedOrderPassedAfterRestart(t *testing.T) {
	first := &requestClient{order: func(ctx context.Context, req adapters.OrderRequest) (adapters.OrderResult, error) {
		if err := req.Opened(ctx, "customer-17"); err != nil {
			return adapters.OrderResult{}, err
		}
		return blockUntilCancelled(ctx, 1)
	}}
	f := newFixture(t, withLiveClient(first, time.Hour))
	running := startReactor(t, f.store, f.service)
	placed := f.placeAndPay(t)
	eventually(t, "the opened provider order to be recorded", func() bool {
		return len(f.requestsOf(t, placed.ID)) == 2
	})
	running.stop()

	second := &requestClient{order: func(ctx context.Context, req adapters.OrderRequest) (adapters.OrderResult, error) {
		return issuedAtOnce(ctx, 1)
	}}
	restarted := newService(t, f.store, f.pricing, withLiveClient(second, 10*time.Millisecond))
	startReactor(t, f.store, restarted)
	f.waitStatus(t, placed.ID, domain.StatusIssued)

	requests := f.requestsOf(t, placed.ID)
	if len(requests) != 2 || requests[0].ProviderOrderID != "" || requests[1].ProviderOrderID != "customer-17" {
		t.Fatalf("requests = %+v, want a request, then one naming customer-17", requests)
	}
	sent := second.sent()
	if len(sent) != 1 {
		t.Fatalf("%d Order calls after the restart, want 1", len(sent))
	}
	if sent[0].OpenedOrderID != "customer-17" {
		t.Errorf("OpenedOrderID = %q, want customer-17", sent[0].OpenedOrderID)
	}
	if !sent[0].OutcomeUnknownSince.Equal(requests[0].RequestedAt) {
		t.Errorf("OutcomeUnknownSince = %s, want the first request's %s", sent[0].OutcomeUnknownSince, requests[0].RequestedAt)
	}
}

// After a failure and a retry, the retry appends a new request, but the
// earlier one stays open: the failed call may have bought the order.
func TestLive_retryAfterFailureKeepsEarliestRequest(t *testing.T) {
	client := &requestClient{order: func(ctx context.Context, req adapters.OrderRequest) (adapters.OrderResult, error) {
		return adapters.OrderResult{}, &adapters.Error{Cause: adapters.CauseNotFound, Message: "no API at /v2.4/orders (HTTP 404)"}
	}}
	f := newFixture(t, withLiveClient(client, 10*time.Millisecond))
	startReactor(t, f.store, f.service)
	placed := f.placeAndPay(t)
	f.waitStatus(t, placed.ID, domain.StatusFailed)

	client.mu.Lock()
	client.order = func(ctx context.Context, req adapters.OrderRequest) (adapters.OrderResult, error) {
		return issuedAtOnce(ctx, 1)
	}
	client.mu.Unlock()
	if _, err := f.service.RetryProvisioning(adminContext(), placed.ID); err != nil {
		t.Fatal(err)
	}
	f.waitStatus(t, placed.ID, domain.StatusIssued)

	requests := f.requestsOf(t, placed.ID)
	if len(requests) != 2 {
		t.Fatalf("%d ProviderOrderRequested events, want one per provisioning run", len(requests))
	}
	sent := client.sent()
	if len(sent) != 2 {
		t.Fatalf("%d Order calls, want 2", len(sent))
	}
	if !sent[0].OutcomeUnknownSince.IsZero() {
		t.Errorf("first call's OutcomeUnknownSince = %s, want zero", sent[0].OutcomeUnknownSince)
	}
	if !sent[1].OutcomeUnknownSince.Equal(requests[0].RequestedAt) {
		t.Errorf("retry's OutcomeUnknownSince = %s, want the first request's %s", sent[1].OutcomeUnknownSince, requests[0].RequestedAt)
	}
}

// fakeOrderIndex is a ProviderOrderIndex over a map from provider and
// provider order id to order id.
type fakeOrderIndex struct {
	owners  map[string]string
	err     error
	lookups int
}

func (i *fakeOrderIndex) ProviderOrderOwner(ctx context.Context, provider, providerOrderID string) (string, bool, error) {
	i.lookups++
	if i.err != nil {
		return "", false, i.err
	}
	owner, found := i.owners[provider+"/"+providerOrderID]
	return owner, found, nil
}

func TestClaimedFunc_readsIndex(t *testing.T) {
	f := newFixture(t)
	if f.service.claimedFunc("order-a", "esim-go", purchase{}) != nil {
		t.Fatal("claimedFunc without an index is not nil")
	}
	index := &fakeOrderIndex{owners: map[string]string{
		"esim-go/taken": "order-b", "esim-go/mine": "order-a", "esim-go/recorded": "order-b",
	}}
	f.service.UseProviderOrderIndex(index)
	claimed := f.service.claimedFunc("order-a", "esim-go", purchase{recorded: map[string]bool{"recorded": true}})

	for _, tc := range []struct {
		providerOrderID string
		want            bool
	}{
		{"taken", true},
		{"mine", false},
		{"unknown", false},
		{"recorded", false}, // the order's own stream outranks the index
	} {
		got, err := claimed(context.Background(), tc.providerOrderID)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("claimed(%s) = %v, want %v", tc.providerOrderID, got, tc.want)
		}
	}
	if index.lookups != 3 {
		t.Errorf("index read %d times, want 3: not for the recorded order", index.lookups)
	}

	index.err = errors.New("redis unavailable")
	_, err := claimed(context.Background(), "taken")
	var local *localError
	if !errors.As(err, &local) || !errors.Is(err, index.err) {
		t.Errorf("error = %v, want a localError wrapping the index's error", err)
	}
	if step := providerFailure("esim-go", err); step.retryErr == nil || step.final != "" {
		t.Errorf("step = %+v, want the index's failure retried", step)
	}
}
