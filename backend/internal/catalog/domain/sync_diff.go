package domain

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ErrCatalogChangedDuringSync reports that another writer changed package
// content while a sync ran, so its diff cannot be recomputed from the
// packages it kept.
var ErrCatalogChangedDuringSync = errors.New("catalog content changed while the sync ran")

// Encoded is a catalog event already encoded as the JSON document it is
// stored as. Data is exactly what json.Marshal of the typed event returns.
type Encoded struct {
	Type string
	Data []byte
}

// EventType returns the stored type name of the event.
func (e Encoded) EventType() string { return e.Type }

// MarshalJSON returns the encoded document.
func (e Encoded) MarshalJSON() ([]byte, error) { return e.Data, nil }

// SyncDiff collects the packages of one sync and turns them into catalog
// events. It keeps the content hash of every distinct package seen, keyed
// by package id, and only for packages that are new or changed against the
// catalog the sync started from, their event payload as encoded JSON.
type SyncDiff struct {
	slug   string
	syncID string
	base   *Catalog
	// seen maps the package id of each distinct provider package to its
	// content hash.
	seen map[packageKey]Hash
	// candidates holds the encoded payload of new or changed packages.
	candidates map[packageKey]candidate
}

// candidate is a new or changed package: its provider package id, by which
// events are ordered, and its PackageData payload as JSON.
type candidate struct {
	providerPackageID string
	data              []byte
}

// NewSyncDiff starts the diff of sync syncID against c.
func (c *Catalog) NewSyncDiff(syncID string) *SyncDiff {
	return &SyncDiff{
		slug:       c.slug,
		syncID:     syncID,
		base:       c,
		seen:       map[packageKey]Hash{},
		candidates: map[packageKey]candidate{},
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
	key := packageKeyOf(d.slug, content.ProviderPackageID)
	if _, dup := d.seen[key]; dup {
		return nil
	}
	hash := content.Hash()
	d.seen[key] = hash
	state, found := d.base.packages[key]
	if found && !state.Withdrawn && state.Hash == hash {
		return nil
	}
	data, err := json.Marshal(content.Data(d.slug, d.syncID))
	if err != nil {
		return fmt.Errorf("encode package %q: %w", content.ProviderPackageID, err)
	}
	d.candidates[key] = candidate{
		// A copy, so that the kept id does not pin the listing's buffers.
		providerPackageID: strings.Clone(content.ProviderPackageID),
		data:              data,
	}
	return nil
}

// Seen returns the number of distinct packages observed so far.
func (d *SyncDiff) Seen() int { return len(d.seen) }

// Encode returns the encoded package events that bring current in line
// with the observed listing, followed by one CatalogSynced, in a stable
// order: added and changed packages by provider package id, then
// withdrawn packages by package id. current is normally the catalog the
// diff started from, and after a concurrent append it is the reloaded
// catalog. The payloads of added and changed packages are shared with the
// diff, not copied.
func (d *SyncDiff) Encode(current *Catalog) ([]Encoded, SyncCounts, error) {
	for key, hash := range d.seen {
		state, found := current.packages[key]
		if found && !state.Withdrawn && state.Hash == hash {
			continue
		}
		if _, kept := d.candidates[key]; !kept {
			return nil, SyncCounts{}, fmt.Errorf("package %q: %w", string(key[:]), ErrCatalogChangedDuringSync)
		}
	}

	counts := SyncCounts{Seen: len(d.seen)}
	keys := slices.SortedFunc(maps.Keys(d.candidates), func(a, b packageKey) int {
		return cmp.Compare(d.candidates[a].providerPackageID, d.candidates[b].providerPackageID)
	})
	events := make([]Encoded, 0, len(keys)+1)
	for _, key := range keys {
		state, found := current.packages[key]
		if found && !state.Withdrawn && state.Hash == d.seen[key] {
			continue
		}
		eventType := TypePackageChanged
		if !found || state.Withdrawn {
			eventType = TypePackageAdded
			counts.Added++
		} else {
			counts.Changed++
		}
		events = append(events, Encoded{Type: eventType, Data: d.candidates[key].data})
	}

	withdrawn := slices.SortedFunc(maps.Keys(current.packages), func(a, b packageKey) int {
		return bytes.Compare(a[:], b[:])
	})
	for _, key := range withdrawn {
		state := current.packages[key]
		if _, listed := d.seen[key]; listed || state.Withdrawn {
			continue
		}
		encoded, err := encode(PackageWithdrawn{
			PackageID:         string(key[:]),
			Provider:          d.slug,
			ProviderPackageID: state.ProviderPackageID,
			SyncID:            d.syncID,
		})
		if err != nil {
			return nil, SyncCounts{}, err
		}
		events = append(events, encoded)
		counts.Removed++
	}

	marker, err := encode(CatalogSynced{
		Slug:            d.slug,
		SyncID:          d.syncID,
		PackagesSeen:    counts.Seen,
		PackagesAdded:   counts.Added,
		PackagesChanged: counts.Changed,
		PackagesRemoved: counts.Removed,
	})
	if err != nil {
		return nil, SyncCounts{}, err
	}
	return append(events, marker), counts, nil
}

// Events is Encode with every event decoded into its typed value.
func (d *SyncDiff) Events(current *Catalog) ([]Event, SyncCounts, error) {
	encoded, counts, err := d.Encode(current)
	if err != nil {
		return nil, SyncCounts{}, err
	}
	events := make([]Event, 0, len(encoded))
	for _, e := range encoded {
		event, _, err := Decode(e.Type, e.Data)
		if err != nil {
			return nil, SyncCounts{}, err
		}
		events = append(events, event)
	}
	return events, counts, nil
}

func encode(event Event) (Encoded, error) {
	data, err := json.Marshal(event)
	if err != nil {
		return Encoded{}, fmt.Errorf("encode %s: %w", event.EventType(), err)
	}
	return Encoded{Type: event.EventType(), Data: data}, nil
}

// Commit folds into current the events that Encode(current) returned, once
// they are stored, without decoding them again. The result equals applying
// those events one by one.
func (d *SyncDiff) Commit(current *Catalog) {
	counts := SyncCounts{Seen: len(d.seen)}
	for key, hash := range d.seen {
		state, found := current.packages[key]
		switch {
		case found && !state.Withdrawn && state.Hash == hash:
			continue
		case found && !state.Withdrawn:
			counts.Changed++
		default:
			if !found {
				state = PackageState{Enabled: true}
			}
			state.ProviderPackageID = d.candidates[key].providerPackageID
			state.Withdrawn = false
			counts.Added++
		}
		state.Hash = hash
		current.packages[key] = state
	}
	for key, state := range current.packages {
		if _, listed := d.seen[key]; listed || state.Withdrawn {
			continue
		}
		state.Withdrawn = true
		current.packages[key] = state
		counts.Removed++
	}
	current.lastSync = &SyncRecord{SyncID: d.syncID, Counts: counts}
}
