package app

import (
	"context"
	"fmt"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/providers/domain"
)

// EnableProvider appends ProviderEnabled, or nothing when the provider is
// already enabled. It fails with domain.ErrProviderNotConfigured, or
// domain.ErrProviderNotTested unless the last connection test succeeded.
func (s *Service) EnableProvider(ctx context.Context, slug string) (eventstore.AppendResult, error) {
	result, err := s.execute(ctx, slug, (*domain.Provider).Enable)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("enable provider %s: %w", slug, err)
	}
	s.logger.Info().Str("provider", slug).Msg("provider enabled")
	return result, nil
}

// DisableProvider appends ProviderDisabled, or nothing when the provider is
// not enabled.
func (s *Service) DisableProvider(ctx context.Context, slug string) (eventstore.AppendResult, error) {
	result, err := s.execute(ctx, slug, (*domain.Provider).Disable)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("disable provider %s: %w", slug, err)
	}
	s.logger.Info().Str("provider", slug).Msg("provider disabled")
	return result, nil
}
