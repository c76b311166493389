package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/providers/domain"
)

// ErrSyncNotDue reports a scheduled sync start for a provider whose next
// scheduled sync is not due: it is disabled or not configured, or its last
// sync started less than sync_interval_minutes ago.
var ErrSyncNotDue = errors.New("no scheduled sync is due")

// SyncSchedule is the schedule state of one provider, read from its stream.
type SyncSchedule struct {
	Slug string
	// Scheduled reports whether the provider re-syncs on a schedule: it is
	// configured and enabled.
	Scheduled bool
	// Running reports whether a sync of the provider runs now.
	Running bool
	// NextAt is when the next scheduled sync is due. It is the zero time
	// for a provider that never synced, which is due at once.
	NextAt time.Time
}

// Due reports whether a scheduled sync should start at now.
func (s SyncSchedule) Due(now time.Time) bool {
	return s.Scheduled && !s.Running && !now.Before(s.NextAt)
}

// SyncSchedules returns the schedule of every supported provider, in the
// order of domain.Slugs, loaded from the event store.
func (s *Service) SyncSchedules(ctx context.Context) ([]SyncSchedule, error) {
	slugs := domain.Slugs()
	schedules := make([]SyncSchedule, 0, len(slugs))
	for _, slug := range slugs {
		provider, _, err := s.load(ctx, slug)
		if err != nil {
			return nil, err
		}
		schedules = append(schedules, scheduleOf(provider))
	}
	return schedules, nil
}

// StartScheduledSync starts a sync like StartSync, but only when one is due
// at the service's clock. The due check and the append of SyncStarted use
// the same stream revision, so two callers racing on one provider start
// one sync: the other gets ErrSyncNotDue or domain.ErrSyncRunning after
// reloading, or esrepo.ErrConflict when appends kept racing. A provider
// that is not configured, or not enabled, gets ErrSyncNotDue.
func (s *Service) StartScheduledSync(ctx context.Context, slug string) (string, eventstore.AppendResult, error) {
	syncID := uuid.NewString()
	// Marked before the append, so the reaction cannot see the event first.
	s.setStartedHere(syncID, true)
	result, err := s.execute(ctx, slug, func(provider *domain.Provider) ([]domain.Event, error) {
		schedule := scheduleOf(provider)
		if !schedule.Scheduled || s.now().Before(schedule.NextAt) {
			return nil, ErrSyncNotDue
		}
		// A running sync is left to the aggregate, which rejects it with
		// ErrSyncRunning.
		return provider.StartSync(syncID, s.now())
	})
	if err != nil {
		s.setStartedHere(syncID, false)
		return "", eventstore.AppendResult{}, fmt.Errorf("start scheduled sync of provider %s: %w", slug, err)
	}
	s.logger.Info().Str("provider", slug).Str("sync_id", syncID).Str("trigger", "schedule").Msg("sync started")
	return syncID, result, nil
}

// scheduleOf returns the schedule of provider: every
// sync_interval_minutes after the start of its last sync, whatever that
// sync's outcome, or at once when it never synced.
func scheduleOf(provider *domain.Provider) SyncSchedule {
	schedule := SyncSchedule{Slug: provider.Slug()}
	interval := time.Duration(provider.Settings().SyncIntervalMinutes) * time.Minute
	schedule.Scheduled = provider.Configured() && provider.Enabled() && interval > 0
	last := provider.LastSync()
	if last == nil {
		return schedule
	}
	schedule.Running = last.Status == domain.SyncStatusRunning
	schedule.NextAt = last.StartedAt.Add(interval)
	return schedule
}
