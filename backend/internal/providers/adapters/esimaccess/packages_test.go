package esimaccess_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	sim "esimscan/backend/internal/simulators/esimaccess"
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

func usd(t *testing.T, tenThousandths int64) money.Money {
	t.Helper()
	amount, err := money.FromScaled(tenThousandths, 4)
	require.NoError(t, err)
	return money.New(amount, "USD")
}

// The expected values below are read off the provider's sample response.
func TestClient_ListPackages_sampleUnits(t *testing.T) {
	f := newFixture(t, sim.Options{})

	packages := listAll(t, f)

	require.Len(t, packages, 7)

	japan := packages["P8KQ2JD41"]
	require.Equal(t, "Japan 1GB 7Days", japan.Name)
	require.Equal(t, int64(1024), japan.DataMB, "1073741824 bytes")
	require.Equal(t, 7, japan.ValidityDays)
	require.Equal(t, usd(t, 9800), japan.Wholesale)
	require.Equal(t, "0.98", japan.Wholesale.Amount.String())
	require.Equal(t, []string{"JP"}, japan.Countries)
	require.Empty(t, japan.RegionCode)
	require.Empty(t, japan.RegionName)
	require.False(t, japan.Daily)
	require.False(t, japan.Unlimited)
	require.Equal(t, []string{"SoftBank", "KDDI"}, japan.Operators)

	us := packages["PUS7LM0Q2"]
	require.Equal(t, int64(10240), us.DataMB)
	require.Equal(t, 30, us.ValidityDays)
	require.Equal(t, "11.80", us.Wholesale.Amount.String())

	europe := packages["PEU9R3TX7"]
	require.Equal(t, "EU-20", europe.RegionCode)
	require.Equal(t, "Europe (20 areas)", europe.RegionName)
	require.Len(t, europe.Countries, 20)
	require.Equal(t, "AT", europe.Countries[0])
	require.Equal(t, "SE", europe.Countries[19])
	require.Equal(t, int64(5120), europe.DataMB)
	require.Equal(t, []string{"Vodafone"}, europe.Operators, "deduplicated across countries")
	require.Equal(t, usd(t, 61000), europe.Wholesale)

	asia := packages["PAS4WZ8B1"]
	require.Equal(t, "AS-7", asia.RegionCode)
	require.Equal(t, "Asia (7 areas)", asia.RegionName)
	require.Equal(t, []string{"HK", "ID", "MY", "PH", "SG", "TH", "VN"}, asia.Countries)

	thailand := packages["PD7TH2K5Q"]
	require.True(t, thailand.Daily)
	require.False(t, thailand.Unlimited)
	require.Equal(t, int64(1024), thailand.DataMB, "daily allowance")
	require.Equal(t, 1, thailand.ValidityDays)
	require.Equal(t, "0.95", thailand.Wholesale.Amount.String(), "price per day")

	turkey := packages["PD7TR0N3M"]
	require.True(t, turkey.Daily)
	require.Equal(t, int64(512), turkey.DataMB, "536870912 bytes")
}

func int64p(v int64) *int64    { return &v }
func stringp(v string) *string { return &v }

func TestClient_ListPackages_olderAndOddShapes(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.UpsertPackages(
		// Older shape: dataAmount in MB, locationCode only.
		sim.Package{PackageCode: "POLD1", Name: "France 2GB 10Days", Price: 20000, CurrencyCode: "USD",
			DataAmount: int64p(2048), DataType: 1, Duration: 10, DurationUnit: "DAY", LocationCode: "FR"},
		// Daily unlimited, months, lower-case and non-ISO2 location entries.
		sim.Package{PackageCode: "PUNL1", Name: "Nordics 2 Months Unlimited", Price: 150000, CurrencyCode: "usd",
			Volume: int64p(1 << 30), DataType: 4, Duration: 2, DurationUnit: "MONTH",
			Location: stringp(" se, no ,XKX,dk,SE"), LocationCode: "NOR-3"},
		// A volume just above 1.5 GB rounds to the nearest MB.
		sim.Package{PackageCode: "PRND1", Name: "Japan 1.5GB 7Days", Price: 15000, CurrencyCode: "USD",
			Volume: int64p(1610612736 + 600000), DataType: 1, Duration: 7, DurationUnit: "DAY",
			Location: stringp("JP"), LocationCode: "JP"},
	)

	packages := listAll(t, f)

	old := packages["POLD1"]
	require.Equal(t, int64(2048), old.DataMB)
	require.Equal(t, []string{"FR"}, old.Countries)
	require.Empty(t, old.RegionCode)
	require.Equal(t, "2.00", old.Wholesale.Amount.String())

	unlimited := packages["PUNL1"]
	require.True(t, unlimited.Unlimited)
	require.True(t, unlimited.Daily)
	require.Zero(t, unlimited.DataMB)
	require.Equal(t, 60, unlimited.ValidityDays, "2 months of 30 days")
	require.Equal(t, []string{"SE", "NO", "DK"}, unlimited.Countries)
	require.Equal(t, "NOR-3", unlimited.RegionCode)
	require.Equal(t, "Nordics", unlimited.RegionName)
	require.Equal(t, "USD", unlimited.Wholesale.Currency)

	rounded := packages["PRND1"]
	require.Equal(t, int64(1537), rounded.DataMB, "1536.57 MB rounds to 1537")
}

func TestClient_ListPackages_unreadableUnits(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.UpsertPackages(sim.Package{PackageCode: "PBAD1", Name: "No data", Price: 100, CurrencyCode: "USD",
		DataType: 1, Duration: 7, DurationUnit: "DAY", Location: stringp("JP"), LocationCode: "JP"})

	err := f.client(t).ListPackages(context.Background(), func(adapters.Package) error { return nil })

	failure := f.requireFailure(t, err, adapters.CauseBadResponse)
	require.Contains(t, failure.Message, "PBAD1")
	require.Contains(t, failure.Message, "neither volume nor dataAmount")
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
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			f := newFixture(t, sim.Options{})
			f.sim.Fail(sim.Failure{Mode: tc.mode, Path: sim.PathPackageList})

			err := f.client(t).ListPackages(context.Background(), func(adapters.Package) error { return nil })

			f.requireFailure(t, err, tc.cause)
		})
	}
}

func TestClient_ListPackages_customPathAndBody(t *testing.T) {
	f := newFixture(t, sim.Options{})
	settings := f.settings()
	settings.Advanced = map[string]string{
		"package_list_path": sim.PathPackageList,
		"package_list_body": `{"locationCode": "!RG", "type": "BASE"}`,
	}
	var codes []string

	err := f.clientWith(t, settings).ListPackages(context.Background(), func(pkg adapters.Package) error {
		codes = append(codes, pkg.ProviderPackageID)
		return nil
	})

	require.NoError(t, err)
	require.Equal(t, []string{"PEU9R3TX7", "PAS4WZ8B1"}, codes)
}

// A 50,000-package catalog arrives as one body of tens of megabytes; the
// heap in use while it streams stays far below the body size.
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
	t.Logf("50,007 packages: heap in use grew by at most %.1f MiB over a %.1f MiB baseline",
		float64(growth)/(1<<20), float64(baseline)/(1<<20))
	require.Less(t, growth, uint64(16<<20), fmt.Sprintf("peak growth %d bytes", growth))
}
