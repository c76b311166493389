package catalog

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"esimscan/backend/money"
)

// ErrPackageNotFound reports a package id the catalog has never listed.
var ErrPackageNotFound = errors.New("package not found")

// Queries is the query side of the catalog read model. It is safe for
// concurrent use.
type Queries struct {
	rdb redis.UniversalClient
}

// NewQueries returns the catalog queries over rdb.
func NewQueries(rdb redis.UniversalClient) *Queries {
	return &Queries{rdb: rdb}
}

// Countries returns the countries with at least one sellable package, sorted
// by name, each with its package count and lowest selling price.
func (q *Queries) Countries(ctx context.Context) ([]CountryView, error) {
	codes, err := q.rdb.SMembers(ctx, keyCountries).Result()
	if err != nil {
		return nil, fmt.Errorf("list countries: %w", err)
	}
	sort.Strings(codes)
	summaries, err := q.summarize(ctx, codes, countryKey)
	if err != nil {
		return nil, err
	}
	views := make([]CountryView, 0, len(summaries))
	for _, code := range codes {
		summary, ok := summaries[code]
		if !ok {
			continue
		}
		views = append(views, CountryView{
			Code:      code,
			Name:      CountryName(code),
			Packages:  summary.packages,
			FromPrice: summary.cheapest.Price,
		})
	}
	sort.SliceStable(views, func(i, j int) bool { return views[i].Name < views[j].Name })
	return views, nil
}

// Regions returns the regions with at least one sellable package, sorted by
// name then code.
func (q *Queries) Regions(ctx context.Context) ([]RegionView, error) {
	names, err := q.rdb.HGetAll(ctx, keyRegions).Result()
	if err != nil {
		return nil, fmt.Errorf("list regions: %w", err)
	}
	codes := make([]string, 0, len(names))
	for code := range names {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	summaries, err := q.summarize(ctx, codes, regionKey)
	if err != nil {
		return nil, err
	}
	views := make([]RegionView, 0, len(summaries))
	for _, code := range codes {
		summary, ok := summaries[code]
		if !ok {
			continue
		}
		countries, err := q.regionCountries(ctx, code)
		if err != nil {
			return nil, err
		}
		views = append(views, RegionView{
			Code:      code,
			Name:      names[code],
			Countries: countries,
			Packages:  summary.packages,
			FromPrice: summary.cheapest.Price,
		})
	}
	sort.SliceStable(views, func(i, j int) bool { return views[i].Name < views[j].Name })
	return views, nil
}

// PackagesByCountry returns the sellable packages listing the country,
// cheapest first, ties by name then id. An unknown code gives an empty list.
func (q *Queries) PackagesByCountry(ctx context.Context, code string) ([]PackageView, error) {
	return q.sellablePackages(ctx, countryKey(strings.ToUpper(code)))
}

// PackagesByRegion returns the sellable packages of the region, ordered like
// PackagesByCountry.
func (q *Queries) PackagesByRegion(ctx context.Context, code string) ([]PackageView, error) {
	return q.sellablePackages(ctx, regionKey(code))
}

// AdminPackages returns every package of the provider that is not withdrawn,
// disabled ones included, sorted by name then id.
func (q *Queries) AdminPackages(ctx context.Context, provider string) ([]AdminPackageView, error) {
	ids, err := q.rdb.SMembers(ctx, providerPackagesKey(provider)).Result()
	if err != nil {
		return nil, fmt.Errorf("list packages of provider %s: %w", provider, err)
	}
	packages, err := loadPackages(ctx, q.rdb, ids)
	if err != nil {
		return nil, err
	}
	state, err := loadProvider(ctx, q.rdb, provider)
	if err != nil {
		return nil, err
	}
	views := make([]AdminPackageView, 0, len(packages))
	for _, pkg := range packages {
		if pkg.Withdrawn {
			continue
		}
		views = append(views, pkg.adminView(state))
	}
	sort.Slice(views, func(i, j int) bool {
		if views[i].Name != views[j].Name {
			return views[i].Name < views[j].Name
		}
		return views[i].ID < views[j].ID
	})
	return views, nil
}

// Quote returns the package with its current selling price and whether it
// can be sold, or ErrPackageNotFound. Withdrawn and disabled packages are
// quoted with Sellable false.
func (q *Queries) Quote(ctx context.Context, packageID string) (Quote, error) {
	pkg, err := loadPackage(ctx, q.rdb, packageID)
	if err != nil {
		return Quote{}, err
	}
	if pkg == nil {
		return Quote{}, fmt.Errorf("quote package %s: %w", packageID, ErrPackageNotFound)
	}
	provider, err := loadProvider(ctx, q.rdb, pkg.Provider)
	if err != nil {
		return Quote{}, err
	}
	view := pkg.view(provider)
	return Quote{
		Package:           view,
		ProviderPackageID: pkg.ProviderPackageID,
		Wholesale:         money.Money(pkg.Wholesale),
		UnitPrice:         view.Price,
		Sellable:          pkg.sellable(provider),
	}, nil
}

// indexSummary is the package count and cheapest package of one country or
// region index.
type indexSummary struct {
	packages int
	cheapest PackageView
}

// summarize reads the size and cheapest package of the index of each code,
// leaving out empty indexes.
func (q *Queries) summarize(ctx context.Context, codes []string, key func(string) string) (map[string]indexSummary, error) {
	pipe := q.rdb.Pipeline()
	counts := make([]*redis.IntCmd, len(codes))
	firsts := make([]*redis.StringSliceCmd, len(codes))
	for i, code := range codes {
		counts[i] = pipe.ZCard(ctx, key(code))
		firsts[i] = pipe.ZRange(ctx, key(code), 0, 0)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("summarize %d catalog indexes: %w", len(codes), err)
	}
	cheapestIDs := make([]string, 0, len(codes))
	for i := range codes {
		if counts[i].Val() > 0 && len(firsts[i].Val()) == 1 {
			cheapestIDs = append(cheapestIDs, firsts[i].Val()[0])
		}
	}
	views, err := q.packageViews(ctx, cheapestIDs)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]PackageView, len(views))
	for _, view := range views {
		byID[view.ID] = view
	}
	summaries := make(map[string]indexSummary, len(codes))
	for i, code := range codes {
		if counts[i].Val() == 0 || len(firsts[i].Val()) != 1 {
			continue
		}
		cheapest, ok := byID[firsts[i].Val()[0]]
		if !ok {
			continue
		}
		summaries[code] = indexSummary{packages: int(counts[i].Val()), cheapest: cheapest}
	}
	return summaries, nil
}

// regionCountries returns the sorted codes of the countries that at least
// one sellable package of the region lists.
func (q *Queries) regionCountries(ctx context.Context, code string) ([]string, error) {
	counts, err := q.rdb.HGetAll(ctx, regionCountriesKey(code)).Result()
	if err != nil {
		return nil, fmt.Errorf("list countries of region %s: %w", code, err)
	}
	countries := make([]string, 0, len(counts))
	for country, count := range counts {
		if n, err := strconv.Atoi(count); err == nil && n > 0 {
			countries = append(countries, country)
		}
	}
	sort.Strings(countries)
	return countries, nil
}

func (q *Queries) sellablePackages(ctx context.Context, key string) ([]PackageView, error) {
	ids, err := q.rdb.ZRange(ctx, key, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list packages of %s: %w", key, err)
	}
	views, err := q.packageViews(ctx, ids)
	if err != nil {
		return nil, err
	}
	sort.Slice(views, func(i, j int) bool { return lessByPrice(views[i], views[j]) })
	return views, nil
}

// packageViews loads the customer views of the packages with the given ids.
func (q *Queries) packageViews(ctx context.Context, ids []string) ([]PackageView, error) {
	packages, err := loadPackages(ctx, q.rdb, ids)
	if err != nil {
		return nil, err
	}
	providers := make(map[string]providerState)
	views := make([]PackageView, 0, len(packages))
	for _, pkg := range packages {
		provider, ok := providers[pkg.Provider]
		if !ok {
			if provider, err = loadProvider(ctx, q.rdb, pkg.Provider); err != nil {
				return nil, err
			}
			providers[pkg.Provider] = provider
		}
		views = append(views, pkg.view(provider))
	}
	return views, nil
}

// lessByPrice orders packages cheapest first, then by name, then by id.
// NOTE: prices in different currencies are compared by amount alone, since
// the catalog converts no currency.
func lessByPrice(a, b PackageView) bool {
	if a.Price.Amount != b.Price.Amount {
		return a.Price.Amount < b.Price.Amount
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.ID < b.ID
}
