// Package scheduler starts the scheduled re-syncs of enabled providers:
// each one every sync_interval_minutes after the start of its last sync,
// or at once when it never synced.
//
// Several esimScan instances may run a scheduler against one event store
// and one Redis. Exactly one of them starts a given sync, for two reasons.
// A Redis lease per provider lets one scheduler at a time decide. The
// provider aggregate is the final arbiter: the due check and the append of
// SyncStarted use one stream revision, and a second running sync is
// rejected.
package scheduler

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/esrepo"
	providersapp "esimscan/backend/internal/providers/app"
	"esimscan/backend/internal/providers/domain"
)

// Defaults of a Scheduler.
const (
	// DefaultTick is the time between two passes over the providers.
	DefaultTick = 30 * time.Second
	// DefaultLeaseTTL is the lifetime of a lease that its holder does not
	// release, for example after a crash. It must exceed the time to load
	// a provider and append SyncStarted.
	DefaultLeaseTTL = 30 * time.Second
	// DefaultLeaseKeyPrefix is the start of each provider's lease key,
	// which the slug follows.
	DefaultLeaseKeyPrefix = "esimscan:scheduler:lease:"
	// releaseTimeout bounds the release of a lease, which runs even after
	// shutdown cancelled the pass.
	releaseTimeout = 5 * time.Second
)

// Actor is the actor id recorded on the SyncStarted events of scheduled
// syncs.
const Actor = "scheduler"

// Providers is the part of the providers app that the scheduler uses.
// *providersapp.Service implements it.
type Providers interface {
	SyncSchedules(ctx context.Context) ([]providersapp.SyncSchedule, error)
	StartScheduledSync(ctx context.Context, slug string) (string, eventstore.AppendResult, error)
}

// Options configures a Scheduler. Providers and Redis are required.
type Options struct {
	Providers Providers
	Redis     redis.UniversalClient
	Logger    zerolog.Logger
	// Tick is the time between passes; zero means DefaultTick.
	Tick time.Duration
	// LeaseTTL is the lifetime of a lease; zero means DefaultLeaseTTL.
	LeaseTTL time.Duration
	// LeaseKeyPrefix starts the lease keys; empty means
	// DefaultLeaseKeyPrefix. All instances must use the same prefix.
	LeaseKeyPrefix string
	// Now is the clock that decides which providers are due; nil means
	// time.Now. Give the providers app the same clock.
	Now func() time.Time
}

// Scheduler starts due scheduled syncs. It is safe for concurrent use.
type Scheduler struct {
	providers   Providers
	rdb         redis.UniversalClient
	logger      zerolog.Logger
	tick        time.Duration
	leaseTTL    time.Duration
	leasePrefix string
	now         func() time.Time
}

// New returns a Scheduler with opts.
func New(opts Options) *Scheduler {
	scheduler := &Scheduler{
		providers:   opts.Providers,
		rdb:         opts.Redis,
		logger:      opts.Logger,
		tick:        opts.Tick,
		leaseTTL:    opts.LeaseTTL,
		leasePrefix: opts.LeaseKeyPrefix,
		now:         opts.Now,
	}
	if scheduler.leasePrefix == "" {
		scheduler.leasePrefix = DefaultLeaseKeyPrefix
	}
	if scheduler.tick <= 0 {
		scheduler.tick = DefaultTick
	}
	if scheduler.leaseTTL <= 0 {
		scheduler.leaseTTL = DefaultLeaseTTL
	}
	if scheduler.now == nil {
		scheduler.now = time.Now
	}
	return scheduler
}

// Run makes a pass at once and then every tick until ctx ends. A failed
// pass is logged and the next one runs as planned. It returns nil when ctx
// ends.
func (s *Scheduler) Run(ctx context.Context) error {
	s.logger.Info().Dur("tick", s.tick).Msg("sync scheduler started")
	ticker := time.NewTicker(s.tick)
	defer ticker.Stop()
	for {
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.logger.Error().Err(err).Msg("scheduled sync pass failed")
		}
		select {
		case <-ctx.Done():
			s.logger.Info().Msg("sync scheduler stopped")
			return nil
		case <-ticker.C:
		}
	}
}

// RunOnce reads every provider's schedule from the event store and starts
// the syncs that are due. It returns the ids of the syncs it started, and
// the errors of single providers joined into one.
func (s *Scheduler) RunOnce(ctx context.Context) ([]string, error) {
	schedules, err := s.providers.SyncSchedules(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var started []string
	var errs []error
	for _, schedule := range schedules {
		if !schedule.Due(now) {
			continue
		}
		syncID, err := s.startIfDue(ctx, schedule.Slug)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if syncID != "" {
			started = append(started, syncID)
		}
	}
	return started, errors.Join(errs...)
}

// startIfDue takes the provider's lease and calls StartScheduledSync,
// which starts a sync if one is still due. It returns "" when another scheduler
// holds the lease or the aggregate rejected the start.
func (s *Scheduler) startIfDue(ctx context.Context, slug string) (string, error) {
	logger := s.logger.With().Str("provider", slug).Logger()
	held, err := acquireLease(ctx, s.rdb, s.LeaseKey(slug), s.leaseTTL)
	switch {
	case err != nil:
		// The aggregate alone still starts one sync at most, so Redis
		// being down costs a wasted load and append attempt at worst.
		logger.Warn().Err(err).Msg("scheduling lease unavailable, deciding on the event store alone")
	case held == nil:
		logger.Debug().Msg("scheduled sync skipped because another scheduler has the lease")
		return "", nil
	default:
		defer s.release(ctx, logger, held)
	}

	syncID, _, err := s.providers.StartScheduledSync(esrepo.WithActor(ctx, Actor), slug)
	switch {
	case err == nil:
		return syncID, nil
	case errors.Is(err, providersapp.ErrSyncNotDue),
		errors.Is(err, domain.ErrSyncRunning),
		errors.Is(err, esrepo.ErrConflict):
		// Another instance or an admin started a sync meanwhile.
		logger.Debug().Err(err).Msg("scheduled sync not started")
		return "", nil
	default:
		return "", err
	}
}

// LeaseKey returns the Redis key of the lease that a scheduler holds while
// it decides whether to start a scheduled sync of the provider with slug.
func (s *Scheduler) LeaseKey(slug string) string { return s.leasePrefix + slug }

func (s *Scheduler) release(ctx context.Context, logger zerolog.Logger, held *lease) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	released, err := held.release(ctx)
	if err != nil {
		logger.Warn().Err(err).Dur("lease_ttl", s.leaseTTL).Msg("release scheduling lease failed, so it expires on its own")
		return
	}
	if !released {
		logger.Warn().Dur("lease_ttl", s.leaseTTL).Msg("scheduling lease expired before release; raise the lease TTL if this repeats")
	}
}
