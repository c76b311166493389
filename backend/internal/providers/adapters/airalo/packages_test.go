package airalo_test

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/airalo"
	sim "esimscan/backend/internal/simulators/airalo"
	"esimscan/backend/money"
)

func listAll(t *testing.T, client *airalo.Client) []adapters.Package {
	t.Helper()
	var packages []adapters.Package
	err := client.ListPackages(context.Background(), func(pkg adapters.Package) error {
		packages = append(packages, pkg)
		return nil
	})
	require.NoError(t, err)
	return packages
}

func byID(packages []adapters.Package) map[string]adapters.Package {
	indexed := map[string]adapters.Package{}
	for _, pkg := range packages {
		indexed[pkg.ProviderPackageID] = pkg
	}
	return indexed
}

func usd(t *testing.T, amount string) money.Money {
	t.Helper()
	parsed, err := money.ParseAmount(amount)
	require.NoError(t, err)
	return money.New(parsed, "USD")
}

// The expected values below are read off the provider's sample pages.
func TestClient_ListPackages_sampleUnits(t *testing.T) {
	f := newFixture(t, sim.Options{})

	listed := listAll(t, f.client(t, airalo.WithPageSize(2)))

	require.Len(t, listed, 7, "the top-up is skipped")
	packages := byID(listed)
	require.NotContains(t, packages, "hanami-mobile-7days-1gb-topup")
	require.Len(t, f.requestsTo(sim.PathPackages), 2, "two pages of two destinations")

	japan := packages["hanami-mobile-7days-1gb"]
	require.Equal(t, "Hanami Mobile 1 GB - 7 Days", japan.Name)
	require.Equal(t, []string{"JP"}, japan.Countries)
	require.Empty(t, japan.RegionCode)
	require.Empty(t, japan.RegionName)
	require.Equal(t, int64(1024), japan.DataMB, "1 GB is 1024 MB")
	require.False(t, japan.Unlimited)
	require.False(t, japan.Daily)
	require.Equal(t, 7, japan.ValidityDays)
	require.Equal(t, usd(t, "3.2"), japan.Wholesale, "net_price, not the retail price 5.0")
	require.Equal(t, []string{"Hanami Mobile"}, japan.Operators)

	japan30 := packages["hanami-mobile-30days-5gb"]
	require.Equal(t, int64(5120), japan30.DataMB)
	require.Equal(t, 30, japan30.ValidityDays)
	require.Equal(t, "11.50", japan30.Wholesale.Amount.String())

	unlimited := packages["hanami-mobile-5days-unlimited"]
	require.True(t, unlimited.Unlimited)
	require.Zero(t, unlimited.DataMB)
	require.Equal(t, 5, unlimited.ValidityDays)
	require.Equal(t, usd(t, "13"), unlimited.Wholesale)

	europe := packages["continent-link-30days-10gb"]
	require.Equal(t, "europe", europe.RegionCode)
	require.Equal(t, "Europe", europe.RegionName)
	require.Equal(t, []string{"AT", "BE", "DE", "ES", "FR", "IT", "NL", "PT"}, europe.Countries)
	require.Equal(t, int64(10240), europe.DataMB)
	require.Equal(t, 30, europe.ValidityDays)
	require.Equal(t, usd(t, "21.5"), europe.Wholesale)
	require.Equal(t, []string{"Continent Link"}, europe.Operators)
	require.Equal(t, usd(t, "3.6"), packages["continent-link-7days-1gb"].Wholesale)

	us := packages["liberty-wave-15days-3gb"]
	require.Equal(t, "Liberty Wave 3 GB - 50 SMS - 100 Mins - 15 Days", us.Name)
	require.Equal(t, []string{"US"}, us.Countries)
	require.Empty(t, us.RegionCode)
	require.Equal(t, int64(3072), us.DataMB)
	require.Equal(t, 15, us.ValidityDays)
	require.Equal(t, usd(t, "8.9"), us.Wholesale)

	world := packages["orbit-roam-30days-3gb"]
	require.Equal(t, "world", world.RegionCode)
	require.Equal(t, "Discover Global", world.RegionName)
	require.Len(t, world.Countries, 10)
	require.Equal(t, "AE", world.Countries[0])
	require.Equal(t, "ZA", world.Countries[9])
	require.Equal(t, usd(t, "16"), world.Wholesale)
	require.Equal(t, "USD", world.Wholesale.Currency)
}

func TestClient_ListPackages_keyedPages(t *testing.T) {
	f := newFixture(t, sim.Options{KeyedPages: true, Packages: 95})

	listed := listAll(t, f.client(t, airalo.WithPageSize(3)))

	require.Len(t, listed, 7+95)
	require.Len(t, byID(listed), 7+95)
	require.Len(t, f.requestsTo(sim.PathPackages), 5, "14 destinations in pages of 3")
}

func TestClient_ListPackages_duplicateYieldedTwice(t *testing.T) {
	f := newFixture(t, sim.Options{})
	japan := sim.SampleDestinations()[0]
	japan.Slug = "japan-again"
	f.sim.UpsertDestinations(japan)
	seen := map[string]int{}

	err := f.client(t, airalo.WithPageSize(2)).ListPackages(context.Background(), func(pkg adapters.Package) error {
		seen[pkg.ProviderPackageID]++
		return nil
	})

	require.NoError(t, err)
	require.Equal(t, 2, seen["hanami-mobile-7days-1gb"], "the caller deduplicates")
	require.Equal(t, 1, seen["liberty-wave-15days-3gb"])
	require.Len(t, f.requestsTo(sim.PathPackages), 3)
}

func TestClient_ListPackages_oddNumbers(t *testing.T) {
	f := newFixture(t, sim.Options{})
	destination := sim.SampleDestinations()[0]
	destination.Slug = "odd"
	operator := &destination.Operators[0]
	operator.Packages = operator.Packages[:1]
	pkg := &operator.Packages[0]
	pkg.ID = "odd-exponent"
	pkg.NetPrice = json.Number("1.25e1")
	pkg.Amount = 66651
	pkg.IsUnlimited = true // trusted over amount
	f.sim.RemoveDestinations("japan", "europe", "united-states", "world")
	f.sim.UpsertDestinations(destination)

	packages := byID(listAll(t, f.client(t)))

	odd := packages["odd-exponent"]
	require.Equal(t, usd(t, "12.5"), odd.Wholesale)
	require.True(t, odd.Unlimited)
	require.Zero(t, odd.DataMB)
}

func TestClient_ListPackages_unreadableUnits(t *testing.T) {
	cases := map[string]func(*sim.Package){
		"no net price":  func(p *sim.Package) { p.NetPrice = "" },
		"zero data":     func(p *sim.Package) { p.Amount = 0 },
		"zero days":     func(p *sim.Package) { p.Day = 0 },
		"sub-micro USD": func(p *sim.Package) { p.NetPrice = "0.0000001" },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, sim.Options{})
			destination := sim.SampleDestinations()[2]
			change(&destination.Operators[0].Packages[0])
			f.sim.UpsertDestinations(destination)

			err := f.client(t).ListPackages(context.Background(), func(adapters.Package) error { return nil })

			failure := f.requireFailure(t, err, adapters.CauseBadResponse)
			require.Contains(t, failure.Message, "liberty-wave-15days-3gb")
		})
	}
}

func TestClient_ListPackages_yieldErrorStops(t *testing.T) {
	f := newFixture(t, sim.Options{Packages: 100})
	stop := errors.New("stop here")
	seen := 0

	err := f.client(t).ListPackages(context.Background(), func(adapters.Package) error {
		seen++
		if seen == 3 {
			return stop
		}
		return nil
	})

	require.Equal(t, stop, err, "returned unchanged")
	require.Equal(t, 3, seen)
}

func TestClient_ListPackages_failureModes(t *testing.T) {
	cases := []struct {
		failure sim.Failure
		cause   adapters.Cause
	}{
		{sim.Failure{Mode: sim.FailMalformed}, adapters.CauseBadResponse},
		{sim.Failure{Mode: sim.FailHTML}, adapters.CauseBadResponse},
		{sim.Failure{Mode: sim.FailServerError, Count: 3}, adapters.CauseServerError},
		{sim.Failure{Mode: sim.FailRateLimited, Count: 3}, adapters.CauseRateLimited},
	}
	for _, tc := range cases {
		t.Run(tc.failure.Mode, func(t *testing.T) {
			f := newFixture(t, sim.Options{})
			tc.failure.Path = sim.PathPackages
			f.sim.Fail(tc.failure)

			err := f.client(t).ListPackages(context.Background(), func(adapters.Package) error { return nil })

			f.requireFailure(t, err, tc.cause)
		})
	}
}

func TestClient_ListPackages_secondPageFails(t *testing.T) {
	f := newFixture(t, sim.Options{})
	seen := 0

	err := f.client(t, airalo.WithPageSize(2)).ListPackages(context.Background(), func(adapters.Package) error {
		seen++
		if seen == 5 { // the last package of page 1
			f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Count: 3, Path: sim.PathPackages})
		}
		return nil
	})

	f.requireFailure(t, err, adapters.CauseServerError)
	require.ErrorContains(t, err, "page 2")
	require.Equal(t, 5, seen)
}

// A 50,000-package catalog arrives in 100 pages of 50 destinations; the
// heap in use while it streams stays far below the catalog's size.
func TestClient_ListPackages_largeCatalogBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 50,000 packages")
	}
	const synthetic = 50_000
	f := newFixture(t, sim.Options{Packages: synthetic, KeyedPages: true})

	runtime.GC()
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	baseline := stats.HeapInuse
	peak := baseline
	count := 0

	err := f.client(t).ListPackages(context.Background(), func(adapters.Package) error {
		count++
		if count%2000 == 0 {
			runtime.ReadMemStats(&stats)
			peak = max(peak, stats.HeapInuse)
		}
		return nil
	})

	require.NoError(t, err)
	require.Equal(t, synthetic+7, count)
	growth := peak - baseline
	t.Logf("50,007 packages in %d pages: heap in use grew by at most %.1f MiB over a %.1f MiB baseline",
		len(f.requestsTo(sim.PathPackages)), float64(growth)/(1<<20), float64(baseline)/(1<<20))
	require.Less(t, growth, uint64(16<<20))
}
