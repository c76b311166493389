package app_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/catalog/domain"
	"esimscan/backend/internal/platform/reactor"
	"esimscan/backend/internal/platform/secrets"
	"esimscan/backend/internal/providers/adapters"
	providersapp "esimscan/backend/internal/providers/app"
)

const catalogStream = "catalog-esim-access"

// listing returns a ListPackages fake that yields pages, advancing the
// clock by step before each package.
func listing(clock *fakeClock, step time.Duration, pages ...[]adapters.Package) func(context.Context, func(adapters.Package) error) error {
	return func(ctx context.Context, yield func(adapters.Package) error) error {
		for _, page := range pages {
			for _, item := range page {
				clock.Advance(step)
				if err := yield(item); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

func syncEvents(t *testing.T, f *fixture) []map[string]any {
	t.Helper()
	var events []map[string]any
	for _, event := range f.store.Stream(esimAccessStream) {
		switch event.Type {
		case "SyncStarted", "SyncProgressed", "SyncCompleted", "SyncFailed":
			data := map[string]any{"type": event.Type}
			require.NoError(t, json.Unmarshal(event.Data, &data))
			events = append(events, data)
		}
	}
	return events
}

// runSync configures esim-access, starts a sync and runs it to the end.
func runSync(t *testing.T, f *fixture) string {
	t.Helper()
	syncID, _, err := f.service.StartSync(adminContext(), "esim-access")
	require.NoError(t, err)
	f.handleLastSyncStarted(t, esimAccessStream)
	return syncID
}

func TestService_Sync_completesWithProgress(t *testing.T) {
	f := newFixture(t)
	f.configure(t, esimAccessCommand())
	f.client.list = listing(f.clock, time.Second,
		[]adapters.Package{pkg("a", "1"), pkg("b", "2"), pkg("c", "3")},
		[]adapters.Package{pkg("c", "3"), pkg("d", "4"), pkg("e", "5")},
	)

	syncID := runSync(t, f)

	events := syncEvents(t, f)
	require.Len(t, events, 4, "started, progress at 2 s and 4 s, completed: %v", events)
	assert.Equal(t, "SyncStarted", events[0]["type"])
	assert.Equal(t, syncID, events[0]["sync_id"])
	assert.Equal(t, "SyncProgressed", events[1]["type"])
	assert.Equal(t, 2.0, events[1]["packages_seen"])
	assert.Equal(t, "SyncProgressed", events[2]["type"])
	assert.Equal(t, 4.0, events[2]["packages_seen"], "a, b, c and d at 5 s: the repeated c counts once")
	completed := events[3]
	assert.Equal(t, "SyncCompleted", completed["type"])
	assert.Equal(t, 5.0, completed["packages_seen"])
	assert.Equal(t, 5.0, completed["packages_added"])
	assert.Equal(t, 0.0, completed["packages_changed"])
	assert.Equal(t, 0.0, completed["packages_removed"])
	assert.Equal(t, "2025-03-01T12:00:06Z", completed["finished_at"])
	assert.Len(t, f.store.Stream(catalogStream), 6, "five packages and the marker")
	for _, event := range f.store.Stream(esimAccessStream) {
		if event.Type == "SyncCompleted" {
			assert.Equal(t, "system", event.Metadata.ActorID)
		}
	}
}

func TestService_Sync_unchangedResyncNoPackageEvents(t *testing.T) {
	f := newFixture(t)
	f.configure(t, esimAccessCommand())
	f.client.list = listing(f.clock, 0, []adapters.Package{pkg("a", "1"), pkg("b", "2")})
	runSync(t, f)
	before := len(f.store.Stream(catalogStream))

	runSync(t, f)

	catalog := f.store.Stream(catalogStream)
	require.Len(t, catalog, before+1)
	assert.Equal(t, domain.TypeCatalogSynced, catalog[len(catalog)-1].Type)
}

func TestService_Sync_failedListingAppendsNoCatalogEvents(t *testing.T) {
	f := newFixture(t)
	f.configure(t, esimAccessCommand())
	f.client.list = func(ctx context.Context, yield func(adapters.Package) error) error {
		if err := yield(pkg("a", "1")); err != nil {
			return err
		}
		return &adapters.Error{Cause: adapters.CauseRateLimited, Message: "the provider answered 429 after 3 retries"}
	}

	runSync(t, f)

	events := syncEvents(t, f)
	failed := events[len(events)-1]
	assert.Equal(t, "SyncFailed", failed["type"])
	assert.Equal(t, "rate_limited", failed["cause"])
	assert.Equal(t, "the provider answered 429 after 3 retries", failed["message"])
	assert.Equal(t, 1.0, failed["packages_seen"])
	assert.Empty(t, f.store.Stream(catalogStream))
}

func TestService_Sync_budgetExceeded(t *testing.T) {
	f := newFixture(t)
	f.budget = 50 * time.Millisecond
	f.restart(t, f.appKey)
	f.configure(t, esimAccessCommand())
	f.client.list = listing(f.clock, 0, []adapters.Package{pkg("a", "1")})
	runSync(t, f)
	catalogBefore := len(f.store.Stream(catalogStream))
	f.client.list = func(ctx context.Context, yield func(adapters.Package) error) error {
		if err := yield(pkg("b", "1")); err != nil {
			return err
		}
		<-ctx.Done()
		return &adapters.Error{Cause: adapters.CauseTimeout, Message: "page 2 timed out", Err: ctx.Err()}
	}

	runSync(t, f)

	events := syncEvents(t, f)
	failed := events[len(events)-1]
	assert.Equal(t, "SyncFailed", failed["type"])
	assert.Equal(t, "timeout", failed["cause"])
	assert.Contains(t, failed["message"], "time budget of 50ms")
	assert.Len(t, f.store.Stream(catalogStream), catalogBefore, "a package missing from a cut listing is not withdrawn")
}

func TestService_Sync_undecryptableCredentials(t *testing.T) {
	f := newFixture(t)
	f.configure(t, esimAccessCommand())
	f.restart(t, mustGenerateAppKey(t))

	syncID := runSync(t, f)

	events := syncEvents(t, f)
	require.Len(t, events, 2)
	failed := events[1]
	assert.Equal(t, "SyncFailed", failed["type"])
	assert.Equal(t, syncID, failed["sync_id"])
	assert.Equal(t, "credentials", failed["cause"])
	assert.Equal(t, providersapp.MessageUndecryptable, failed["message"])
	assert.Empty(t, f.store.Stream(catalogStream))
}

func TestService_StartSync_whileRunning(t *testing.T) {
	f := newFixture(t)
	f.configure(t, esimAccessCommand())
	_, _, err := f.service.StartSync(adminContext(), "esim-access")
	require.NoError(t, err)

	_, _, err = f.service.StartSync(adminContext(), "esim-access")

	assertConflict(t, err, "sync_running")
}

func TestService_SyncReaction_skipsSyncsNotStartedHere(t *testing.T) {
	f := newFixture(t)
	f.configure(t, esimAccessCommand())
	_, _, err := f.service.StartSync(adminContext(), "esim-access")
	require.NoError(t, err)
	var listings atomic.Int32
	f.client.list = func(ctx context.Context, yield func(adapters.Package) error) error {
		listings.Add(1)
		return nil
	}
	f.restart(t, f.appKey)

	f.handleLastSyncStarted(t, esimAccessStream)

	assert.Zero(t, listings.Load())
	assert.Len(t, syncEvents(t, f), 1, "the sync is left for recovery")
}

func TestService_SyncReaction_sameEventTwiceRunsOnce(t *testing.T) {
	f := newFixture(t)
	f.configure(t, esimAccessCommand())
	var listings atomic.Int32
	f.client.list = func(ctx context.Context, yield func(adapters.Package) error) error {
		listings.Add(1)
		return yield(pkg("a", "1"))
	}
	runSync(t, f)

	f.handleLastSyncStarted(t, esimAccessStream)

	assert.Equal(t, int32(1), listings.Load())
}

func TestService_RecoverInterruptedSyncs_failsUnsynced(t *testing.T) {
	f := newFixture(t)
	f.configure(t, esimAccessCommand())
	syncID, _, err := f.service.StartSync(adminContext(), "esim-access")
	require.NoError(t, err)
	f.restart(t, f.appKey)

	require.NoError(t, f.service.RecoverInterruptedSyncs(context.Background()))

	events := syncEvents(t, f)
	require.Len(t, events, 2)
	assert.Equal(t, "SyncFailed", events[1]["type"])
	assert.Equal(t, syncID, events[1]["sync_id"])
	assert.Equal(t, providersapp.MessageInterrupted, events[1]["message"])
	assert.Equal(t, "server_error", events[1]["cause"], "the public API allows no empty cause")

	require.NoError(t, f.service.RecoverInterruptedSyncs(context.Background()))
	assert.Len(t, syncEvents(t, f), 2, "a second recovery appends nothing")
	_, _, err = f.service.StartSync(adminContext(), "esim-access")
	assert.NoError(t, err, "a new sync may start after recovery")
}

func TestService_RecoverInterruptedSyncs_completesSynced(t *testing.T) {
	f := newFixture(t)
	f.configure(t, esimAccessCommand())
	syncID, _, err := f.service.StartSync(adminContext(), "esim-access")
	require.NoError(t, err)
	// The catalog append landed, then the process stopped before SyncCompleted.
	_, err = f.catalog.ApplySync(context.Background(), "esim-access", syncID, func(yield func(adapters.Package) error) error {
		for _, item := range []adapters.Package{pkg("a", "1"), pkg("b", "1")} {
			if err := yield(item); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	f.restart(t, f.appKey)

	require.NoError(t, f.service.RecoverInterruptedSyncs(context.Background()))

	events := syncEvents(t, f)
	require.Len(t, events, 2)
	completed := events[1]
	assert.Equal(t, "SyncCompleted", completed["type"])
	assert.Equal(t, syncID, completed["sync_id"])
	assert.Equal(t, 2.0, completed["packages_seen"])
	assert.Equal(t, 2.0, completed["packages_added"])
}

func TestService_Sync_shutdownRecordsInterruption(t *testing.T) {
	f := newFixture(t)
	f.configure(t, esimAccessCommand())
	listing := make(chan struct{})
	f.client.list = func(ctx context.Context, yield func(adapters.Package) error) error {
		if err := yield(pkg("a", "1")); err != nil {
			return err
		}
		close(listing)
		<-ctx.Done()
		return ctx.Err()
	}
	_, _, err := f.service.StartSync(adminContext(), "esim-access")
	require.NoError(t, err)
	events := f.store.Stream(esimAccessStream)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, f.service.Reactions()[0].Handle(ctx, events[len(events)-1]))

	select {
	case <-listing:
	case <-time.After(10 * time.Second):
		t.Fatal("the sync did not start listing within 10s")
	}
	cancel()
	waitSyncs(t, f.service)

	failed := syncEvents(t, f)[1]
	assert.Equal(t, "SyncFailed", failed["type"])
	assert.Equal(t, providersapp.MessageInterrupted, failed["message"])
	assert.Equal(t, "server_error", failed["cause"])
	assert.Empty(t, f.store.Stream(catalogStream))
}

func TestService_Sync_throughReactor(t *testing.T) {
	f := newFixture(t)
	f.configure(t, esimAccessCommand())
	f.client.list = listing(f.clock, 0, []adapters.Package{pkg("a", "1")})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- reactor.Run(ctx, f.store, zerolog.Nop(), f.service.Reactions()...) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			t.Error("reactor did not stop within 10s")
		}
	})

	_, _, err := f.service.StartSync(adminContext(), "esim-access")
	require.NoError(t, err)

	deadline := time.After(10 * time.Second)
	for !hasEventType(f, esimAccessStream, "SyncCompleted") {
		select {
		case <-f.store.Changed():
		case <-deadline:
			t.Fatal("SyncCompleted was not appended within 10s")
		}
	}
	assert.Len(t, f.store.Stream(catalogStream), 2)
}

func hasEventType(f *fixture, stream, eventType string) bool {
	for _, event := range f.store.Stream(stream) {
		if event.Type == eventType {
			return true
		}
	}
	return false
}

func mustGenerateAppKey(t *testing.T) string {
	t.Helper()
	appKey, err := secrets.GenerateAppKey()
	require.NoError(t, err)
	return appKey
}
