package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"esimscan/backend/money"
)

// Redis keys of the catalog read model. Every key starts with keyPrefix.
const (
	keyPrefix = "catalog:"
	// keyCountries is a set of every country code a sellable package has listed.
	keyCountries = keyPrefix + "countries"
	// keyRegions is a hash of region code to region name.
	keyRegions = keyPrefix + "regions"
)

// mgetChunk bounds the number of keys read by one MGET.
const mgetChunk = 1000

// packageKey holds the JSON packageState of one package.
func packageKey(id string) string { return keyPrefix + "package:" + id }

// providerKey holds the JSON providerState of one provider.
func providerKey(slug string) string { return keyPrefix + "provider:" + slug }

// providerPackagesKey is the set of ids of a provider's packages that are
// not withdrawn.
func providerPackagesKey(slug string) string { return keyPrefix + "provider:" + slug + ":packages" }

// countryKey is a sorted set of the sellable packages listing a country,
// scored by selling price in millionths of the currency unit.
func countryKey(code string) string { return keyPrefix + "country:" + code }

// regionKey is a sorted set of the sellable packages of a region, scored
// like countryKey.
func regionKey(code string) string { return keyPrefix + "region:" + code }

// regionCountriesKey is a hash of country code to the number of sellable
// packages of the region that list it.
func regionCountriesKey(code string) string { return keyPrefix + "regioncountries:" + code }

// packageState is one package as the catalog stores it: the provider's
// latest listing plus the admin's choices. Prices are derived at read time.
type packageState struct {
	ID                string         `json:"id"`
	Provider          string         `json:"provider"`
	ProviderPackageID string         `json:"provider_package_id"`
	Name              string         `json:"name"`
	Countries         []string       `json:"countries"`
	RegionCode        string         `json:"region_code"`
	RegionName        string         `json:"region_name"`
	DataMB            *int64         `json:"data_mb"`
	Unlimited         bool           `json:"unlimited"`
	Daily             bool           `json:"daily"`
	ValidityDays      int            `json:"validity_days"`
	Operators         []string       `json:"operators,omitempty"`
	Wholesale         money.Precise  `json:"wholesale"`
	MarginOverride    *money.Percent `json:"margin_override"`
	Disabled          bool           `json:"disabled"`
	Withdrawn         bool           `json:"withdrawn"`
}

// providerState is what the catalog needs of a provider. Providers start
// disabled with a zero margin.
type providerState struct {
	Margin  money.Percent `json:"margin"`
	Enabled bool          `json:"enabled"`
}

// margin returns the package's effective margin: its override if set, else
// the provider's margin.
func (p *packageState) margin(provider providerState) money.Percent {
	if p.MarginOverride != nil {
		return *p.MarginOverride
	}
	return provider.Margin
}

// price returns the package's selling price under provider's margin.
func (p *packageState) price(provider providerState) money.Money {
	return money.ApplyMargin(money.Money(p.Wholesale), p.margin(provider))
}

// sellable reports whether customers may buy the package.
func (p *packageState) sellable(provider providerState) bool {
	return p != nil && !p.Disabled && !p.Withdrawn && provider.Enabled
}

func loadPackage(ctx context.Context, rdb redis.Cmdable, id string) (*packageState, error) {
	raw, err := rdb.Get(ctx, packageKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load package %s: %w", id, err)
	}
	var pkg packageState
	if err := json.Unmarshal(raw, &pkg); err != nil {
		return nil, fmt.Errorf("decode package %s: %w", id, err)
	}
	return &pkg, nil
}

// loadPackages reads the packages with the given ids in chunks, skipping
// ids that have no stored package.
func loadPackages(ctx context.Context, rdb redis.Cmdable, ids []string) ([]*packageState, error) {
	out := make([]*packageState, 0, len(ids))
	for start := 0; start < len(ids); start += mgetChunk {
		end := min(start+mgetChunk, len(ids))
		keys := make([]string, 0, end-start)
		for _, id := range ids[start:end] {
			keys = append(keys, packageKey(id))
		}
		values, err := rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, fmt.Errorf("load %d packages: %w", len(keys), err)
		}
		for i, value := range values {
			raw, ok := value.(string)
			if !ok {
				continue
			}
			var pkg packageState
			if err := json.Unmarshal([]byte(raw), &pkg); err != nil {
				return nil, fmt.Errorf("decode package %s: %w", ids[start+i], err)
			}
			out = append(out, &pkg)
		}
	}
	return out, nil
}

func loadProvider(ctx context.Context, rdb redis.Cmdable, slug string) (providerState, error) {
	raw, err := rdb.Get(ctx, providerKey(slug)).Bytes()
	if errors.Is(err, redis.Nil) {
		return providerState{}, nil
	}
	if err != nil {
		return providerState{}, fmt.Errorf("load provider %s: %w", slug, err)
	}
	var provider providerState
	if err := json.Unmarshal(raw, &provider); err != nil {
		return providerState{}, fmt.Errorf("decode provider %s: %w", slug, err)
	}
	return provider, nil
}

func savePackage(ctx context.Context, tx redis.Pipeliner, pkg *packageState) error {
	raw, err := json.Marshal(pkg)
	if err != nil {
		return fmt.Errorf("encode package %s: %w", pkg.ID, err)
	}
	tx.Set(ctx, packageKey(pkg.ID), raw, 0)
	return nil
}

func saveProvider(ctx context.Context, tx redis.Pipeliner, slug string, provider providerState) error {
	raw, err := json.Marshal(provider)
	if err != nil {
		return fmt.Errorf("encode provider %s: %w", slug, err)
	}
	tx.Set(ctx, providerKey(slug), raw, 0)
	return nil
}
