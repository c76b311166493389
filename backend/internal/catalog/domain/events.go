package domain

import (
	"encoding/json"
	"fmt"

	"esimscan/backend/money"
)

// Event type names as stored in the log. Renaming one rewrites history.
const (
	TypePackageAdded     = "PackageAdded"
	TypePackageChanged   = "PackageChanged"
	TypePackageWithdrawn = "PackageWithdrawn"
	TypePackageMarginSet = "PackageMarginSet"
	TypePackageEnabled   = "PackageEnabled"
	TypePackageDisabled  = "PackageDisabled"
	TypeCatalogSynced    = "CatalogSynced"
)

// Event is a Catalog event. EventType returns its stored type name.
type Event interface {
	EventType() string
}

// PackageData is the full package as PackageAdded and PackageChanged carry
// it. DataMB is nil for an unlimited package.
type PackageData struct {
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
	SyncID            string        `json:"sync_id"`
}

// PackageAdded records a package the provider lists for the first time, or
// again after it was withdrawn.
type PackageAdded struct{ PackageData }

// PackageChanged records new provider content of a listed package.
type PackageChanged struct{ PackageData }

// PackageWithdrawn records a package the provider no longer lists, so it is
// not sellable.
type PackageWithdrawn struct {
	PackageID         string `json:"package_id"`
	Provider          string `json:"provider"`
	ProviderPackageID string `json:"provider_package_id"`
	SyncID            string `json:"sync_id"`
}

// PackageMarginSet records a change of a package's margin override. A nil
// percent means no override, so the provider's margin applies.
type PackageMarginSet struct {
	PackageID  string  `json:"package_id"`
	Provider   string  `json:"provider"`
	OldPercent *string `json:"old_percent"`
	NewPercent *string `json:"new_percent"`
}

// PackageEnabled records that the store sells the package again.
type PackageEnabled struct {
	PackageID string `json:"package_id"`
	Provider  string `json:"provider"`
}

// PackageDisabled records that the store stopped selling the package.
type PackageDisabled struct {
	PackageID string `json:"package_id"`
	Provider  string `json:"provider"`
}

// CatalogSynced closes the catalog changes of one sync. It is appended in
// the same append as the package events, so its presence proves they were
// all stored.
type CatalogSynced struct {
	Slug            string `json:"slug"`
	SyncID          string `json:"sync_id"`
	PackagesSeen    int    `json:"packages_seen"`
	PackagesAdded   int    `json:"packages_added"`
	PackagesChanged int    `json:"packages_changed"`
	PackagesRemoved int    `json:"packages_removed"`
}

func (PackageAdded) EventType() string     { return TypePackageAdded }
func (PackageChanged) EventType() string   { return TypePackageChanged }
func (PackageWithdrawn) EventType() string { return TypePackageWithdrawn }
func (PackageMarginSet) EventType() string { return TypePackageMarginSet }
func (PackageEnabled) EventType() string   { return TypePackageEnabled }
func (PackageDisabled) EventType() string  { return TypePackageDisabled }
func (CatalogSynced) EventType() string    { return TypeCatalogSynced }

var decoders = map[string]func(data []byte) (Event, error){
	TypePackageAdded:     decodeAs[PackageAdded],
	TypePackageChanged:   decodeAs[PackageChanged],
	TypePackageWithdrawn: decodeAs[PackageWithdrawn],
	TypePackageMarginSet: decodeAs[PackageMarginSet],
	TypePackageEnabled:   decodeAs[PackageEnabled],
	TypePackageDisabled:  decodeAs[PackageDisabled],
	TypeCatalogSynced:    decodeAs[CatalogSynced],
}

// Decode parses stored event data of eventType. It returns false for a type
// this package does not define, which the aggregate then ignores.
func Decode(eventType string, data []byte) (Event, bool, error) {
	decode, known := decoders[eventType]
	if !known {
		return nil, false, nil
	}
	event, err := decode(data)
	if err != nil {
		return nil, true, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return event, true, nil
}

func decodeAs[T Event](data []byte) (Event, error) {
	var event T
	if err := json.Unmarshal(data, &event); err != nil {
		return nil, err
	}
	return event, nil
}
