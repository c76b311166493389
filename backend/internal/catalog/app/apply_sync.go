package app

import (
	"context"
	"errors"
	"fmt"

	"esimscan/backend/internal/catalog/domain"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/providers/adapters"
)

// ApplySync diffs the packages that fetched yields against the catalog of
// slug and appends, in one append, PackageAdded, PackageChanged and
// PackageWithdrawn events followed by one CatalogSynced marker. An
// unchanged listing appends the marker alone.
//
// When fetched fails, or ctx ends, nothing is appended. A package without
// an id or with an invalid currency fails the sync as an *adapters.Error
// with cause bad_response. When an admin's edit lands between load and
// append, the catalog is reloaded and the diff appended again, up to a few
// times. Calling ApplySync again for a sync that already appended returns
// the recorded counts and appends nothing.
func (s *Service) ApplySync(
	ctx context.Context,
	slug string,
	syncID string,
	fetched func(yield func(adapters.Package) error) error,
) (SyncCounts, error) {
	catalog, expected, err := s.load(ctx, slug)
	if err != nil {
		return SyncCounts{}, err
	}
	// The loaded state stays valid whatever happens below, unless the
	// append succeeds, which moves it on.
	kept := expected
	defer func() { s.keep(catalog, kept) }()
	if last := catalog.LastSync(); last != nil && last.SyncID == syncID {
		return last.Counts, nil
	}

	diff := catalog.NewSyncDiff(syncID)
	err = fetched(func(pkg adapters.Package) error { return diff.Observe(contentOf(pkg)) })
	if errors.Is(err, domain.ErrInvalidPackage) {
		return SyncCounts{}, &adapters.Error{Cause: adapters.CauseBadResponse, Message: err.Error(), Err: err}
	}
	if err != nil {
		return SyncCounts{}, fmt.Errorf("fetch packages of %s: %w", slug, err)
	}
	// A listing cut short by the deadline must not withdraw the packages it
	// did not reach.
	if err := ctx.Err(); err != nil {
		return SyncCounts{}, fmt.Errorf("fetch packages of %s: %w", slug, err)
	}

	for attempt := 1; ; attempt++ {
		result, counts, err := s.appendDiff(ctx, slug, diff, catalog, expected)
		if err == nil {
			diff.Commit(catalog)
			kept = eventstore.Exact(result.NextRevision)
			s.logger.Info().Str("provider", slug).Str("sync_id", syncID).
				Int("packages_seen", counts.Seen).Int("packages_added", counts.Added).
				Int("packages_changed", counts.Changed).Int("packages_removed", counts.Removed).
				Msg("catalog synced")
			return counts, nil
		}
		if !errors.Is(err, esrepo.ErrConflict) || attempt == maxAppendAttempts {
			return SyncCounts{}, fmt.Errorf("append catalog sync %s: %w", syncID, err)
		}
		s.logger.Warn().Str("provider", slug).Str("sync_id", syncID).Int("attempt", attempt).
			Msg("catalog changed during sync append; reloading and retrying")
		catalog, expected, err = s.load(ctx, slug)
		if err != nil {
			catalog, kept = domain.New(slug), eventstore.NoStream()
			return SyncCounts{}, err
		}
		kept = expected
	}
}

// appendDiff appends the events of diff against catalog, all of them with
// the CatalogSynced marker in one append at revision expected. The events
// are handed to the store as the encoded JSON the diff holds, not copied.
func (s *Service) appendDiff(
	ctx context.Context,
	slug string,
	diff *domain.SyncDiff,
	catalog *domain.Catalog,
	expected eventstore.ExpectedRevision,
) (eventstore.AppendResult, SyncCounts, error) {
	encoded, counts, err := diff.Encode(catalog)
	if err != nil {
		return eventstore.AppendResult{}, SyncCounts{}, fmt.Errorf("diff catalog %s: %w", slug, err)
	}
	raw := make([]esrepo.RawEvent, len(encoded))
	for i, event := range encoded {
		raw[i] = esrepo.RawEvent{Type: event.Type, Data: event.Data}
	}
	result, err := s.repo.AppendRaw(ctx, domain.StreamName(slug), expected, raw)
	if err != nil {
		return eventstore.AppendResult{}, SyncCounts{}, err
	}
	return result, counts, nil
}

func contentOf(pkg adapters.Package) domain.Content {
	return domain.Content{
		ProviderPackageID: pkg.ProviderPackageID,
		Name:              pkg.Name,
		Countries:         pkg.Countries,
		RegionCode:        pkg.RegionCode,
		RegionName:        pkg.RegionName,
		DataMB:            pkg.DataMB,
		Unlimited:         pkg.Unlimited,
		Daily:             pkg.Daily,
		ValidityDays:      pkg.ValidityDays,
		Wholesale:         pkg.Wholesale,
		Operators:         pkg.Operators,
	}
}
