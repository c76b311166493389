package domain_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/catalog/domain"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/money"
)

func TestPackageID_knownValue(t *testing.T) {
	// Computed independently with Python's hashlib and base64 modules.
	assert.Equal(t, "3q2ywlteoflvk6fh", domain.PackageID("airalo", "japan-7days-1gb"))
	assert.NotEqual(t, domain.PackageID("airalo", "x"), domain.PackageID("maya", "x"))
}

func content(id, price string) domain.Content {
	amount, err := money.ParseAmount(price)
	if err != nil {
		panic(err)
	}
	return domain.Content{
		ProviderPackageID: id,
		Name:              "Package " + id,
		Countries:         []string{"jp"},
		DataMB:            1024,
		ValidityDays:      7,
		Wholesale:         money.New(amount, "USD"),
		Operators:         []string{"SoftBank"},
	}
}

// given returns the catalog of slug after events.
func given(slug string, events ...domain.Event) *domain.Catalog {
	catalog := domain.New(slug)
	for _, event := range events {
		catalog.Apply(event)
	}
	return catalog
}

// synced runs a sync of listing against catalog and applies its events.
func synced(t *testing.T, catalog *domain.Catalog, syncID string, listing ...domain.Content) ([]domain.Event, domain.SyncCounts) {
	t.Helper()
	diff := catalog.NewSyncDiff(syncID)
	for _, item := range listing {
		require.NoError(t, diff.Observe(item))
	}
	events, counts, err := diff.Events(catalog)
	require.NoError(t, err)
	for _, event := range events {
		catalog.Apply(event)
	}
	return events, counts
}

func eventTypes(events []domain.Event) []string {
	types := make([]string, 0, len(events))
	for _, event := range events {
		types = append(types, event.EventType())
	}
	return types
}

func TestSyncDiff_addChangeWithdrawReadd(t *testing.T) {
	catalog := given("maya")

	events, counts := synced(t, catalog, "s1", content("a", "1.00"), content("b", "2.00"))
	assert.Equal(t, []string{"PackageAdded", "PackageAdded", "CatalogSynced"}, eventTypes(events))
	assert.Equal(t, domain.SyncCounts{Seen: 2, Added: 2}, counts)

	events, counts = synced(t, catalog, "s2", content("a", "1.50"))
	assert.Equal(t, []string{"PackageChanged", "PackageWithdrawn", "CatalogSynced"}, eventTypes(events))
	assert.Equal(t, domain.SyncCounts{Seen: 1, Changed: 1, Removed: 1}, counts)
	withdrawn := events[1].(domain.PackageWithdrawn)
	assert.Equal(t, domain.PackageWithdrawn{
		PackageID: domain.PackageID("maya", "b"), Provider: "maya", ProviderPackageID: "b", SyncID: "s2",
	}, withdrawn)

	events, counts = synced(t, catalog, "s3", content("a", "1.50"), content("b", "2.00"))
	assert.Equal(t, []string{"PackageAdded", "CatalogSynced"}, eventTypes(events))
	assert.Equal(t, domain.SyncCounts{Seen: 2, Added: 1}, counts)
	assert.False(t, catalog.Package(domain.PackageID("maya", "b")).Withdrawn)
}

func TestSyncDiff_unchangedResyncOnlyMarker(t *testing.T) {
	catalog := given("maya")
	synced(t, catalog, "s1", content("a", "1.00"), content("b", "2.00"))
	reordered := content("a", "1.00")
	reordered.Countries = []string{"JP", "jp"}

	events, counts := synced(t, catalog, "s2", content("b", "2.00"), reordered)

	assert.Equal(t, []string{"CatalogSynced"}, eventTypes(events))
	assert.Equal(t, domain.SyncCounts{Seen: 2}, counts)
	assert.Equal(t, &domain.SyncRecord{SyncID: "s2", Counts: counts}, catalog.LastSync())
}

func TestSyncDiff_duplicateListingCountsOnce(t *testing.T) {
	catalog := given("esim-go")

	events, counts := synced(t, catalog, "s1", content("a", "1.00"), content("a", "9.00"), content("b", "1.00"))

	assert.Equal(t, domain.SyncCounts{Seen: 2, Added: 2}, counts)
	added := events[0].(domain.PackageAdded)
	assert.Equal(t, "1.00", added.Wholesale.Amount.String(), "the first listing wins")
}

func TestSyncDiff_eventCarriesFullPackage(t *testing.T) {
	unlimited := content("u", "0.9850")
	unlimited.Unlimited = true
	unlimited.Daily = true
	unlimited.RegionCode = "EU"
	unlimited.RegionName = "Europe"
	unlimited.Countries = []string{"fr", "DE"}

	events, _ := synced(t, given("esim-access"), "s1", unlimited)

	data, err := json.Marshal(events[0])
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"package_id": "`+domain.PackageID("esim-access", "u")+`",
		"provider": "esim-access", "provider_package_id": "u", "name": "Package u",
		"countries": ["DE", "FR"], "region_code": "EU", "region_name": "Europe",
		"data_mb": null, "unlimited": true, "daily": true, "validity_days": 7,
		"wholesale": {"amount": "0.985", "currency": "USD"},
		"operators": ["SoftBank"], "sync_id": "s1"}`, string(data))
}

func TestSyncDiff_invalidPackageRejected(t *testing.T) {
	diff := given("maya").NewSyncDiff("s1")

	assert.ErrorIs(t, diff.Observe(content("", "1.00")), domain.ErrInvalidPackage)
	badCurrency := content("a", "1.00")
	badCurrency.Wholesale.Currency = "US"
	assert.ErrorIs(t, diff.Observe(badCurrency), domain.ErrInvalidPackage)
}

func TestSyncDiff_eventsAgainstReloadedCatalog(t *testing.T) {
	base := given("maya")
	synced(t, base, "s1", content("a", "1.00"))
	diff := base.NewSyncDiff("s2")
	require.NoError(t, diff.Observe(content("a", "1.00")))
	require.NoError(t, diff.Observe(content("b", "2.00")))
	packageA := domain.PackageID("maya", "a")
	disabled, err := base.UpdatePackage(domain.PackageUpdate{PackageID: packageA, Enabled: new(false)})
	require.NoError(t, err)
	for _, event := range disabled {
		base.Apply(event)
	}

	events, counts, err := diff.Events(base)

	require.NoError(t, err)
	assert.Equal(t, []string{"PackageAdded", "CatalogSynced"}, eventTypes(events))
	assert.Equal(t, domain.SyncCounts{Seen: 2, Added: 1}, counts)
}

func TestCatalog_UpdatePackage(t *testing.T) {
	catalog := given("airalo")
	synced(t, catalog, "s1", content("a", "1.00"), content("b", "1.00"))
	synced(t, catalog, "s2", content("a", "1.00"))
	packageA := domain.PackageID("airalo", "a")
	twelve := money.Percent(1250)

	_, err := catalog.UpdatePackage(domain.PackageUpdate{PackageID: "missing", Enabled: new(false)})
	assert.ErrorIs(t, err, domain.ErrPackageNotFound)
	_, err = catalog.UpdatePackage(domain.PackageUpdate{PackageID: domain.PackageID("airalo", "b"), Enabled: new(false)})
	assert.ErrorIs(t, err, domain.ErrPackageNotFound, "a withdrawn package cannot be edited")

	events, err := catalog.UpdatePackage(domain.PackageUpdate{PackageID: packageA, SetMargin: true, MarginOverride: &twelve, Enabled: new(true)})
	require.NoError(t, err)
	newPercent := "12.5"
	assert.Equal(t, []domain.Event{domain.PackageMarginSet{PackageID: packageA, Provider: "airalo", NewPercent: &newPercent}}, events)
	catalog.Apply(events[0])

	events, err = catalog.UpdatePackage(domain.PackageUpdate{PackageID: packageA, SetMargin: true, Enabled: new(false)})
	require.NoError(t, err)
	assert.Equal(t, []domain.Event{
		domain.PackageMarginSet{PackageID: packageA, Provider: "airalo", OldPercent: &newPercent},
		domain.PackageDisabled{PackageID: packageA, Provider: "airalo"},
	}, events)

	events, err = catalog.UpdatePackage(domain.PackageUpdate{PackageID: packageA, SetMargin: false, Enabled: new(true)})
	require.NoError(t, err)
	assert.Empty(t, events, "nothing changes")
}

func TestParseMargin_rules(t *testing.T) {
	for _, valid := range []string{"0", "100", "12.5", "99.99"} {
		_, err := domain.ParseMargin("margin_override", valid)
		assert.NoError(t, err, valid)
	}
	for _, invalid := range []string{"", "-1", "100.01", "1.234", "abc"} {
		_, err := domain.ParseMargin("margin_override", invalid)
		appErr, ok := apperr.As(err)
		require.True(t, ok, invalid)
		assert.Equal(t, "margin_override", appErr.Field, invalid)
	}
}

func TestDecode_roundTripsEveryType(t *testing.T) {
	percent := "10"
	events := []domain.Event{
		domain.PackageAdded{content("a", "0.9850").Normalize().Data("maya", "s1")},
		domain.PackageChanged{content("a", "1.00").Normalize().Data("maya", "s2")},
		domain.PackageWithdrawn{PackageID: "p", Provider: "maya", ProviderPackageID: "a", SyncID: "s3"},
		domain.PackageMarginSet{PackageID: "p", Provider: "maya", NewPercent: &percent},
		domain.PackageEnabled{PackageID: "p", Provider: "maya"},
		domain.PackageDisabled{PackageID: "p", Provider: "maya"},
		domain.CatalogSynced{Slug: "maya", SyncID: "s1", PackagesSeen: 4, PackagesAdded: 1},
	}
	for _, event := range events {
		data, err := json.Marshal(event)
		require.NoError(t, err)

		decoded, known, err := domain.Decode(event.EventType(), data)

		require.NoError(t, err)
		assert.True(t, known)
		assert.Equal(t, event, decoded)
	}
}

func TestSyncDiff_commitEqualsApplyingEvents(t *testing.T) {
	listings := [][]domain.Content{
		{content("a", "1.00"), content("b", "2.00"), content("c", "3.00")},
		{content("a", "1.50"), content("c", "3.00")},
		{content("b", "2.00"), content("c", "3.00"), content("d", "4.00")},
		{},
	}
	applied := given("maya")
	committed := given("maya")
	ids := []string{"a", "b", "c", "d"}
	for i, listing := range listings {
		syncID := "s" + string(rune('1'+i))
		synced(t, applied, syncID, listing...)
		diff := committed.NewSyncDiff(syncID)
		for _, item := range listing {
			require.NoError(t, diff.Observe(item))
		}
		_, _, err := diff.Encode(committed)
		require.NoError(t, err)

		diff.Commit(committed)

		for _, id := range ids {
			packageID := domain.PackageID("maya", id)
			assert.Equal(t, applied.Package(packageID), committed.Package(packageID), "sync %s, package %s", syncID, id)
		}
		assert.Equal(t, applied.LastSync(), committed.LastSync(), syncID)
	}
}

func TestSyncDiff_encodeMatchesTypedEvents(t *testing.T) {
	catalog := given("esim-go")
	synced(t, catalog, "s1", content("a", "1.00"), content("b", "2.00"))
	diff := catalog.NewSyncDiff("s2")
	require.NoError(t, diff.Observe(content("a", "1.25")))
	require.NoError(t, diff.Observe(content("c", "0.9850")))

	encoded, _, err := diff.Encode(catalog)
	require.NoError(t, err)
	events, _, err := diff.Events(catalog)
	require.NoError(t, err)

	require.Len(t, encoded, len(events))
	for i, event := range events {
		typed, err := json.Marshal(event)
		require.NoError(t, err)
		assert.Equal(t, event.EventType(), encoded[i].Type)
		assert.Equal(t, string(typed), string(encoded[i].Data), "event %d", i)
	}
	assert.Equal(t, []string{"PackageChanged", "PackageAdded", "PackageWithdrawn", "CatalogSynced"}, eventTypes(events))
}

func TestPackage_malformedIDIsUnknown(t *testing.T) {
	catalog := given("maya")
	synced(t, catalog, "s1", content("a", "1.00"))

	assert.Nil(t, catalog.Package(""))
	assert.Nil(t, catalog.Package(domain.PackageID("maya", "a")+"x"))
	assert.NotNil(t, catalog.Package(domain.PackageID("maya", "a")))
}
