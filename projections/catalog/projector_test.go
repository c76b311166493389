package catalog

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esimscan/backend/money"
	"esimscan/projections/projection"
	"esimscan/projections/projectiontest"
)

// listed describes a package for a PackageAdded or PackageChanged payload.
type listed struct {
	id, provider, name string
	countries          []string
	region, regionName string
	dataMB             int
	unlimited          bool
	wholesale          string
	currency           string
}

func (p listed) payload() string {
	var dataMB any = p.dataMB
	if p.unlimited {
		dataMB = nil
	}
	currency := p.currency
	if currency == "" {
		currency = "USD"
	}
	raw, _ := json.Marshal(map[string]any{
		"package_id":          p.id,
		"provider":            p.provider,
		"provider_package_id": "code-" + p.id,
		"name":                p.name,
		"countries":           p.countries,
		"region_code":         p.region,
		"region_name":         p.regionName,
		"data_mb":             dataMB,
		"unlimited":           p.unlimited,
		"daily":               false,
		"validity_days":       7,
		"wholesale":           map[string]string{"amount": p.wholesale, "currency": currency},
		"operators":           []string{"SoftBank"},
		"sync_id":             "sync-1",
	})
	return string(raw)
}

// feeder is projectiontest.Feeder with this package's event builders.
type feeder struct{ *projectiontest.Feeder }

func newFeeder(t *testing.T, rdb redis.UniversalClient, projector projection.Projector) *feeder {
	return &feeder{projectiontest.NewFeeder(t, rdb, projector)}
}

func (f *feeder) listPackage(p listed) {
	f.T.Helper()
	f.Apply("catalog-"+p.provider, typePackageAdded, p.payload())
}

func (f *feeder) setProviderMargin(slug, percent string) {
	f.T.Helper()
	f.Apply("provider-"+slug, typeProviderMarginSet,
		`{"slug":"`+slug+`","old_percent":null,"new_percent":"`+percent+`"}`)
}

func (f *feeder) enableProvider(slug string) {
	f.T.Helper()
	f.Apply("provider-"+slug, typeProviderEnabled, `{"slug":"`+slug+`"}`)
}

func (f *feeder) packageEvent(provider, eventType, id string) {
	f.T.Helper()
	f.Apply("catalog-"+provider, eventType, `{"package_id":"`+id+`","provider":"`+provider+`"}`)
}

func prices(views []PackageView) []string {
	out := make([]string, 0, len(views))
	for _, view := range views {
		out = append(out, view.ID+"="+view.Price.String())
	}
	return out
}

func TestCatalog_Quote_marginRounding(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := newFeeder(t, rdb, NewProjector())
		f.setProviderMargin("airalo", "10")
		f.enableProvider("airalo")
		f.listPackage(listed{id: "usd4", provider: "airalo", name: "Japan 1GB", countries: []string{"JP"}, dataMB: 1024, wholesale: "0.9850"})
		f.listPackage(listed{id: "usdhalf", provider: "airalo", name: "Japan 2GB", countries: []string{"JP"}, dataMB: 2048, wholesale: "1.25"})
		f.listPackage(listed{id: "jpy", provider: "airalo", name: "Japan 3GB", countries: []string{"JP"}, dataMB: 3072, wholesale: "1235", currency: "JPY"})
		f.listPackage(listed{id: "kwd", provider: "airalo", name: "Kuwait 1GB", countries: []string{"KW"}, dataMB: 1024, wholesale: "1.2345", currency: "KWD"})
		f.listPackage(listed{id: "override", provider: "airalo", name: "Japan 5GB", countries: []string{"JP"}, dataMB: 5120, wholesale: "10.00"})
		f.Apply("catalog-airalo", typePackageMarginSet,
			`{"package_id":"override","provider":"airalo","old_percent":null,"new_percent":"12.5"}`)

		q := NewQueries(rdb)
		cases := map[string]string{
			"usd4":     "1.08 USD",  // 1.0835 rounds down
			"usdhalf":  "1.38 USD",  // 1.375 rounds half-up
			"jpy":      "1359 JPY",  // 1358.5 rounds half-up to whole yen
			"kwd":      "1.358 KWD", // 1.35795 rounds to three decimals
			"override": "11.25 USD", // 12.5 % override beats the provider's 10 %
		}
		for id, want := range cases {
			quote, err := q.Quote(ctx, id)
			require.NoError(t, err, id)
			assert.Equal(t, want, quote.UnitPrice.String(), id)
			assert.True(t, quote.Sellable, id)
			assert.Equal(t, "code-"+id, quote.ProviderPackageID, id)
		}

		quote, err := q.Quote(ctx, "usd4")
		require.NoError(t, err)
		assert.Equal(t, money.Amount(985_000), quote.Wholesale.Amount, "wholesale keeps every digit")
		raw, err := json.Marshal(quote.UnitPrice)
		require.NoError(t, err)
		assert.JSONEq(t, `{"amount":"1.08","currency":"USD"}`, string(raw))
		jpy, err := q.Quote(ctx, "jpy")
		require.NoError(t, err)
		raw, err = json.Marshal(jpy.UnitPrice)
		require.NoError(t, err)
		assert.JSONEq(t, `{"amount":"1359","currency":"JPY"}`, string(raw))
	})
}

func TestCatalog_Quote_unknownPackage(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		_, err := NewQueries(rdb).Quote(projectiontest.Context(t), "no-such-package")
		assert.ErrorIs(t, err, ErrPackageNotFound)
	})
}

func TestCatalog_ProviderMargin_reprices(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := newFeeder(t, rdb, NewProjector())
		f.enableProvider("maya")
		f.enableProvider("esim-go")
		f.listPackage(listed{id: "maya-fr", provider: "maya", name: "France 1GB", countries: []string{"FR"}, dataMB: 1024, wholesale: "4.00"})
		f.listPackage(listed{id: "maya-fixed", provider: "maya", name: "France 3GB", countries: []string{"FR"}, dataMB: 3072, wholesale: "6.00"})
		f.Apply("catalog-maya", typePackageMarginSet,
			`{"package_id":"maya-fixed","provider":"maya","old_percent":null,"new_percent":"0"}`)
		f.listPackage(listed{id: "go-fr", provider: "esim-go", name: "France 2GB", countries: []string{"FR"}, dataMB: 2048, wholesale: "5.00"})

		q := NewQueries(rdb)
		before, err := q.PackagesByCountry(ctx, "FR")
		require.NoError(t, err)
		assert.Equal(t, []string{"maya-fr=4.00 USD", "go-fr=5.00 USD", "maya-fixed=6.00 USD"}, prices(before))

		f.setProviderMargin("maya", "50")

		after, err := q.PackagesByCountry(ctx, "FR")
		require.NoError(t, err)
		assert.Equal(t, []string{"go-fr=5.00 USD", "maya-fr=6.00 USD", "maya-fixed=6.00 USD"}, prices(after),
			"maya's margin reprices maya-fr only, and ties go by name")
		countries, err := q.Countries(ctx)
		require.NoError(t, err)
		require.Len(t, countries, 1)
		assert.Equal(t, "5.00 USD", countries[0].FromPrice.String())

		admin, err := q.AdminPackages(ctx, "maya")
		require.NoError(t, err)
		require.Len(t, admin, 2)
		assert.Equal(t, "maya-fr", admin[0].ID)
		assert.Equal(t, money.Percent(5000), admin[0].MarginPercent)
		assert.Nil(t, admin[0].MarginOverride)
		assert.Equal(t, money.Percent(0), admin[1].MarginPercent)
		require.NotNil(t, admin[1].MarginOverride)
		assert.Equal(t, money.Percent(0), *admin[1].MarginOverride)

		f.Apply("catalog-maya", typePackageMarginSet,
			`{"package_id":"maya-fixed","provider":"maya","old_percent":"0","new_percent":null}`)
		quote, err := q.Quote(ctx, "maya-fixed")
		require.NoError(t, err)
		assert.Equal(t, "9.00 USD", quote.UnitPrice.String(), "a removed override falls back to the provider's margin")
	})
}

func TestCatalog_Enable_hidesAndShows(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := newFeeder(t, rdb, NewProjector())
		q := NewQueries(rdb)
		f.listPackage(listed{id: "ea-de", provider: "esim-access", name: "Germany 1GB", countries: []string{"DE"}, dataMB: 1024, wholesale: "2.00"})
		f.listPackage(listed{id: "ea-de2", provider: "esim-access", name: "Germany 2GB", countries: []string{"DE"}, dataMB: 2048, wholesale: "3.00"})

		assertCountry := func(want []string, msg string) {
			t.Helper()
			views, err := q.PackagesByCountry(ctx, "de")
			require.NoError(t, err)
			ids := []string{}
			for _, view := range views {
				ids = append(ids, view.ID)
			}
			assert.Equal(t, want, ids, msg)
		}
		assertCountry([]string{}, "a provider starts disabled")
		countries, err := q.Countries(ctx)
		require.NoError(t, err)
		assert.Empty(t, countries, "no country has a sellable package yet")
		quote, err := q.Quote(ctx, "ea-de")
		require.NoError(t, err)
		assert.False(t, quote.Sellable)

		f.enableProvider("esim-access")
		assertCountry([]string{"ea-de", "ea-de2"}, "enabling the provider lists its packages")

		f.packageEvent("esim-access", typePackageDisabled, "ea-de")
		assertCountry([]string{"ea-de2"}, "a disabled package is hidden")
		admin, err := q.AdminPackages(ctx, "esim-access")
		require.NoError(t, err)
		require.Len(t, admin, 2, "admins still see disabled packages")
		assert.False(t, admin[0].Enabled)
		assert.True(t, admin[1].Enabled)

		f.Apply("provider-esim-access", typeProviderDisabled, `{"slug":"esim-access"}`)
		assertCountry([]string{}, "disabling the provider hides every package")
		countries, err = q.Countries(ctx)
		require.NoError(t, err)
		assert.Empty(t, countries)

		f.packageEvent("esim-access", typePackageEnabled, "ea-de")
		assertCountry([]string{}, "a package of a disabled provider stays hidden")
		f.enableProvider("esim-access")
		assertCountry([]string{"ea-de", "ea-de2"}, "enabling again lists both")
		countries, err = q.Countries(ctx)
		require.NoError(t, err)
		require.Len(t, countries, 1)
		assert.Equal(t, CountryView{Code: "DE", Name: "Germany", Packages: 2, FromPrice: money.Money{Amount: 2_000_000, Currency: "USD"}}, countries[0])
	})
}

func TestCatalog_Withdrawn_hiddenUntilListedAgain(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := newFeeder(t, rdb, NewProjector())
		q := NewQueries(rdb)
		f.enableProvider("airalo")
		pkg := listed{id: "air-it", provider: "airalo", name: "Italy 1GB", countries: []string{"IT"}, dataMB: 1024, wholesale: "3.00"}
		f.listPackage(pkg)
		f.Apply("catalog-airalo", typePackageWithdrawn,
			`{"package_id":"air-it","provider":"airalo","provider_package_id":"code-air-it","sync_id":"sync-2"}`)

		views, err := q.PackagesByCountry(ctx, "IT")
		require.NoError(t, err)
		assert.Empty(t, views)
		admin, err := q.AdminPackages(ctx, "airalo")
		require.NoError(t, err)
		assert.Empty(t, admin, "withdrawn packages leave the admin list")
		quote, err := q.Quote(ctx, "air-it")
		require.NoError(t, err)
		assert.False(t, quote.Sellable)

		pkg.wholesale = "3.50"
		f.Apply("catalog-airalo", typePackageChanged, pkg.payload())
		views, err = q.PackagesByCountry(ctx, "IT")
		require.NoError(t, err)
		assert.Equal(t, []string{"air-it=3.50 USD"}, prices(views), "a package listed again is no longer withdrawn")

		f.Apply("catalog-airalo", typePackageWithdrawn, `{"package_id":"air-it","provider":"airalo"}`)
		f.listPackage(pkg)
		views, err = q.PackagesByCountry(ctx, "IT")
		require.NoError(t, err)
		assert.Equal(t, []string{"air-it=3.50 USD"}, prices(views), "PackageAdded clears a withdrawal too")
	})
}

func TestCatalog_Regions_listCountries(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := newFeeder(t, rdb, NewProjector())
		q := NewQueries(rdb)
		f.enableProvider("airalo")
		f.listPackage(listed{id: "eu-big", provider: "airalo", name: "Europe 10GB", countries: []string{"FR", "de", "IT", "FR"}, region: "EU", regionName: "Europe", dataMB: 10240, wholesale: "12.00"})
		f.listPackage(listed{id: "eu-small", provider: "airalo", name: "Europe 1GB", countries: []string{"FR", "ES"}, region: "EU", regionName: "Europe", dataMB: 1024, wholesale: "2.00"})
		f.listPackage(listed{id: "as-unl", provider: "airalo", name: "Asia Unlimited", countries: []string{"JP", "KR"}, region: "AS", regionName: "Asia", unlimited: true, wholesale: "30.00"})
		f.listPackage(listed{id: "fr-local", provider: "airalo", name: "France 1GB", countries: []string{"FR"}, dataMB: 1024, wholesale: "1.50"})

		regions, err := q.Regions(ctx)
		require.NoError(t, err)
		require.Len(t, regions, 2)
		assert.Equal(t, RegionView{Code: "AS", Name: "Asia", Countries: []string{"JP", "KR"}, Packages: 1, FromPrice: money.Money{Amount: 30_000_000, Currency: "USD"}}, regions[0])
		assert.Equal(t, RegionView{Code: "EU", Name: "Europe", Countries: []string{"DE", "ES", "FR", "IT"}, Packages: 2, FromPrice: money.Money{Amount: 2_000_000, Currency: "USD"}}, regions[1])

		france, err := q.PackagesByCountry(ctx, "FR")
		require.NoError(t, err)
		assert.Equal(t, []string{"fr-local=1.50 USD", "eu-small=2.00 USD", "eu-big=12.00 USD"}, prices(france),
			"regional packages appear under each of their countries, cheapest first")
		europe, err := q.PackagesByRegion(ctx, "EU")
		require.NoError(t, err)
		assert.Equal(t, []string{"eu-small=2.00 USD", "eu-big=12.00 USD"}, prices(europe))
		assert.Equal(t, []string{"DE", "FR", "IT"}, europe[1].Countries, "countries are upper-cased and de-duplicated")

		countries, err := q.Countries(ctx)
		require.NoError(t, err)
		names := []string{}
		for _, country := range countries {
			names = append(names, country.Name+":"+country.FromPrice.String())
		}
		assert.Equal(t, []string{"France:1.50 USD", "Germany:12.00 USD", "Italy:12.00 USD", "Japan:30.00 USD", "South Korea:30.00 USD", "Spain:2.00 USD"}, names)
		assert.Equal(t, 3, countries[0].Packages)

		f.packageEvent("airalo", typePackageDisabled, "eu-big")
		regions, err = q.Regions(ctx)
		require.NoError(t, err)
		require.Len(t, regions, 2)
		assert.Equal(t, []string{"ES", "FR"}, regions[1].Countries, "a hidden package no longer lists its countries")
		countries, err = q.Countries(ctx)
		require.NoError(t, err)
		assert.Len(t, countries, 4, "Germany and Italy drop out")

		asia, err := q.PackagesByRegion(ctx, "AS")
		require.NoError(t, err)
		require.Len(t, asia, 1)
		raw, err := json.Marshal(asia[0])
		require.NoError(t, err)
		assert.JSONEq(t, `{"id":"as-unl","provider":"airalo","name":"Asia Unlimited","countries":["JP","KR"],
			"data_mb":null,"unlimited":true,"daily":false,"validity_days":7,"operators":["SoftBank"],
			"price":{"amount":"30.00","currency":"USD"}}`, string(raw))
	})
}

func TestCatalog_Apply_repeatIsHarmless(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := newFeeder(t, rdb, NewProjector())
		q := NewQueries(rdb)
		enabled := f.Apply("provider-airalo", typeProviderEnabled, `{"slug":"airalo"}`)
		added := f.Event("catalog-airalo", typePackageAdded, listed{id: "eu-1", provider: "airalo", name: "Europe 1GB", countries: []string{"FR", "DE"}, region: "EU", regionName: "Europe", dataMB: 1024, wholesale: "2.00"}.payload())
		require.NoError(t, f.ApplyEvent(added))
		require.NoError(t, f.ApplyEvent(added))
		require.NoError(t, f.ApplyEvent(enabled))
		disabled := f.Event("catalog-airalo", typePackageDisabled, `{"package_id":"eu-1","provider":"airalo"}`)
		require.NoError(t, f.ApplyEvent(disabled))
		require.NoError(t, f.ApplyEvent(disabled))

		counts, err := rdb.HGetAll(ctx, regionCountriesKey("EU")).Result()
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"DE": "0", "FR": "0"}, counts)
		f.packageEvent("airalo", typePackageEnabled, "eu-1")
		regions, err := q.Regions(ctx)
		require.NoError(t, err)
		require.Len(t, regions, 1)
		assert.Equal(t, []string{"DE", "FR"}, regions[0].Countries)
		assert.Equal(t, 1, regions[0].Packages)
	})
}

func TestCatalog_AdminPackages_json(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := newFeeder(t, rdb, NewProjector())
		f.setProviderMargin("esim-go", "12.5")
		f.listPackage(listed{id: "go-us", provider: "esim-go", name: "USA 1GB", countries: []string{"US"}, dataMB: 1024, wholesale: "0.9850"})

		admin, err := NewQueries(rdb).AdminPackages(ctx, "esim-go")
		require.NoError(t, err)
		require.Len(t, admin, 1)
		raw, err := json.Marshal(admin[0])
		require.NoError(t, err)
		assert.JSONEq(t, `{"id":"go-us","provider":"esim-go","name":"USA 1GB","countries":["US"],
			"data_mb":1024,"unlimited":false,"daily":false,"validity_days":7,"operators":["SoftBank"],
			"price":{"amount":"1.11","currency":"USD"},
			"provider_package_id":"code-go-us","wholesale":{"amount":"0.985","currency":"USD"},
			"margin_percent":12.5,"margin_override":null,"enabled":true,"withdrawn":false}`, string(raw))
	})
}

func TestCatalog_Apply_rejectsBadPayload(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := newFeeder(t, rdb, NewProjector())
		err := f.ApplyEvent(f.Event("catalog-airalo", typePackageAdded, `{"provider":"airalo","wholesale":{"amount":"1.00","currency":"USD"}}`))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "package_id")
		err = f.ApplyEvent(f.Event("provider-airalo", typeProviderMarginSet, `{"slug":"airalo","new_percent":"12.345"}`))
		assert.ErrorIs(t, err, money.ErrInvalidPercent)
		keys, err := rdb.Keys(ctx, keyPrefix+"*").Result()
		require.NoError(t, err)
		assert.Empty(t, keys, "a rejected event writes nothing")

		require.NoError(t, f.ApplyEvent(f.Event("store", "StoreInstalled", `{"store_name":"x"}`)), "other event types are ignored")
	})
}

func TestCatalog_ProviderMargin_repricesPastOneMGET(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := newFeeder(t, rdb, NewProjector())
		f.enableProvider("airalo")
		total := mgetChunk + 50
		for i := range total {
			id := "bulk-" + strconv.Itoa(i)
			f.listPackage(listed{id: id, provider: "airalo", name: "Chile " + id, countries: []string{"CL"}, dataMB: 1024, wholesale: "1.00"})
		}
		f.setProviderMargin("airalo", "100")

		views, err := NewQueries(rdb).PackagesByCountry(ctx, "CL")
		require.NoError(t, err)
		require.Len(t, views, total)
		for _, view := range views {
			require.Equal(t, "2.00 USD", view.Price.String(), view.ID)
		}
	})
}
