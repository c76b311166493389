// Package app runs the provider commands: configure, test, sync, enable and
// disable, and the background sync that SyncStarted triggers.
package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	catalogapp "esimscan/backend/internal/catalog/app"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/platform/secrets"
	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/domain"
)

// Defaults and fixed timings of provider work.
const (
	// DefaultSyncBudget is the time a sync may take when Deps.SyncBudget is
	// zero: the API's default of MASTER_ESIM_SYNC_MAX_SECONDS, 1800 s.
	DefaultSyncBudget = 1800 * time.Second
	// TestTimeout is the deadline of the Balance call of a connection test.
	TestTimeout = 20 * time.Second
	// ProgressInterval is the minimum time between SyncProgressed events.
	ProgressInterval = 2 * time.Second
	// finishTimeout bounds the append of a sync's outcome, which runs even
	// after shutdown cancelled the sync.
	finishTimeout = 10 * time.Second
	// maxAppendAttempts bounds the reload-and-decide loop after a
	// concurrent append to the provider stream.
	maxAppendAttempts = 5
)

// ErrNoAdapter reports a provider for which this build has no client.
var ErrNoAdapter = errors.New("no client for this provider in this build")

// Deps lists the dependencies of a Service. Factories maps a slug to the
// constructor of its client. SyncBudget is the time a sync may run, and
// zero means DefaultSyncBudget. TestTimeout is the deadline of a
// connection test's Balance call, and zero means TestTimeout. Now returns
// the time that events record, and nil means time.Now.
type Deps struct {
	Repo        *esrepo.Repository
	Keys        *secrets.Keyring
	Factories   map[string]adapters.Factory
	Catalog     *catalogapp.Service
	Logger      zerolog.Logger
	SyncBudget  time.Duration
	TestTimeout time.Duration
	Now         func() time.Time
}

// Service runs provider commands and syncs. It is safe for concurrent use.
type Service struct {
	repo        *esrepo.Repository
	keys        *secrets.Keyring
	factories   map[string]adapters.Factory
	catalog     *catalogapp.Service
	logger      zerolog.Logger
	syncBudget  time.Duration
	testTimeout time.Duration
	now         func() time.Time

	mu sync.Mutex
	// startedHere holds the ids of syncs that StartSync began in this
	// process and whose run has not begun yet. Only these are run, so a
	// replay of old SyncStarted events after a restart runs nothing.
	startedHere map[string]bool
	// clients caches one client per provider, built from the settings at
	// settingsRevision, so that token caches inside clients survive calls.
	clients map[string]cachedClient
	syncs   sync.WaitGroup
}

type cachedClient struct {
	settingsRevision uint64
	client           adapters.Client
}

// NewService returns a Service using deps.
func NewService(deps Deps) *Service {
	service := &Service{
		repo:        deps.Repo,
		keys:        deps.Keys,
		factories:   deps.Factories,
		catalog:     deps.Catalog,
		logger:      deps.Logger,
		syncBudget:  deps.SyncBudget,
		testTimeout: deps.TestTimeout,
		now:         deps.Now,
		startedHere: map[string]bool{},
		clients:     map[string]cachedClient{},
	}
	if service.syncBudget <= 0 {
		service.syncBudget = DefaultSyncBudget
	}
	if service.testTimeout <= 0 {
		service.testTimeout = TestTimeout
	}
	if service.now == nil {
		service.now = time.Now
	}
	return service
}

// Wait blocks until every sync running in the background has recorded its
// outcome. Cancel the reactions' context first to make running syncs stop.
func (s *Service) Wait() { s.syncs.Wait() }

// load rebuilds the provider with slug and returns the revision to append at.
func (s *Service) load(ctx context.Context, slug string) (*domain.Provider, eventstore.ExpectedRevision, error) {
	provider, err := domain.New(slug)
	if err != nil {
		return nil, eventstore.ExpectedRevision{}, err
	}
	expected, err := s.repo.Load(ctx, domain.StreamName(slug), func(recorded eventstore.RecordedEvent) error {
		event, known, err := domain.Decode(recorded.Type, recorded.Data)
		if err != nil || !known {
			return err
		}
		provider.Apply(event, uint64(recorded.Revision))
		return nil
	})
	if err != nil {
		return nil, eventstore.ExpectedRevision{}, fmt.Errorf("load provider %s: %w", slug, err)
	}
	return provider, expected, nil
}

// execute loads the provider, lets decide return the events of a command and
// appends them. A concurrent append makes it load and decide again, which is
// safe for commands whose outcome depends only on the current state.
func (s *Service) execute(
	ctx context.Context,
	slug string,
	decide func(provider *domain.Provider) ([]domain.Event, error),
) (eventstore.AppendResult, error) {
	for attempt := 1; ; attempt++ {
		provider, expected, err := s.load(ctx, slug)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		events, err := decide(provider)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		result, err := s.repo.Append(ctx, domain.StreamName(slug), expected, toRepoEvents(events)...)
		if err == nil || !errors.Is(err, esrepo.ErrConflict) || attempt == maxAppendAttempts {
			return result, err
		}
	}
}

func toRepoEvents(events []domain.Event) []esrepo.Event {
	converted := make([]esrepo.Event, len(events))
	for i, event := range events {
		converted[i] = event
	}
	return converted
}
