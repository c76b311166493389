package domain

import (
	"strings"

	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/money"
)

// MaxMarginPercent is the highest margin override: 100 %.
const MaxMarginPercent = money.Percent(100_00)

// ErrPackageNotFound reports an update of a package the catalog does not
// list, or lists as withdrawn.
var ErrPackageNotFound = apperr.NotFound("package_not_found",
	"no sellable package has this id. The provider may have withdrawn it.")

// StreamName returns the catalog stream of the provider with slug.
func StreamName(slug string) string { return "catalog-" + slug }

// PackageState is what the aggregate keeps per package: a hash of the
// provider content, not the content itself, so that large catalogs stay
// small in memory.
type PackageState struct {
	ProviderPackageID string
	Hash              Hash
	Withdrawn         bool
	Enabled           bool
	MarginOverride    *money.Percent
}

// SyncCounts are the package counts of one sync. Seen counts distinct
// provider packages.
type SyncCounts struct {
	Seen    int
	Added   int
	Changed int
	Removed int
}

// SyncRecord is the CatalogSynced marker of one sync.
type SyncRecord struct {
	SyncID string
	Counts SyncCounts
}

// Catalog is the aggregate of one provider's packages. It is not safe for
// concurrent use.
type Catalog struct {
	slug     string
	packages map[string]*PackageState
	lastSync *SyncRecord
}

// New returns the empty catalog of the provider with slug.
func New(slug string) *Catalog {
	return &Catalog{slug: slug, packages: map[string]*PackageState{}}
}

// Slug returns the provider slug of the catalog.
func (c *Catalog) Slug() string { return c.slug }

// Apply folds event into the state. Events of unknown types must be skipped
// by the caller.
func (c *Catalog) Apply(event Event) {
	switch e := event.(type) {
	case PackageAdded:
		state := c.packages[e.PackageID]
		if state == nil {
			// Packages start enabled. A re-added package keeps the admin's
			// earlier margin override and enabled flag.
			state = &PackageState{Enabled: true}
			c.packages[e.PackageID] = state
		}
		state.ProviderPackageID = e.ProviderPackageID
		state.Hash = e.Content().Hash()
		state.Withdrawn = false
	case PackageChanged:
		if state := c.packages[e.PackageID]; state != nil {
			state.Hash = e.Content().Hash()
		}
	case PackageWithdrawn:
		if state := c.packages[e.PackageID]; state != nil {
			state.Withdrawn = true
		}
	case PackageMarginSet:
		if state := c.packages[e.PackageID]; state != nil {
			state.MarginOverride = parseStoredPercent(e.NewPercent)
		}
	case PackageEnabled:
		if state := c.packages[e.PackageID]; state != nil {
			state.Enabled = true
		}
	case PackageDisabled:
		if state := c.packages[e.PackageID]; state != nil {
			state.Enabled = false
		}
	case CatalogSynced:
		c.lastSync = &SyncRecord{SyncID: e.SyncID, Counts: SyncCounts{
			Seen:    e.PackagesSeen,
			Added:   e.PackagesAdded,
			Changed: e.PackagesChanged,
			Removed: e.PackagesRemoved,
		}}
	}
}

// parseStoredPercent reads a percentage that UpdatePackage wrote. Both nil
// and a damaged value mean no override.
func parseStoredPercent(text *string) *money.Percent {
	if text == nil {
		return nil
	}
	percent, err := money.ParsePercent(*text)
	if err != nil {
		return nil
	}
	return &percent
}

// Package returns a copy of the state of the package with id, or nil.
func (c *Catalog) Package(id string) *PackageState {
	state := c.packages[id]
	if state == nil {
		return nil
	}
	copied := *state
	return &copied
}

// LastSync returns the marker of the most recent sync, or nil.
func (c *Catalog) LastSync() *SyncRecord {
	if c.lastSync == nil {
		return nil
	}
	record := *c.lastSync
	return &record
}

// ParseMargin validates a margin override for field: a decimal from 0 to
// 100 with at most two decimals.
func ParseMargin(field, text string) (money.Percent, error) {
	text = strings.TrimSpace(text)
	margin, err := money.ParsePercent(text)
	if err != nil {
		return 0, apperr.Invalid(field, "invalid_percent",
			field+" must be a number from 0 to 100 with at most two decimals, or null")
	}
	if margin > MaxMarginPercent {
		return 0, apperr.Invalid(field, "invalid_max", field+" must be at most 100")
	}
	return margin, nil
}

// PackageUpdate is an admin's change to one package. SetMargin false leaves
// the margin override alone. With SetMargin true, a nil MarginOverride
// removes it. A nil Enabled leaves the flag alone.
type PackageUpdate struct {
	PackageID      string
	SetMargin      bool
	MarginOverride *money.Percent
	Enabled        *bool
}

// UpdatePackage returns PackageMarginSet, PackageEnabled or PackageDisabled
// for what the update changes, or ErrPackageNotFound.
func (c *Catalog) UpdatePackage(update PackageUpdate) ([]Event, error) {
	state := c.packages[update.PackageID]
	if state == nil || state.Withdrawn {
		return nil, ErrPackageNotFound
	}
	var events []Event
	if update.SetMargin && !samePercent(state.MarginOverride, update.MarginOverride) {
		events = append(events, PackageMarginSet{
			PackageID:  update.PackageID,
			Provider:   c.slug,
			OldPercent: percentText(state.MarginOverride),
			NewPercent: percentText(update.MarginOverride),
		})
	}
	if update.Enabled != nil && *update.Enabled != state.Enabled {
		if *update.Enabled {
			events = append(events, PackageEnabled{PackageID: update.PackageID, Provider: c.slug})
		} else {
			events = append(events, PackageDisabled{PackageID: update.PackageID, Provider: c.slug})
		}
	}
	return events, nil
}

func samePercent(a, b *money.Percent) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func percentText(percent *money.Percent) *string {
	if percent == nil {
		return nil
	}
	text := percent.String()
	return &text
}
