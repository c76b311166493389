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
//
// Packages are keyed by their 16-character package id held in a [16]byte
// and stored by value, so a catalog of 50,000 packages takes a few MiB.
type Catalog struct {
	slug     string
	packages map[packageKey]PackageState
	lastSync *SyncRecord
}

// packageKey is a package id as a fixed-size array. Ids that are not 16
// bytes long, which PackageID never returns, cannot name a package.
type packageKey [packageIDLength]byte

// keyOf returns the key of the package id and false for an id that is not
// 16 bytes long.
func keyOf(packageID string) (packageKey, bool) {
	var key packageKey
	if len(packageID) != packageIDLength {
		return key, false
	}
	copy(key[:], packageID)
	return key, true
}

// New returns the empty catalog of the provider with slug.
func New(slug string) *Catalog {
	return &Catalog{slug: slug, packages: map[packageKey]PackageState{}}
}

// Len returns the number of packages in the catalog, withdrawn ones
// included.
func (c *Catalog) Len() int { return len(c.packages) }

// update runs change on the state of the package with id, if the catalog
// contains it.
func (c *Catalog) update(packageID string, change func(*PackageState)) {
	key, ok := keyOf(packageID)
	if !ok {
		return
	}
	state, found := c.packages[key]
	if !found {
		return
	}
	change(&state)
	c.packages[key] = state
}

// Slug returns the provider slug of the catalog.
func (c *Catalog) Slug() string { return c.slug }

// Apply folds event into the state. Events of unknown types must be skipped
// by the caller.
func (c *Catalog) Apply(event Event) {
	switch e := event.(type) {
	case PackageAdded:
		c.added(e.PackageID, e.ProviderPackageID, e.Content().Hash())
	case PackageChanged:
		hash := e.Content().Hash()
		c.update(e.PackageID, func(state *PackageState) { state.Hash = hash })
	case PackageWithdrawn:
		c.update(e.PackageID, func(state *PackageState) { state.Withdrawn = true })
	case PackageMarginSet:
		override := parseStoredPercent(e.NewPercent)
		c.update(e.PackageID, func(state *PackageState) { state.MarginOverride = override })
	case PackageEnabled:
		c.update(e.PackageID, func(state *PackageState) { state.Enabled = true })
	case PackageDisabled:
		c.update(e.PackageID, func(state *PackageState) { state.Enabled = false })
	case CatalogSynced:
		c.lastSync = &SyncRecord{SyncID: e.SyncID, Counts: SyncCounts{
			Seen:    e.PackagesSeen,
			Added:   e.PackagesAdded,
			Changed: e.PackagesChanged,
			Removed: e.PackagesRemoved,
		}}
	}
}

// added records a package listed for the first time or again after its
// withdrawal. Packages start enabled. A re-added package keeps the admin's
// earlier margin override and enabled flag.
func (c *Catalog) added(packageID, providerPackageID string, hash Hash) {
	key, ok := keyOf(packageID)
	if !ok {
		return
	}
	state, found := c.packages[key]
	if !found {
		state = PackageState{Enabled: true}
	}
	state.ProviderPackageID = providerPackageID
	state.Hash = hash
	state.Withdrawn = false
	c.packages[key] = state
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
	key, ok := keyOf(id)
	if !ok {
		return nil
	}
	state, found := c.packages[key]
	if !found {
		return nil
	}
	return &state
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
	state := c.Package(update.PackageID)
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
