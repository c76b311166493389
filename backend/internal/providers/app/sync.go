package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/platform/reactor"
	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/domain"
)

// RunSyncOnSyncStarted is the name of the reaction that runs syncs.
const RunSyncOnSyncStarted = "RunSyncOnSyncStarted"

// StartSync appends SyncStarted with a new sync id, which the
// RunSyncOnSyncStarted reaction then runs in the background. It fails with
// domain.ErrProviderNotConfigured or domain.ErrSyncRunning.
func (s *Service) StartSync(ctx context.Context, slug string) (string, eventstore.AppendResult, error) {
	syncID := uuid.NewString()
	// Marked before the append, so the reaction cannot see the event first.
	s.setStartedHere(syncID, true)
	result, err := s.execute(ctx, slug, func(provider *domain.Provider) ([]domain.Event, error) {
		return provider.StartSync(syncID, s.now())
	})
	if err != nil {
		s.setStartedHere(syncID, false)
		return "", eventstore.AppendResult{}, fmt.Errorf("start sync of provider %s: %w", slug, err)
	}
	s.logger.Info().Str("provider", slug).Str("sync_id", syncID).Msg("sync started")
	return syncID, result, nil
}

func (s *Service) setStartedHere(syncID string, started bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if started {
		s.startedHere[syncID] = true
	} else {
		delete(s.startedHere, syncID)
	}
}

// claim removes syncID from startedHere and reports whether it was there,
// so that each sync runs once even when its event is handled twice.
func (s *Service) claim(syncID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.startedHere[syncID] {
		return false
	}
	delete(s.startedHere, syncID)
	return true
}

func (s *Service) isStartedHere(syncID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startedHere[syncID]
}

// Reactions returns the reactions the reactor must run for this service.
func (s *Service) Reactions() []reactor.Reaction {
	return []reactor.Reaction{{
		Name:       RunSyncOnSyncStarted,
		EventTypes: []string{domain.TypeSyncStarted},
		Handle:     s.runSyncOnSyncStarted,
	}}
}

// runSyncOnSyncStarted starts the sync of a SyncStarted event in a tracked
// goroutine and returns at once. It skips syncs this process did not start.
// After a restart that is every sync in the log, because
// RecoverInterruptedSyncs closed the ones still running.
func (s *Service) runSyncOnSyncStarted(ctx context.Context, recorded eventstore.RecordedEvent) error {
	event, _, err := domain.Decode(recorded.Type, recorded.Data)
	if err != nil {
		return err
	}
	started, ok := event.(domain.SyncStarted)
	if !ok || !s.isStartedHere(started.SyncID) {
		return nil
	}
	provider, _, err := s.load(ctx, started.Slug)
	if err != nil {
		return err
	}
	running := provider.RunningSync()
	if running == nil || running.ID != started.SyncID {
		s.setStartedHere(started.SyncID, false)
		return nil
	}
	if !s.claim(started.SyncID) {
		return nil
	}
	ctx = esrepo.WithCorrelation(esrepo.WithActor(ctx, "system"), recorded.ID, recorded.ID)
	s.syncs.Go(func() { s.runSync(ctx, provider, started.SyncID) })
	return nil
}

// runSync lists the provider's packages within the sync budget, hands them
// to the catalog, and records SyncCompleted or SyncFailed.
func (s *Service) runSync(ctx context.Context, provider *domain.Provider, syncID string) {
	slug := provider.Slug()
	logger := s.logger.With().Str("provider", slug).Str("sync_id", syncID).Logger()
	syncCtx, cancel := context.WithTimeout(ctx, s.syncBudget)
	defer cancel()

	progress := &syncProgress{service: s, ctx: syncCtx, slug: slug, syncID: syncID, logger: logger,
		seen: map[string]struct{}{}, lastReport: s.now()}
	counts, err := s.listIntoCatalog(syncCtx, provider, syncID, progress)

	// The outcome is recorded even when shutdown cancelled ctx.
	finishCtx, cancelFinish := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancelFinish()
	if err == nil {
		_, err = s.execute(finishCtx, slug, func(provider *domain.Provider) ([]domain.Event, error) {
			return provider.CompleteSync(syncID, domain.SyncCounts(counts), s.now())
		})
		s.logOutcome(logger, err, "sync completed")
		return
	}

	cause, message := s.describeSyncFailure(ctx, syncCtx, err)
	logger.Warn().Err(err).Str("cause", string(cause)).Int("packages_seen", progress.count()).Msg("sync failed")
	_, err = s.execute(finishCtx, slug, func(provider *domain.Provider) ([]domain.Event, error) {
		return provider.FailSync(syncID, progress.count(), string(cause), message, s.now())
	})
	s.logOutcome(logger, err, "sync failure recorded")
}

func (s *Service) listIntoCatalog(
	ctx context.Context,
	provider *domain.Provider,
	syncID string,
	progress *syncProgress,
) (domain.SyncCounts, error) {
	client, err := s.clientFor(provider)
	if err != nil {
		return domain.SyncCounts{}, err
	}
	counts, err := s.catalog.ApplySync(ctx, provider.Slug(), syncID, func(yield func(adapters.Package) error) error {
		return client.ListPackages(ctx, progress.wrap(yield))
	})
	return domain.SyncCounts(counts), err
}

// describeSyncFailure returns the SyncFailed cause and message of err. A
// sync stopped by shutdown has cause server_error, because no provider
// call failed, and MessageInterrupted.
func (s *Service) describeSyncFailure(ctx, syncCtx context.Context, err error) (adapters.Cause, string) {
	switch {
	case ctx.Err() != nil:
		return adapters.CauseServerError, MessageInterrupted
	case errors.Is(syncCtx.Err(), context.DeadlineExceeded):
		return adapters.CauseTimeout, fmt.Sprintf(
			"the sync timed out after its time budget of %s. Raise MASTER_ESIM_SYNC_MAX_SECONDS for a large catalog.",
			s.syncBudget)
	default:
		return describeFailure(err, s.syncBudget)
	}
}

func (s *Service) logOutcome(logger zerolog.Logger, err error, message string) {
	if errors.Is(err, domain.ErrSyncNotRunning) {
		logger.Warn().Msg("sync outcome not recorded because the sync was already closed")
		return
	}
	if err != nil {
		// The next start's RecoverInterruptedSyncs closes the sync.
		logger.Error().Err(err).Msg("record sync outcome failed")
		return
	}
	logger.Info().Msg(message)
}

// syncProgress counts the distinct packages of a running sync and appends
// SyncProgressed at most every ProgressInterval. It is used by one
// goroutine, the listing's.
type syncProgress struct {
	service    *Service
	ctx        context.Context
	slug       string
	syncID     string
	logger     zerolog.Logger
	seen       map[string]struct{}
	lastReport time.Time
}

func (p *syncProgress) count() int { return len(p.seen) }

func (p *syncProgress) wrap(yield func(adapters.Package) error) func(adapters.Package) error {
	return func(pkg adapters.Package) error {
		if _, seen := p.seen[pkg.ProviderPackageID]; !seen {
			p.seen[pkg.ProviderPackageID] = struct{}{}
			if err := p.report(); err != nil {
				return err
			}
		}
		return yield(pkg)
	}
}

// report appends SyncProgressed when ProgressInterval has passed. A failed
// append is logged and the sync goes on, unless the sync was closed
// elsewhere, which stops the listing.
func (p *syncProgress) report() error {
	now := p.service.now()
	if now.Sub(p.lastReport) < ProgressInterval {
		return nil
	}
	p.lastReport = now
	seen := len(p.seen)
	_, err := p.service.execute(p.ctx, p.slug, func(provider *domain.Provider) ([]domain.Event, error) {
		return provider.ProgressSync(p.syncID, seen)
	})
	if errors.Is(err, domain.ErrSyncNotRunning) {
		return err
	}
	if err != nil {
		p.logger.Warn().Err(err).Int("packages_seen", seen).Msg("record sync progress failed")
	}
	return nil
}
