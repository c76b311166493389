package app

import (
	"context"
	"errors"
	"fmt"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/domain"
)

// RecoverInterruptedSyncs closes every sync left running by a previous
// process. Call it once at start, before the reactions run. A sync whose
// CatalogSynced marker is in the catalog had stored its changes, so it gets
// SyncCompleted with the recorded counts. Any other sync gets SyncFailed
// with cause server_error and MessageInterrupted.
func (s *Service) RecoverInterruptedSyncs(ctx context.Context) error {
	var errs []error
	for _, slug := range domain.Slugs() {
		if err := s.recoverSync(ctx, slug); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Service) recoverSync(ctx context.Context, slug string) error {
	provider, _, err := s.load(ctx, slug)
	if err != nil {
		return err
	}
	running := provider.RunningSync()
	if running == nil || s.isStartedHere(running.ID) {
		return nil
	}

	logger := s.logger.With().Str("provider", slug).Str("sync_id", running.ID).Logger()
	counts, synced, err := s.catalog.SyncRecord(ctx, slug, running.ID)
	if err != nil {
		return fmt.Errorf("recover sync %s of %s: %w", running.ID, slug, err)
	}
	if synced {
		_, err = s.execute(ctx, slug, func(provider *domain.Provider) ([]domain.Event, error) {
			return provider.CompleteSync(running.ID, domain.SyncCounts(counts), s.now())
		})
	} else {
		_, err = s.execute(ctx, slug, func(provider *domain.Provider) ([]domain.Event, error) {
			return provider.FailSync(running.ID, running.Counts.Seen, string(adapters.CauseServerError), MessageInterrupted, s.now())
		})
	}

	if errors.Is(err, domain.ErrSyncNotRunning) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("recover sync %s of %s: %w", running.ID, slug, err)
	}
	logger.Warn().Bool("catalog_synced", synced).Msg("closed a sync interrupted by a restart")
	return nil
}
