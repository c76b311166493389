package app

import (
	"context"
	"errors"
	"fmt"

	"esimscan/backend/internal/catalog/domain"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/esrepo"
)

// UpdatePackage is an admin's change to one package. With SetMargin true, a
// nil MarginOverride removes the override so the provider's margin
// applies. With SetMargin false the override is left alone. A nil Enabled
// leaves the flag alone.
type UpdatePackage struct {
	PackageID      string
	Provider       string
	SetMargin      bool
	MarginOverride *string
	Enabled        *bool
}

// UpdatePackage appends PackageMarginSet, PackageEnabled or PackageDisabled
// for what cmd changes, and nothing when it changes nothing. It fails with
// domain.ErrPackageNotFound for an unknown or withdrawn package, and with an
// invalid error naming "margin_override" for a margin outside 0–100 or with
// more than two decimals. A concurrent append to the catalog makes it
// decide again on the reloaded state.
func (s *Service) UpdatePackage(ctx context.Context, cmd UpdatePackage) (eventstore.AppendResult, error) {
	update := domain.PackageUpdate{PackageID: cmd.PackageID, SetMargin: cmd.SetMargin, Enabled: cmd.Enabled}
	if cmd.SetMargin && cmd.MarginOverride != nil {
		margin, err := domain.ParseMargin("margin_override", *cmd.MarginOverride)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		update.MarginOverride = &margin
	}
	if cmd.Provider == "" || cmd.PackageID == "" {
		return eventstore.AppendResult{}, domain.ErrPackageNotFound
	}

	for attempt := 1; ; attempt++ {
		result, err := s.updateOnce(ctx, cmd.Provider, update)
		if !errors.Is(err, esrepo.ErrConflict) || attempt == maxAppendAttempts {
			return result, err
		}
	}
}

func (s *Service) updateOnce(ctx context.Context, slug string, update domain.PackageUpdate) (eventstore.AppendResult, error) {
	catalog, expected, err := s.load(ctx, slug)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	events, err := catalog.UpdatePackage(update)
	if err != nil {
		s.keep(catalog, expected)
		return eventstore.AppendResult{}, fmt.Errorf("update package %s: %w", update.PackageID, err)
	}
	result, err := s.repo.Append(ctx, domain.StreamName(slug), expected, toRepoEvents(events)...)
	if err != nil {
		// The append failed, so the loaded state still holds at expected.
		s.keep(catalog, expected)
		return eventstore.AppendResult{}, fmt.Errorf("update package %s: %w", update.PackageID, err)
	}
	for _, event := range events {
		catalog.Apply(event)
	}
	if len(events) > 0 {
		s.keep(catalog, eventstore.Exact(result.NextRevision))
	} else {
		s.keep(catalog, expected)
	}
	if len(events) > 0 {
		s.logger.Info().Str("provider", slug).Str("package_id", update.PackageID).
			Int("events", len(events)).Msg("package updated")
	}
	return result, nil
}
