package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	catalogapp "esimscan/backend/internal/catalog/app"
	"esimscan/backend/internal/catalog/domain"
	"esimscan/backend/internal/eventstore/memstore"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/money"
)

func newService(t *testing.T) (*catalogapp.Service, *memstore.Store) {
	t.Helper()
	store := memstore.New()
	return catalogapp.NewService(catalogapp.Deps{Repo: &esrepo.Repository{Store: store}, Logger: zerolog.Nop()}), store
}

func pkg(id, price string) adapters.Package {
	amount, err := money.ParseAmount(price)
	if err != nil {
		panic(err)
	}
	return adapters.Package{
		ProviderPackageID: id,
		Name:              "Japan " + id,
		Countries:         []string{"JP"},
		DataMB:            1024,
		ValidityDays:      7,
		Wholesale:         money.New(amount, "USD"),
	}
}

// pages returns a fetch function that yields each page in turn.
func pages(pages ...[]adapters.Package) func(yield func(adapters.Package) error) error {
	return func(yield func(adapters.Package) error) error {
		for _, page := range pages {
			for _, item := range page {
				if err := yield(item); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

func newSyncID() string { return uuid.NewString() }

func TestService_ApplySync_diffs(t *testing.T) {
	service, store := newService(t)
	ctx := context.Background()
	stream := domain.StreamName("maya")

	counts, err := service.ApplySync(ctx, "maya", newSyncID(), pages([]adapters.Package{pkg("a", "1"), pkg("b", "2")}))
	require.NoError(t, err)
	assert.Equal(t, catalogapp.SyncCounts{Seen: 2, Added: 2}, counts)

	counts, err = service.ApplySync(ctx, "maya", newSyncID(), pages([]adapters.Package{pkg("a", "1.10")}))
	require.NoError(t, err)
	assert.Equal(t, catalogapp.SyncCounts{Seen: 1, Changed: 1, Removed: 1}, counts)

	counts, err = service.ApplySync(ctx, "maya", newSyncID(), pages([]adapters.Package{pkg("a", "1.10"), pkg("b", "2")}))
	require.NoError(t, err)
	assert.Equal(t, catalogapp.SyncCounts{Seen: 2, Added: 1}, counts)

	assert.Equal(t, []string{
		"PackageAdded", "PackageAdded", "CatalogSynced",
		"PackageChanged", "PackageWithdrawn", "CatalogSynced",
		"PackageAdded", "CatalogSynced",
	}, store.Types(stream))
}

func TestService_ApplySync_unchangedAppendsOnlyMarker(t *testing.T) {
	service, store := newService(t)
	ctx := context.Background()
	listing := pages([]adapters.Package{pkg("a", "1"), pkg("b", "2")})
	_, err := service.ApplySync(ctx, "esim-go", newSyncID(), listing)
	require.NoError(t, err)
	before := len(store.Stream(domain.StreamName("esim-go")))

	syncID := newSyncID()
	counts, err := service.ApplySync(ctx, "esim-go", syncID, listing)

	require.NoError(t, err)
	assert.Equal(t, catalogapp.SyncCounts{Seen: 2}, counts)
	events := store.Stream(domain.StreamName("esim-go"))
	require.Len(t, events, before+1)
	last := events[len(events)-1]
	assert.Equal(t, domain.TypeCatalogSynced, last.Type)
	assert.JSONEq(t, `{"slug": "esim-go", "sync_id": "`+syncID+`", "packages_seen": 2,
		"packages_added": 0, "packages_changed": 0, "packages_removed": 0}`, string(last.Data))
}

func TestService_ApplySync_dedupesAcrossPages(t *testing.T) {
	service, store := newService(t)

	counts, err := service.ApplySync(context.Background(), "airalo", newSyncID(), pages(
		[]adapters.Package{pkg("a", "1"), pkg("b", "2")},
		[]adapters.Package{pkg("b", "2"), pkg("c", "3")},
	))

	require.NoError(t, err)
	assert.Equal(t, catalogapp.SyncCounts{Seen: 3, Added: 3}, counts)
	assert.Len(t, store.Stream(domain.StreamName("airalo")), 4)
}

func TestService_ApplySync_failedFetchAppendsNothing(t *testing.T) {
	service, store := newService(t)
	providerErr := &adapters.Error{Cause: adapters.CauseServerError, Message: "page 2 returned 502"}
	failing := func(yield func(adapters.Package) error) error {
		if err := yield(pkg("a", "1")); err != nil {
			return err
		}
		return providerErr
	}

	_, err := service.ApplySync(context.Background(), "maya", newSyncID(), failing)

	require.ErrorIs(t, err, providerErr)
	assert.Empty(t, store.Stream(domain.StreamName("maya")))
}

func TestService_ApplySync_cancelledAppendsNothing(t *testing.T) {
	service, store := newService(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancelling := func(yield func(adapters.Package) error) error {
		cancel()
		return yield(pkg("a", "1"))
	}

	_, err := service.ApplySync(ctx, "maya", newSyncID(), cancelling)

	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, store.Stream(domain.StreamName("maya")))
}

func TestService_ApplySync_invalidPackageIsBadResponse(t *testing.T) {
	service, store := newService(t)

	_, err := service.ApplySync(context.Background(), "maya", newSyncID(), pages([]adapters.Package{pkg("", "1")}))

	assert.Equal(t, adapters.CauseBadResponse, adapters.CauseOf(err))
	assert.Empty(t, store.Stream(domain.StreamName("maya")))
}

func TestService_ApplySync_retriesAfterAdminEdit(t *testing.T) {
	service, store := newService(t)
	ctx := context.Background()
	_, err := service.ApplySync(ctx, "maya", newSyncID(), pages([]adapters.Package{pkg("a", "1")}))
	require.NoError(t, err)
	packageA := domain.PackageID("maya", "a")
	margin := "30"
	editing := func(yield func(adapters.Package) error) error {
		// An admin's edit lands after the sync loaded the catalog.
		_, err := service.UpdatePackage(ctx, catalogapp.UpdatePackage{
			PackageID: packageA, Provider: "maya", SetMargin: true, MarginOverride: &margin,
		})
		if err != nil {
			return err
		}
		return pages([]adapters.Package{pkg("a", "1.5"), pkg("b", "2")})(yield)
	}

	counts, err := service.ApplySync(ctx, "maya", newSyncID(), editing)

	require.NoError(t, err)
	assert.Equal(t, catalogapp.SyncCounts{Seen: 2, Added: 1, Changed: 1}, counts)
	assert.Equal(t, []string{
		"PackageAdded", "CatalogSynced",
		"PackageMarginSet",
		"PackageChanged", "PackageAdded", "CatalogSynced",
	}, store.Types(domain.StreamName("maya")))
}

func TestService_ApplySync_sameSyncTwiceAppendsOnce(t *testing.T) {
	service, store := newService(t)
	ctx := context.Background()
	syncID := newSyncID()
	listing := pages([]adapters.Package{pkg("a", "1")})

	first, err := service.ApplySync(ctx, "maya", syncID, listing)
	require.NoError(t, err)
	second, err := service.ApplySync(ctx, "maya", syncID, listing)
	require.NoError(t, err)

	assert.Equal(t, first, second)
	assert.Len(t, store.Stream(domain.StreamName("maya")), 2)
	counts, found, err := service.SyncRecord(ctx, "maya", syncID)
	require.NoError(t, err)
	assert.True(t, found)
	assert.Equal(t, first, counts)
	_, found, err = service.SyncRecord(ctx, "maya", newSyncID())
	require.NoError(t, err)
	assert.False(t, found)
}

func TestService_ApplySync_appendFailureReported(t *testing.T) {
	service, store := newService(t)
	store.SetAppendError(errors.New("disk full"))

	_, err := service.ApplySync(context.Background(), "maya", newSyncID(), pages([]adapters.Package{pkg("a", "1")}))

	assert.ErrorContains(t, err, "disk full")
}

func TestService_UpdatePackage(t *testing.T) {
	service, store := newService(t)
	ctx := context.Background()
	_, err := service.ApplySync(ctx, "airalo", newSyncID(), pages([]adapters.Package{pkg("a", "1"), pkg("b", "1")}))
	require.NoError(t, err)
	_, err = service.ApplySync(ctx, "airalo", newSyncID(), pages([]adapters.Package{pkg("a", "1")}))
	require.NoError(t, err)
	stream := domain.StreamName("airalo")
	packageA := domain.PackageID("airalo", "a")
	margin := "12.50"
	disabled := false

	result, err := service.UpdatePackage(ctx, catalogapp.UpdatePackage{
		PackageID: packageA, Provider: "airalo", SetMargin: true, MarginOverride: &margin, Enabled: &disabled,
	})
	require.NoError(t, err)
	events := store.Stream(stream)
	assert.Equal(t, events[len(events)-1].Revision, result.NextRevision)
	marginSet := events[len(events)-2]
	assert.Equal(t, domain.TypePackageMarginSet, marginSet.Type)
	assert.JSONEq(t, `{"package_id": "`+packageA+`", "provider": "airalo", "old_percent": null, "new_percent": "12.5"}`,
		string(marginSet.Data))
	assert.Equal(t, domain.TypePackageDisabled, events[len(events)-1].Type)

	before := len(store.Stream(stream))
	_, err = service.UpdatePackage(ctx, catalogapp.UpdatePackage{
		PackageID: packageA, Provider: "airalo", SetMargin: true, MarginOverride: &margin, Enabled: &disabled,
	})
	require.NoError(t, err)
	assert.Len(t, store.Stream(stream), before, "an update that changes nothing appends nothing")

	_, err = service.UpdatePackage(ctx, catalogapp.UpdatePackage{PackageID: packageA, Provider: "airalo", SetMargin: true})
	require.NoError(t, err)
	cleared := store.Stream(stream)
	var data map[string]any
	require.NoError(t, json.Unmarshal(cleared[len(cleared)-1].Data, &data))
	assert.Nil(t, data["new_percent"])
	assert.Equal(t, "12.5", data["old_percent"])
}

func TestService_UpdatePackage_notFound(t *testing.T) {
	service, _ := newService(t)
	ctx := context.Background()
	_, err := service.ApplySync(ctx, "airalo", newSyncID(), pages([]adapters.Package{pkg("a", "1"), pkg("b", "1")}))
	require.NoError(t, err)
	_, err = service.ApplySync(ctx, "airalo", newSyncID(), pages([]adapters.Package{pkg("a", "1")}))
	require.NoError(t, err)
	enabled := true

	for name, cmd := range map[string]catalogapp.UpdatePackage{
		"unknown package":  {PackageID: "nope", Provider: "airalo", Enabled: &enabled},
		"withdrawn":        {PackageID: domain.PackageID("airalo", "b"), Provider: "airalo", Enabled: &enabled},
		"other provider":   {PackageID: domain.PackageID("airalo", "a"), Provider: "maya", Enabled: &enabled},
		"missing provider": {PackageID: domain.PackageID("airalo", "a"), Enabled: &enabled},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := service.UpdatePackage(ctx, cmd)

			require.ErrorIs(t, err, domain.ErrPackageNotFound)
			appErr, ok := apperr.As(err)
			require.True(t, ok)
			assert.Equal(t, "package_not_found", appErr.Code)
			assert.Equal(t, apperr.KindNotFound, appErr.Kind)
		})
	}
}

func TestService_UpdatePackage_invalidMargin(t *testing.T) {
	service, store := newService(t)
	ctx := context.Background()
	_, err := service.ApplySync(ctx, "airalo", newSyncID(), pages([]adapters.Package{pkg("a", "1")}))
	require.NoError(t, err)
	before := len(store.Stream(domain.StreamName("airalo")))

	for _, margin := range []string{"101", "-5", "1.005", "x", ""} {
		_, err := service.UpdatePackage(ctx, catalogapp.UpdatePackage{
			PackageID: domain.PackageID("airalo", "a"), Provider: "airalo", SetMargin: true, MarginOverride: &margin,
		})

		appErr, ok := apperr.As(err)
		require.True(t, ok, "margin %q", margin)
		assert.Equal(t, "margin_override", appErr.Field)
	}
	assert.Len(t, store.Stream(domain.StreamName("airalo")), before)
}

func TestService_ApplySync_seesAppendsOfAnotherWriter(t *testing.T) {
	// Two services on one store stand for two processes, or a restart: the
	// state a service keeps between syncs must catch up with the stream.
	store := memstore.New()
	repo := &esrepo.Repository{Store: store}
	first := catalogapp.NewService(catalogapp.Deps{Repo: repo, Logger: zerolog.Nop()})
	second := catalogapp.NewService(catalogapp.Deps{Repo: repo, Logger: zerolog.Nop()})
	ctx := context.Background()
	both := pages([]adapters.Package{pkg("a", "1"), pkg("b", "2")})

	_, err := first.ApplySync(ctx, "maya", newSyncID(), both)
	require.NoError(t, err)
	counts, err := second.ApplySync(ctx, "maya", newSyncID(), pages([]adapters.Package{pkg("a", "1")}))
	require.NoError(t, err)
	require.Equal(t, catalogapp.SyncCounts{Seen: 1, Removed: 1}, counts)
	_, err = second.UpdatePackage(ctx, catalogapp.UpdatePackage{
		PackageID: domain.PackageID("maya", "a"), Provider: "maya", Enabled: new(false),
	})
	require.NoError(t, err)

	counts, err = first.ApplySync(ctx, "maya", newSyncID(), both)

	require.NoError(t, err)
	assert.Equal(t, catalogapp.SyncCounts{Seen: 2, Added: 1}, counts, "b was withdrawn by the other writer")
	_, err = first.UpdatePackage(ctx, catalogapp.UpdatePackage{
		PackageID: domain.PackageID("maya", "a"), Provider: "maya", Enabled: new(false),
	})
	require.NoError(t, err)
	assert.Equal(t, []string{
		"PackageAdded", "PackageAdded", "CatalogSynced",
		"PackageWithdrawn", "CatalogSynced",
		"PackageDisabled",
		"PackageAdded", "CatalogSynced",
	}, store.Types(domain.StreamName("maya")), "a was already disabled, so the second disable appends nothing")
}

func TestService_ApplySync_payloadsMatchTypedEvents(t *testing.T) {
	service, store := newService(t)
	_, err := service.ApplySync(context.Background(), "airalo", newSyncID(),
		pages([]adapters.Package{pkg("b", "2.50"), pkg("a", "1")}))
	require.NoError(t, err)

	for _, recorded := range store.Stream(domain.StreamName("airalo")) {
		event, known, err := domain.Decode(recorded.Type, recorded.Data)
		require.NoError(t, err)
		require.True(t, known)
		typed, err := json.Marshal(event)
		require.NoError(t, err)
		assert.Equal(t, string(typed), string(recorded.Data), recorded.Type)
	}
}
