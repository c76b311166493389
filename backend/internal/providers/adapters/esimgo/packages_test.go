package esimgo_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/esimgo"
	sim "esimscan/backend/internal/simulators/esimgo"
)

func listAll(t *testing.T, client *esimgo.Client) ([]adapters.Package, map[string]adapters.Package) {
	t.Helper()
	var listed []adapters.Package
	byID := map[string]adapters.Package{}
	err := client.ListPackages(context.Background(), func(pkg adapters.Package) error {
		listed = append(listed, pkg)
		byID[pkg.ProviderPackageID] = pkg
		return nil
	})
	require.NoError(t, err)
	return listed, byID
}

// The expected values below are read off the provider's two sample pages.
func TestClient_ListPackages_sampleUnits(t *testing.T) {
	f := newFixture(t, sim.Options{})

	listed, packages := listAll(t, f.client(t, esimgo.WithPageSize(4)))

	require.Len(t, listed, 7)
	require.Len(t, packages, 7)
	pages := f.requestsTo("GET", sim.PathCatalogue)
	require.Len(t, pages, 2)
	require.Equal(t, "page=1&perPage=4", pages[0].Query)
	require.Equal(t, "page=2&perPage=4", pages[1].Query)

	japan := packages["esim_1GB_7D_JP_V2"]
	require.Equal(t, "eSIM, 1GB, 7 Days, Japan, V2", japan.Name)
	require.Equal(t, int64(1000), japan.DataMB, "dataAmount is MB, 1000 per GB")
	require.Equal(t, 7, japan.ValidityDays)
	require.Equal(t, usd(t, "1.92"), japan.Wholesale)
	require.Equal(t, []string{"JP"}, japan.Countries)
	require.Empty(t, japan.RegionCode)
	require.Empty(t, japan.RegionName)
	require.False(t, japan.Unlimited)
	require.False(t, japan.Daily)
	require.Empty(t, japan.Operators)

	japan5 := packages["esim_5GB_30D_JP_V2"]
	require.Equal(t, int64(5000), japan5.DataMB)
	require.Equal(t, 30, japan5.ValidityDays)
	require.Equal(t, "7.35", japan5.Wholesale.Amount.String())

	us := packages["esim_3GB_30D_US_V2"]
	require.Equal(t, int64(3000), us.DataMB)
	require.Equal(t, "4.60", us.Wholesale.Amount.String(), "4.6 read exactly")
	require.Equal(t, []string{"US"}, us.Countries)

	europe := packages["esim_10GB_30D_REUP_V2"]
	require.Equal(t, []string{"FR", "DE", "IT", "ES", "NL", "PT"}, europe.Countries)
	require.Equal(t, "REUP", europe.RegionCode)
	require.Equal(t, "Europe+", europe.RegionName)
	require.Equal(t, int64(10000), europe.DataMB)
	require.Equal(t, usd(t, "12.4"), europe.Wholesale)

	thailand := packages["esim_ULE_1D_TH_V2"]
	require.True(t, thailand.Unlimited)
	require.Zero(t, thailand.DataMB, "dataAmount -1 is ignored for unlimited")
	require.Equal(t, 1, thailand.ValidityDays)
	require.False(t, thailand.Daily)
	require.Equal(t, usd(t, "1.75"), thailand.Wholesale)
	require.Equal(t, []string{"TH"}, thailand.Countries)

	unlimitedJapan := packages["esim_UL_7D_JP_V2"]
	require.True(t, unlimitedJapan.Unlimited)
	require.Zero(t, unlimitedJapan.DataMB)
	require.Equal(t, 7, unlimitedJapan.ValidityDays)
	require.Equal(t, "14.90", unlimitedJapan.Wholesale.Amount.String())

	europe2 := packages["esim_2GB_15D_REUP_V2"]
	require.Equal(t, "REUP", europe2.RegionCode)
	require.Equal(t, int64(2000), europe2.DataMB)
	require.Equal(t, 15, europe2.ValidityDays)
	require.Equal(t, "3.95", europe2.Wholesale.Amount.String())
}

func TestClient_ListPackages_defaultPageSizeOnePage(t *testing.T) {
	f := newFixture(t, sim.Options{})

	listed, _ := listAll(t, f.client(t))

	require.Len(t, listed, 7)
	pages := f.requestsTo("GET", sim.PathCatalogue)
	require.Len(t, pages, 1)
	require.Equal(t, "page=1&perPage=500", pages[0].Query)
}

func TestClient_ListPackages_overlappingPagesYieldTwice(t *testing.T) {
	f := newFixture(t, sim.Options{PageOverlap: 1})

	listed, packages := listAll(t, f.client(t, esimgo.WithPageSize(4)))

	require.Len(t, listed, 8, "the last bundle of page 1 is listed again on page 2")
	require.Len(t, packages, 7)
	require.Equal(t, listed[3].ProviderPackageID, listed[4].ProviderPackageID)
}

func TestClient_ListPackages_organisationCurrency(t *testing.T) {
	f := newFixture(t, sim.Options{Currency: "GBP"})

	_, packages := listAll(t, f.client(t))

	require.Equal(t, "GBP", packages["esim_1GB_7D_JP_V2"].Wholesale.Currency)
}

func TestClient_ListPackages_oddShapes(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.UpsertBundles(
		// Unlimited with dataAmount 0, and a price with many decimals.
		sim.Bundle{Name: "esim_UL_3D_KR_V2", Description: "eSIM, Unlimited, 3 Days, South Korea, V2",
			Countries:  []sim.Country{{Name: "South Korea", Region: "Asia", ISO: "kr"}},
			DataAmount: 0, Duration: 3, Unlimited: true, Price: "2.1234567"},
		// Base country plus roaming countries, with a name off the pattern.
		sim.Bundle{Name: "nordic-pass", Description: "Nordic pass",
			Countries:      []sim.Country{{Name: "Sweden", Region: "Europe", ISO: "SE"}},
			RoamingEnabled: []sim.Country{{Name: "Norway", Region: "Europe", ISO: "NO"}, {Name: "Sweden", Region: "Europe", ISO: "SE"}, {Name: "Kosovo", Region: "Europe", ISO: "XKX"}},
			DataAmount:     1500, Duration: 10, Price: "1.5e1"},
	)

	_, packages := listAll(t, f.client(t))

	korea := packages["esim_UL_3D_KR_V2"]
	require.True(t, korea.Unlimited)
	require.Zero(t, korea.DataMB)
	require.Equal(t, []string{"KR"}, korea.Countries)
	require.Equal(t, amount(t, "2.123457"), korea.Wholesale.Amount, "rounded half-up to a millionth")

	nordic := packages["nordic-pass"]
	require.Equal(t, []string{"SE", "NO"}, nordic.Countries)
	require.Equal(t, "EUROPE", nordic.RegionCode, "from the region the countries share")
	require.Equal(t, "Europe", nordic.RegionName)
	require.Equal(t, "Nordic pass", nordic.Name)
	require.Equal(t, "15.00", nordic.Wholesale.Amount.String())
}

func TestClient_ListPackages_unreadableUnits(t *testing.T) {
	cases := map[string]sim.Bundle{
		"no data": {Name: "esim_BAD_1", Countries: []sim.Country{{ISO: "JP"}}, DataAmount: -1, Duration: 7, Price: "1.00"},
		"no days": {Name: "esim_BAD_2", Countries: []sim.Country{{ISO: "JP"}}, DataAmount: 1000, Price: "1.00"},
		"negative price": {Name: "esim_BAD_3", Countries: []sim.Country{{ISO: "JP"}}, DataAmount: 1000, Duration: 7,
			Price: "-1.00"},
		"no country": {Name: "esim_BAD_4", Countries: []sim.Country{{ISO: "Europe"}}, DataAmount: 1000, Duration: 7,
			Price: "1.00"},
	}
	for name, bundle := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, sim.Options{})
			f.sim.UpsertBundles(bundle)

			err := f.client(t).ListPackages(context.Background(), func(adapters.Package) error { return nil })

			failure := f.requireFailure(t, err, adapters.CauseBadResponse)
			require.Contains(t, failure.Message, bundle.Name)
		})
	}
}

func TestClient_ListPackages_yieldErrorStops(t *testing.T) {
	f := newFixture(t, sim.Options{Packages: 100})
	stop := errors.New("stop here")
	seen := 0

	err := f.client(t, esimgo.WithPageSize(10)).ListPackages(context.Background(), func(adapters.Package) error {
		seen++
		if seen == 13 {
			return stop
		}
		return nil
	})

	require.Equal(t, stop, err, "returned unchanged")
	require.Equal(t, 13, seen)
	require.Len(t, f.requestsTo("GET", sim.PathCatalogue), 2)
}

func TestClient_ListPackages_failureModes(t *testing.T) {
	cases := []struct {
		mode  string
		cause adapters.Cause
	}{
		{sim.FailMalformed, adapters.CauseBadResponse},
		{sim.FailHTML, adapters.CauseBadResponse},
		{sim.FailForbidden, adapters.CauseCredentials},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			f := newFixture(t, sim.Options{})
			f.sim.Fail(sim.Failure{Mode: tc.mode, Path: sim.PathCatalogue})

			err := f.client(t).ListPackages(context.Background(), func(adapters.Package) error { return nil })

			f.requireFailure(t, err, tc.cause)
		})
	}
}

func TestClient_ListPackages_serverErrorOnSecondPage(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Path: sim.PathCatalogue, Count: 2})
	seen := 0

	err := f.client(t, esimgo.WithPageSize(4)).ListPackages(context.Background(), func(adapters.Package) error {
		seen++
		return nil
	})

	require.NoError(t, err, "each page is retried on its own")
	require.Equal(t, 7, seen)
}

// The official example shows a bare array instead of the {"bundles"}
// object; it is accepted, and a short array ends the listing.
func TestClient_ListPackages_bareArray(t *testing.T) {
	key := "key-" + uuid.NewString()
	var calls int
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != key {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/organisation" {
			_, _ = w.Write([]byte(`{"organisations":[{"balance":1,"currency":"USD"}]}`))
			return
		}
		calls++
		_, _ = fmt.Fprintf(w, `[{"name":"esim_1GB_7D_JP_V2","description":"eSIM, 1GB, 7 Days, Japan, V2",`+
			`"countries":[{"name":"Japan","region":"Asia","iso":"JP"}],"dataAmount":1000,"duration":7,`+
			`"unlimited":false,"roamingEnabled":[],"price":1.92}]`)
	}))
	t.Cleanup(server.Close)
	client, err := esimgo.New(adapters.Settings{BaseURL: server.URL, Credentials: map[string]string{"api_key": key}},
		esimgo.WithRetry(fastRetry), esimgo.WithPageSize(2))
	require.NoError(t, err)

	listed, _ := listAll(t, client)

	require.Len(t, listed, 1)
	require.Equal(t, 1, calls)
}

// A 50,000-bundle catalogue is read page by page; the heap in use while it
// streams stays bounded.
func TestClient_ListPackages_largeCatalogBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 50,000 packages")
	}
	const synthetic = 50_000
	f := newFixture(t, sim.Options{Packages: synthetic})

	runtime.GC()
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	baseline := stats.HeapInuse
	peak := baseline
	seen := map[string]bool{}
	regional, unlimited := 0, 0

	err := f.client(t).ListPackages(context.Background(), func(pkg adapters.Package) error {
		seen[pkg.ProviderPackageID] = true
		if pkg.RegionCode != "" {
			regional++
		}
		if pkg.Unlimited {
			unlimited++
		}
		if len(seen)%2000 == 0 {
			runtime.ReadMemStats(&stats)
			peak = max(peak, stats.HeapInuse)
		}
		return nil
	})

	require.NoError(t, err)
	require.Len(t, seen, synthetic+7)
	require.Equal(t, synthetic/10*2+2, regional)
	require.Equal(t, synthetic/10+2, unlimited)
	require.Len(t, f.requestsTo("GET", sim.PathCatalogue), synthetic/esimgo.DefaultPageSize+1)
	growth := peak - baseline
	t.Logf("50,007 packages in pages of %d: heap in use grew by at most %.1f MiB over a %.1f MiB baseline "+
		"(the test's own set of ids included)", esimgo.DefaultPageSize, float64(growth)/(1<<20), float64(baseline)/(1<<20))
	require.Less(t, growth, uint64(32<<20), fmt.Sprintf("peak growth %d bytes", growth))
}
