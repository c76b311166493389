package app_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	catalogapp "esimscan/backend/internal/catalog/app"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/eventstore/memstore"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/platform/secrets"
	"esimscan/backend/internal/providers/adapters"
	providersapp "esimscan/backend/internal/providers/app"
	"esimscan/backend/money"
)

// fakeClient is a hand-written adapters.Client whose calls run the
// functions a test sets. Unset functions fail the call.
type fakeClient struct {
	balance func(ctx context.Context) (adapters.Balance, error)
	list    func(ctx context.Context, yield func(adapters.Package) error) error
}

func (c *fakeClient) Balance(ctx context.Context) (adapters.Balance, error) {
	if c.balance == nil {
		return adapters.Balance{}, &adapters.Error{Cause: adapters.CauseServerError, Message: "balance not faked"}
	}
	return c.balance(ctx)
}

func (c *fakeClient) ListPackages(ctx context.Context, yield func(adapters.Package) error) error {
	if c.list == nil {
		return &adapters.Error{Cause: adapters.CauseServerError, Message: "listing not faked"}
	}
	return c.list(ctx, yield)
}

func (c *fakeClient) Order(ctx context.Context, req adapters.OrderRequest) (adapters.OrderResult, error) {
	return adapters.OrderResult{}, &adapters.Error{Cause: adapters.CauseServerError, Message: "not faked"}
}

func (c *fakeClient) QueryOrder(ctx context.Context, providerOrderID string) (adapters.OrderResult, error) {
	return adapters.OrderResult{}, &adapters.Error{Cause: adapters.CauseServerError, Message: "not faked"}
}

// factoryRecorder is an adapters.Factory that returns client and records
// the settings of every build.
type factoryRecorder struct {
	mu       sync.Mutex
	client   *fakeClient
	settings []adapters.Settings
}

func (f *factoryRecorder) build(settings adapters.Settings) (adapters.Client, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.settings = append(f.settings, settings)
	return f.client, nil
}

func (f *factoryRecorder) builds() []adapters.Settings {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]adapters.Settings(nil), f.settings...)
}

// fakeClock is a clock that moves only when a test advances it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is one service over a fresh in-memory store.
type fixture struct {
	store   *memstore.Store
	keys    *secrets.Keyring
	appKey  string
	client  *fakeClient
	factory *factoryRecorder
	clock   *fakeClock
	logs    *syncBuffer
	catalog *catalogapp.Service
	service *providersapp.Service
	budget  time.Duration
	// testTimeout is Deps.TestTimeout; zero keeps the default.
	testTimeout time.Duration
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	appKey, err := secrets.GenerateAppKey()
	require.NoError(t, err)
	f := &fixture{
		store:  memstore.New(),
		appKey: appKey,
		client: &fakeClient{},
		clock:  &fakeClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)},
		logs:   &syncBuffer{},
		budget: time.Minute,
	}
	f.factory = &factoryRecorder{client: f.client}
	f.restart(t, appKey)
	return f
}

// restart builds a new service over the same store, as after a process
// restart, with the APP_KEY appKey.
func (f *fixture) restart(t *testing.T, appKey string) {
	t.Helper()
	keys, err := secrets.ParseAppKey(appKey)
	require.NoError(t, err)
	f.keys = keys
	repo := &esrepo.Repository{Store: f.store}
	logger := zerolog.New(f.logs)
	f.catalog = catalogapp.NewService(catalogapp.Deps{Repo: repo, Logger: logger})
	factories := map[string]adapters.Factory{}
	for _, slug := range []string{"airalo", "esim-access", "maya", "esim-go"} {
		factories[slug] = f.factory.build
	}
	f.service = providersapp.NewService(providersapp.Deps{
		Repo:        repo,
		Keys:        keys,
		Factories:   factories,
		Catalog:     f.catalog,
		Logger:      logger,
		SyncBudget:  f.budget,
		TestTimeout: f.testTimeout,
		Now:         f.clock.Now,
	})
}

func adminContext() context.Context {
	return esrepo.WithActor(context.Background(), "admin-1")
}

// esimAccessCommand is a valid first save of esim-access.
func esimAccessCommand() providersapp.ConfigureProvider {
	return providersapp.ConfigureProvider{
		Slug:                "esim-access",
		BaseURL:             "https://api.esimaccess.example//",
		MarginPercent:       "25",
		SyncIntervalMinutes: 60,
		Credentials:         map[string]string{"access_code": "plain-access-code-1", "secret_key": "plain-secret-key-1"},
	}
}

// configure saves cmd and fails the test on error.
func (f *fixture) configure(t *testing.T, cmd providersapp.ConfigureProvider) eventstore.AppendResult {
	t.Helper()
	result, err := f.service.ConfigureProvider(adminContext(), cmd)
	require.NoError(t, err)
	return result
}

// passTest runs a successful connection test.
func (f *fixture) passTest(t *testing.T, slug string) {
	t.Helper()
	f.client.balance = func(ctx context.Context) (adapters.Balance, error) {
		return adapters.Balance{Amount: money.New(12_500_000, "USD")}, nil
	}
	outcome, _, err := f.service.TestProvider(adminContext(), slug)
	require.NoError(t, err)
	require.True(t, outcome.OK)
}

// handleLastSyncStarted passes the stream's last SyncStarted event to the
// sync reaction, as the reactor would, and waits for the sync to finish.
func (f *fixture) handleLastSyncStarted(t *testing.T, stream string) {
	t.Helper()
	var started *eventstore.RecordedEvent
	for _, event := range f.store.Stream(stream) {
		if event.Type == "SyncStarted" {
			started = &event
		}
	}
	require.NotNil(t, started, "stream %s has a SyncStarted event", stream)
	reaction := f.service.Reactions()[0]
	require.NoError(t, reaction.Handle(context.Background(), *started))
	waitSyncs(t, f.service)
}

// waitSyncs waits for background syncs, failing the test after 10 s.
func waitSyncs(t *testing.T, service *providersapp.Service) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		service.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("background sync did not finish within 10s")
	}
}

func pkg(id, price string) adapters.Package {
	amount, err := money.ParseAmount(price)
	if err != nil {
		panic(err)
	}
	return adapters.Package{
		ProviderPackageID: id,
		Name:              "Package " + id,
		Countries:         []string{"JP"},
		DataMB:            1024,
		ValidityDays:      7,
		Wholesale:         money.New(amount, "USD"),
	}
}
