package app

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/eventstore/memstore"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/platform/reactor"
	"esimscan/backend/money"
)

// waitTimeout bounds every wait in these tests.
const waitTimeout = 5 * time.Second

var fixedNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// fakePricing quotes from a map that tests may change between calls.
type fakePricing struct {
	mu     sync.Mutex
	quotes map[string]Quote
	err    error
}

func (p *fakePricing) Quote(ctx context.Context, packageID string) (Quote, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return Quote{}, p.err
	}
	quote, ok := p.quotes[packageID]
	if !ok {
		return Quote{}, ErrPackageNotFound
	}
	return quote, nil
}

func (p *fakePricing) set(quote Quote) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.quotes[quote.PackageID] = quote
}

func usd(amount string) money.Money {
	parsed, err := money.ParseAmount(amount)
	if err != nil {
		panic(err)
	}
	return money.New(parsed, "USD")
}

func japanQuote() Quote {
	dataMB := int64(1024)
	return Quote{
		PackageID:         "pkgjapan1gb00001",
		Provider:          "airalo",
		ProviderPackageID: "moshi-moshi-7days-1gb",
		Name:              "Japan 1 GB 7 days",
		Countries:         []string{"JP"},
		DataMB:            &dataMB,
		ValidityDays:      7,
		UnitPrice:         usd("4.50"),
		Sellable:          true,
	}
}

type fixture struct {
	store   *memstore.Store
	pricing *fakePricing
	service *Service
}

type option func(*Deps)

func withDriver(driver string) option { return func(d *Deps) { d.Driver = driver } }

func withoutTestPayments() option { return func(d *Deps) { d.TestPayments = false } }

func newFixture(t *testing.T, options ...option) *fixture {
	t.Helper()
	store := memstore.New()
	t.Cleanup(func() { store.Close() })
	pricing := &fakePricing{quotes: map[string]Quote{}}
	pricing.set(japanQuote())
	return &fixture{store: store, pricing: pricing, service: newService(t, store, pricing, options...)}
}

func newService(t *testing.T, store eventstore.Store, pricing Pricing, options ...option) *Service {
	deps := Deps{
		Repo:         &esrepo.Repository{Store: store},
		Pricing:      pricing,
		Driver:       domain.DriverManual,
		TestPayments: true,
		Logger:       zerolog.New(zerolog.NewTestWriter(t)),
		Now:          func() time.Time { return fixedNow },
	}
	for _, apply := range options {
		apply(&deps)
	}
	return NewService(deps)
}

func (f *fixture) place(t *testing.T) PlacedOrder {
	t.Helper()
	placed, err := f.service.PlaceOrder(context.Background(), PlaceOrder{PackageID: japanQuote().PackageID, Email: "buyer@example.com"})
	if err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	return placed
}

func (f *fixture) placeAndPay(t *testing.T) PlacedOrder {
	t.Helper()
	placed := f.place(t)
	if _, err := f.service.PayWithTestGateway(context.Background(), placed.ID, placed.AccessToken); err != nil {
		t.Fatalf("PayWithTestGateway: %v", err)
	}
	return placed
}

// typesOf returns the event types of an order's stream, in order.
func (f *fixture) typesOf(t *testing.T, orderID string) []string {
	t.Helper()
	events, err := f.store.ReadStream(context.Background(), streamOf(orderID), 0)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	types := make([]string, 0, len(events))
	for _, event := range events {
		types = append(types, event.Type)
	}
	return types
}

func countType(types []string, eventType string) int {
	count := 0
	for _, each := range types {
		if each == eventType {
			count++
		}
	}
	return count
}

// lastEvent decodes the last event of type eventType in an order's stream.
func (f *fixture) lastEvent(t *testing.T, orderID, eventType string, into any) {
	t.Helper()
	events, err := f.store.ReadStream(context.Background(), streamOf(orderID), 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Type == eventType {
			if err := json.Unmarshal(events[i].Data, into); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no %s in order %s", eventType, orderID)
}

func wantAppError(t *testing.T, err error, kind apperr.Kind, code, field string) {
	t.Helper()
	appErr, ok := apperr.As(err)
	if !ok {
		t.Fatalf("error = %v, want an apperr.Error with code %s", err, code)
	}
	if appErr.Kind != kind {
		t.Errorf("kind = %d, want %d", appErr.Kind, kind)
	}
	if appErr.Code != code {
		t.Errorf("code = %q, want %q", appErr.Code, code)
	}
	if appErr.Field != field {
		t.Errorf("field = %q, want %q", appErr.Field, field)
	}
}

// eventually polls cond until it holds or waitTimeout passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	ticker := time.NewTicker(5 * time.Millisecond)
	defer ticker.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", waitTimeout, what)
		}
		<-ticker.C
	}
}

// runningReactor runs a service's reactions on a store, as one process
// does between its start and its stop.
type runningReactor struct {
	store   *memstore.Store
	service *Service
	handled atomic.Uint64 // highest position handed to a handler and finished
	cancel  context.CancelFunc
	done    chan error
	stopped sync.Once
}

func startReactor(t *testing.T, store *memstore.Store, service *Service) *runningReactor {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	running := &runningReactor{store: store, service: service, cancel: cancel, done: make(chan error, 1)}
	var reactions []reactor.Reaction
	for _, reaction := range service.Reactions() {
		handle := reaction.Handle
		reaction.Handle = func(ctx context.Context, event eventstore.RecordedEvent) error {
			err := handle(ctx, event)
			if err == nil {
				running.handled.Store(uint64(event.Position))
			}
			return err
		}
		reactions = append(reactions, reaction)
	}
	go func() { running.done <- reactor.Run(ctx, store, zerolog.New(zerolog.NewTestWriter(t)), reactions...) }()
	t.Cleanup(running.stop)
	return running
}

// caughtUp reports whether every event the reaction handles has been
// handled, including the events its own handlers appended.
func (r *runningReactor) caughtUp() bool {
	var last eventstore.Position
	for _, event := range r.store.All() {
		switch event.Type {
		case domain.EventOrderPaid, domain.EventProvisioningStarted, domain.EventProvisioningRetried:
			last = event.Position
		}
	}
	return eventstore.Position(r.handled.Load()) >= last
}

func (r *runningReactor) waitCaughtUp(t *testing.T) {
	t.Helper()
	eventually(t, "the reactor to handle every event", r.caughtUp)
}

// stop cancels the reactor and waits for it and its handlers to return.
func (r *runningReactor) stop() {
	r.stopped.Do(func() {
		r.cancel()
		select {
		case <-r.done:
		case <-time.After(waitTimeout):
			panic("reactor did not stop within " + waitTimeout.String())
		}
		r.service.Wait()
	})
}

func recordedOf(eventType string, data []byte) eventstore.RecordedEvent {
	return eventstore.RecordedEvent{ID: "event-under-test", Type: eventType, Stream: "order-x", Data: data}
}
