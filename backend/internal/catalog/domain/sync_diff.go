package domain

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// ErrCatalogChangedDuringSync reports that another writer changed package
// content while a sync ran, so its diff cannot be recomputed from the
// packages it kept.
var ErrCatalogChangedDuringSync = errors.New("catalog content changed while the sync ran")

// SyncDiff collects the packages of one sync and turns them into catalog
// events. It keeps the hash of every distinct package seen, and the full
// content only of packages that are new or changed against the catalog
// the sync started from.
type SyncDiff struct {
	slug   string
	syncID string
	base   *Catalog
	// seen maps each distinct provider package id to its content hash.
	seen map[string]Hash
	// candidates holds the content of new or changed packages.
	candidates map[string]Content
}

// NewSyncDiff starts the diff of sync syncID against c.
func (c *Catalog) NewSyncDiff(syncID string) *SyncDiff {
	return &SyncDiff{
		slug:       c.slug,
		syncID:     syncID,
		base:       c,
		seen:       map[string]Hash{},
		candidates: map[string]Content{},
	}
}

// Observe records one package from the provider. A package listed again
// under the same provider package id is ignored: the first listing wins.
// Invalid content fails with ErrInvalidPackage.
func (d *SyncDiff) Observe(content Content) error {
	content = content.Normalize()
	if err := content.Validate(); err != nil {
		return err
	}
	if _, dup := d.seen[content.ProviderPackageID]; dup {
		return nil
	}
	hash := content.Hash()
	d.seen[content.ProviderPackageID] = hash
	state := d.base.packages[PackageID(d.slug, content.ProviderPackageID)]
	if state == nil || state.Withdrawn || state.Hash != hash {
		d.candidates[content.ProviderPackageID] = content
	}
	return nil
}

// Seen returns the number of distinct packages observed so far.
func (d *SyncDiff) Seen() int { return len(d.seen) }

// Events returns the package events that bring current in line with the
// observed listing, followed by one CatalogSynced, in a stable order.
// current is normally the catalog the diff started from, and after a
// concurrent append it is the reloaded catalog.
func (d *SyncDiff) Events(current *Catalog) ([]Event, SyncCounts, error) {
	counts := SyncCounts{Seen: len(d.seen)}
	var events []Event
	for _, providerPackageID := range slices.Sorted(maps.Keys(d.seen)) {
		hash := d.seen[providerPackageID]
		state := current.packages[PackageID(d.slug, providerPackageID)]
		if state != nil && !state.Withdrawn && state.Hash == hash {
			continue
		}
		content, found := d.candidates[providerPackageID]
		if !found {
			return nil, SyncCounts{}, fmt.Errorf("package %q: %w", providerPackageID, ErrCatalogChangedDuringSync)
		}
		if state == nil || state.Withdrawn {
			events = append(events, PackageAdded{content.Data(d.slug, d.syncID)})
			counts.Added++
		} else {
			events = append(events, PackageChanged{content.Data(d.slug, d.syncID)})
			counts.Changed++
		}
	}
	for _, packageID := range slices.Sorted(maps.Keys(current.packages)) {
		state := current.packages[packageID]
		if _, listed := d.seen[state.ProviderPackageID]; listed || state.Withdrawn {
			continue
		}
		events = append(events, PackageWithdrawn{
			PackageID:         packageID,
			Provider:          d.slug,
			ProviderPackageID: state.ProviderPackageID,
			SyncID:            d.syncID,
		})
		counts.Removed++
	}
	events = append(events, CatalogSynced{
		Slug:            d.slug,
		SyncID:          d.syncID,
		PackagesSeen:    counts.Seen,
		PackagesAdded:   counts.Added,
		PackagesChanged: counts.Changed,
		PackagesRemoved: counts.Removed,
	})
	return events, counts, nil
}
