package maya_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	sim "esimscan/backend/internal/simulators/maya"
	"esimscan/backend/money"
)

func listAll(t *testing.T, f *fixture) map[string]adapters.Package {
	t.Helper()
	packages := map[string]adapters.Package{}
	err := f.client(t).ListPackages(context.Background(), func(pkg adapters.Package) error {
		packages[pkg.ProviderPackageID] = pkg
		return nil
	})
	require.NoError(t, err)
	return packages
}

func usd(t *testing.T, decimal string) money.Money {
	t.Helper()
	amount, err := money.ParseAmount(decimal)
	require.NoError(t, err)
	return money.New(amount, "USD")
}

func int64p(v int64) *int64 { return &v }

// The expected values below are read off the public sample response.
func TestClient_ListPackages_sampleUnits(t *testing.T) {
	f := newFixture(t, sim.Options{})

	packages := listAll(t, f)

	require.Len(t, packages, 6)

	japan := packages["Jp3xQ7vL2mKa"]
	require.Equal(t, "Japan 3GB 15 Days", japan.Name)
	require.Equal(t, int64(3000), japan.DataMB, "3145728000 bytes")
	require.Equal(t, 15, japan.ValidityDays)
	require.Equal(t, usd(t, "4.10"), japan.Wholesale)
	require.Equal(t, "4.10 USD", japan.Wholesale.String())
	require.Equal(t, []string{"JP"}, japan.Countries, "JPN")
	require.Empty(t, japan.RegionCode)
	require.Empty(t, japan.RegionName)
	require.False(t, japan.Unlimited)
	require.False(t, japan.Daily)
	require.Empty(t, japan.Operators)

	japanLarge := packages["Jp9hT4nW8cRe"]
	require.Equal(t, int64(10000), japanLarge.DataMB)
	require.Equal(t, 30, japanLarge.ValidityDays)
	require.Equal(t, usd(t, "11.80"), japanLarge.Wholesale)

	us := packages["Us5kB2pD9fGh"]
	require.Equal(t, []string{"US"}, us.Countries, "USA")
	require.Equal(t, int64(5000), us.DataMB)
	require.Equal(t, 30, us.ValidityDays)
	require.Equal(t, usd(t, "7.40"), us.Wholesale)

	europe := packages["Eu8rM1sZ6yTq"]
	require.Equal(t, "Europe+ 10GB 30 Days", europe.Name)
	require.Equal(t, []string{"AT", "BE", "CH", "DE", "DK", "ES", "FR", "GB", "GR", "IE", "IT", "NL", "PL", "PT", "SE"},
		europe.Countries)
	require.Equal(t, "europe-plus", europe.RegionCode)
	require.Equal(t, "Europe+", europe.RegionName)
	require.Equal(t, int64(10000), europe.DataMB)
	require.Equal(t, 30, europe.ValidityDays)
	require.Equal(t, usd(t, "13.20"), europe.Wholesale)
	require.False(t, europe.Unlimited)

	unlimited := packages["Eu2wN7xC4vBn"]
	require.True(t, unlimited.Unlimited)
	require.Zero(t, unlimited.DataMB, "the 100 GB quota is the high-speed allowance, not the volume sold")
	require.False(t, unlimited.Daily)
	require.Equal(t, 7, unlimited.ValidityDays)
	require.Equal(t, usd(t, "16.90"), unlimited.Wholesale)
	require.Equal(t, "europe-plus", unlimited.RegionCode)
	require.Equal(t, "Europe+", unlimited.RegionName)
	require.Len(t, unlimited.Countries, 15)

	thailand := packages["Th6gH3jK1lPz"]
	require.Equal(t, []string{"TH"}, thailand.Countries)
	require.Equal(t, int64(1000), thailand.DataMB)
	require.Equal(t, 7, thailand.ValidityDays)
	require.Equal(t, "1.35", thailand.Wholesale.Amount.String())

	requests := f.requestsTo(http.MethodGet, sim.PathProducts)
	require.Len(t, requests, 1, "one unpaginated call")
	require.Empty(t, requests[0].Query, "no filter: the whole catalog")
}

func TestClient_ListPackages_oddShapes(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.UpsertProducts(
		// A price sent as a JSON number, and only the MB quota.
		sim.Product{UID: "OddNumber001", Name: "France 2GB 10 Days", CountriesEnabled: []string{"fra"},
			DataQuotaMB: int64p(2000), ValidityDays: 10, WholesalePriceUSD: json.RawMessage(`2.5`)},
		// Two-letter codes in lower case, "UK", an unknown code and a repeat.
		sim.Product{UID: "OddCodes0001", Name: "Nordics+UK 5GB 15 Days", CountriesEnabled: []string{"se", "NO", "UK", "XKX", "SWE"},
			DataQuotaBytes: int64p(5000 << 20), ValidityDays: 15, WholesalePriceUSD: json.RawMessage(`"6.00"`)},
		// Unlimited only in the policy, and a quota just above 1.5 GB.
		sim.Product{UID: "OddPolicy001", Name: "Spain Max 7 Days", CountriesEnabled: []string{"ESP"},
			DataQuotaBytes: int64p(1 << 30), ValidityDays: 7, PolicyName: "Unlimited Max",
			WholesalePriceUSD: json.RawMessage(`"9.99"`)},
		sim.Product{UID: "OddRound0001", Name: "Italy 1.5GB 7 Days", CountriesEnabled: []string{"ITA"},
			DataQuotaBytes: int64p(1610612736 + 600000), ValidityDays: 7, WholesalePriceUSD: json.RawMessage(`"1.50"`)},
	)

	packages := listAll(t, f)

	number := packages["OddNumber001"]
	require.Equal(t, usd(t, "2.50"), number.Wholesale)
	require.Equal(t, int64(2000), number.DataMB)
	require.Equal(t, []string{"FR"}, number.Countries)

	codes := packages["OddCodes0001"]
	require.Equal(t, []string{"SE", "NO", "GB"}, codes.Countries)
	require.Equal(t, "nordics-plus-uk", codes.RegionCode)
	require.Equal(t, "Nordics+UK", codes.RegionName)
	require.Equal(t, int64(5000), codes.DataMB)

	policy := packages["OddPolicy001"]
	require.True(t, policy.Unlimited)
	require.Zero(t, policy.DataMB)

	rounded := packages["OddRound0001"]
	require.Equal(t, int64(1537), rounded.DataMB, "1536.57 MB rounds to 1537")
}

func TestClient_ListPackages_unreadableUnits(t *testing.T) {
	cases := []struct {
		name    string
		product sim.Product
		message string
	}{
		{"no price", sim.Product{UID: "BadPrice0001", Name: "Peru 1GB 7 Days", CountriesEnabled: []string{"PER"},
			DataQuotaMB: int64p(1000), ValidityDays: 7}, "wholesale_price_usd is missing"},
		{"float-like price", sim.Product{UID: "BadPrice0002", Name: "Peru 1GB 7 Days", CountriesEnabled: []string{"PER"},
			DataQuotaMB: int64p(1000), ValidityDays: 7, WholesalePriceUSD: json.RawMessage(`"4,10"`)}, "wholesale_price_usd"},
		{"no quota", sim.Product{UID: "BadQuota0001", Name: "Peru 1GB 7 Days", CountriesEnabled: []string{"PER"},
			ValidityDays: 7, WholesalePriceUSD: json.RawMessage(`"1.00"`)}, "neither data_quota_bytes nor data_quota_mb"},
		{"no validity", sim.Product{UID: "BadValid0001", Name: "Peru 1GB", CountriesEnabled: []string{"PER"},
			DataQuotaMB: int64p(1000), WholesalePriceUSD: json.RawMessage(`"1.00"`)}, "validity_days"},
		{"no country", sim.Product{UID: "BadCntry0001", Name: "Nowhere 1GB 7 Days", CountriesEnabled: []string{"XKX"},
			DataQuotaMB: int64p(1000), ValidityDays: 7, WholesalePriceUSD: json.RawMessage(`"1.00"`)}, "no known country code"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, sim.Options{})
			f.sim.UpsertProducts(tc.product)

			err := f.client(t).ListPackages(context.Background(), func(adapters.Package) error { return nil })

			failure := f.requireFailure(t, err, adapters.CauseBadResponse)
			require.Contains(t, failure.Message, tc.product.UID)
			require.Contains(t, failure.Message, tc.message)
		})
	}
}

func TestClient_ListPackages_duplicateYieldedTwice(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.AppendProducts(sim.SampleProducts()[0])
	var ids []string

	err := f.client(t).ListPackages(context.Background(), func(pkg adapters.Package) error {
		ids = append(ids, pkg.ProviderPackageID)
		return nil
	})

	require.NoError(t, err)
	require.Len(t, ids, 7)
	require.Equal(t, "Jp3xQ7vL2mKa", ids[0])
	require.Equal(t, "Jp3xQ7vL2mKa", ids[6], "the caller deduplicates")
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

	require.ErrorIs(t, err, stop)
	require.Equal(t, stop, err, "returned unchanged")
	require.Equal(t, 3, seen)
}

func TestClient_ListPackages_failureModes(t *testing.T) {
	cases := []struct {
		mode  string
		cause adapters.Cause
	}{
		{sim.FailMalformed, adapters.CauseBadResponse},
		{sim.FailHTML, adapters.CauseBadResponse},
		{sim.FailUnauthorized, adapters.CauseCredentials},
		{sim.FailForbidden, adapters.CauseCredentials},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			f := newFixture(t, sim.Options{})
			f.sim.Fail(sim.Failure{Mode: tc.mode, Path: sim.PathProducts})

			err := f.client(t).ListPackages(context.Background(), func(adapters.Package) error { return nil })

			f.requireFailure(t, err, tc.cause)
		})
	}
}

func TestClient_ListPackages_retriesServerError(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Path: sim.PathProducts, Count: 2})

	packages := listAll(t, f)

	require.Len(t, packages, 6)
	require.Len(t, f.requestsTo(http.MethodGet, sim.PathProducts), 3)
}

func TestClient_ListPackages_customPath(t *testing.T) {
	f := newFixture(t, sim.Options{})
	settings := f.settings()
	settings.Advanced = map[string]string{"package_list_path": "/account/plan-types"}

	err := f.clientWith(t, settings).ListPackages(context.Background(), func(adapters.Package) error { return nil })

	failure := f.requireFailure(t, err, adapters.CauseNotFound)
	require.Contains(t, failure.Message, "no API at /connectivity/v1/account/plan-types")
}

// A 50,000-product catalog arrives as one body of tens of megabytes; the
// heap in use while it streams stays far below the body size.
func TestClient_ListPackages_largeCatalogBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 50,000 products")
	}
	const synthetic = 50_000
	f := newFixture(t, sim.Options{Packages: synthetic})

	runtime.GC()
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	baseline := stats.HeapInuse
	peak := baseline
	count, unlimited, regional := 0, 0, 0

	err := f.client(t).ListPackages(context.Background(), func(pkg adapters.Package) error {
		count++
		if pkg.Unlimited {
			unlimited++
		}
		if pkg.RegionCode != "" {
			regional++
		}
		if count%2000 == 0 {
			runtime.ReadMemStats(&stats)
			peak = max(peak, stats.HeapInuse)
		}
		return nil
	})

	require.NoError(t, err)
	require.Equal(t, synthetic+6, count)
	require.Equal(t, synthetic/10+1, unlimited)
	require.Equal(t, 3*synthetic/10+2, regional)
	growth := peak - baseline
	t.Logf("50,006 products: heap in use grew by at most %.1f MiB over a %.1f MiB baseline",
		float64(growth)/(1<<20), float64(baseline)/(1<<20))
	require.Less(t, growth, uint64(16<<20), fmt.Sprintf("peak growth %d bytes", growth))
}
