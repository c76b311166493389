package catalog

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"esimscan/backend/money"
)

// Event types the catalog projector consumes, as stored in the log.
const (
	typeProviderMarginSet = "ProviderMarginSet"
	typeProviderEnabled   = "ProviderEnabled"
	typeProviderDisabled  = "ProviderDisabled"
	typePackageAdded      = "PackageAdded"
	typePackageChanged    = "PackageChanged"
	typePackageWithdrawn  = "PackageWithdrawn"
	typePackageMarginSet  = "PackageMarginSet"
	typePackageEnabled    = "PackageEnabled"
	typePackageDisabled   = "PackageDisabled"
)

type providerMarginSet struct {
	Slug       string         `json:"slug"`
	NewPercent *money.Percent `json:"new_percent"`
}

type providerToggled struct {
	Slug string `json:"slug"`
}

// packageListed is the full package carried by PackageAdded and PackageChanged.
type packageListed struct {
	PackageID         string        `json:"package_id"`
	Provider          string        `json:"provider"`
	ProviderPackageID string        `json:"provider_package_id"`
	Name              string        `json:"name"`
	Countries         []string      `json:"countries"`
	RegionCode        string        `json:"region_code"`
	RegionName        string        `json:"region_name"`
	DataMB            *int64        `json:"data_mb"`
	Unlimited         bool          `json:"unlimited"`
	Daily             bool          `json:"daily"`
	ValidityDays      int           `json:"validity_days"`
	Wholesale         money.Precise `json:"wholesale"`
	Operators         []string      `json:"operators"`
}

// packageUpdated is the payload of PackageWithdrawn, PackageEnabled,
// PackageDisabled and PackageMarginSet. Only PackageMarginSet carries
// new_percent, where null removes the package's override.
type packageUpdated struct {
	PackageID  string         `json:"package_id"`
	Provider   string         `json:"provider"`
	NewPercent *money.Percent `json:"new_percent"`
}

// decode unmarshals the payload of an event of type eventType.
func decode(eventType string, data []byte, target any) error {
	if err := json.Unmarshal(data, target); err != nil {
		return fmt.Errorf("decode %s: %w", eventType, err)
	}
	return nil
}

// requireFields returns an error naming the first JSON field, in name
// order, whose value is empty.
func requireFields(eventType string, values map[string]string) error {
	for _, field := range sortedKeys(values) {
		if values[field] == "" {
			return fmt.Errorf("decode %s: missing %s", eventType, field)
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}

// normalizeCountries upper-cases, de-duplicates and sorts country codes, so
// that a package never counts twice under one country.
func normalizeCountries(codes []string) []string {
	seen := make(map[string]bool, len(codes))
	out := make([]string, 0, len(codes))
	for _, code := range codes {
		code = strings.ToUpper(strings.TrimSpace(code))
		if code == "" || seen[code] {
			continue
		}
		seen[code] = true
		out = append(out, code)
	}
	sort.Strings(out)
	return out
}
