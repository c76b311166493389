package catalog

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// listing is the place of one sellable package in the country and region
// indexes.
type listing struct {
	id         string
	countries  []string
	regionCode string
	regionName string
	score      float64
}

// listingOf returns the index entry of pkg under provider, and false when
// the package is absent or not sellable.
func listingOf(pkg *packageState, provider providerState) (listing, bool) {
	if !pkg.sellable(provider) {
		return listing{}, false
	}
	// Amounts are integers far below 2^53, so the float score is exact.
	score := float64(pkg.price(provider).Amount)
	return listing{
		id:         pkg.ID,
		countries:  pkg.Countries,
		regionCode: pkg.RegionCode,
		regionName: pkg.RegionName,
		score:      score,
	}, true
}

// addListing queues the writes that put l into every index.
func addListing(ctx context.Context, tx redis.Pipeliner, l listing) {
	member := redis.Z{Score: l.score, Member: l.id}
	for _, country := range l.countries {
		tx.ZAdd(ctx, countryKey(country), member)
		tx.SAdd(ctx, keyCountries, country)
	}
	if l.regionCode == "" {
		return
	}
	tx.ZAdd(ctx, regionKey(l.regionCode), member)
	tx.HSet(ctx, keyRegions, l.regionCode, l.regionName)
	for _, country := range l.countries {
		tx.HIncrBy(ctx, regionCountriesKey(l.regionCode), country, 1)
	}
}

// removeListing queues the writes that take l out of every index. It must
// be given the listing that addListing was given, so that the region's
// country counts stay exact.
func removeListing(ctx context.Context, tx redis.Pipeliner, l listing) {
	for _, country := range l.countries {
		tx.ZRem(ctx, countryKey(country), l.id)
	}
	if l.regionCode == "" {
		return
	}
	tx.ZRem(ctx, regionKey(l.regionCode), l.id)
	for _, country := range l.countries {
		tx.HIncrBy(ctx, regionCountriesKey(l.regionCode), country, -1)
	}
}

// relist moves one package from its old index entry to its new one. Either
// side may be absent. Since before and after are both derived from committed
// state, applying the same change twice leaves the indexes as they were.
func relist(ctx context.Context, tx redis.Pipeliner, before listing, wasListed bool, after listing, isListed bool) {
	if wasListed && isListed && sameShape(before, after) {
		if before.score != after.score {
			rescore(ctx, tx, after)
		}
		return
	}
	if wasListed {
		removeListing(ctx, tx, before)
	}
	if isListed {
		addListing(ctx, tx, after)
	}
}

// rescore queues a price change of a listing whose countries and region
// stay the same.
func rescore(ctx context.Context, tx redis.Pipeliner, l listing) {
	member := redis.Z{Score: l.score, Member: l.id}
	for _, country := range l.countries {
		tx.ZAdd(ctx, countryKey(country), member)
	}
	if l.regionCode != "" {
		tx.ZAdd(ctx, regionKey(l.regionCode), member)
	}
}

func sameShape(a, b listing) bool {
	if a.regionCode != b.regionCode || a.regionName != b.regionName || len(a.countries) != len(b.countries) {
		return false
	}
	for i := range a.countries {
		if a.countries[i] != b.countries[i] {
			return false
		}
	}
	return true
}
