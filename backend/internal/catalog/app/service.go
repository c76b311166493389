// Package app runs the catalog's commands: applying a provider sync to the
// catalog-<slug> stream and an admin's changes to one package.
package app

import (
	"context"
	"fmt"
	"sync"

	"github.com/rs/zerolog"

	"esimscan/backend/internal/catalog/domain"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/esrepo"
)

// maxAppendAttempts bounds the reload-and-retry loop after a concurrent
// append to the same catalog stream.
const maxAppendAttempts = 5

// SyncCounts are the package counts of one sync.
type SyncCounts = domain.SyncCounts

// Service runs catalog commands. It is safe for concurrent use.
//
// It keeps the last catalog state it loaded or wrote per provider, with the
// stream revision it reflects, so that the next command reads only the
// events appended since instead of the whole stream.
type Service struct {
	repo   *esrepo.Repository
	logger zerolog.Logger

	mu     sync.Mutex
	states map[string]keptCatalog // by provider slug
}

// keptCatalog is a catalog state and the revision of the last event it
// reflects.
type keptCatalog struct {
	catalog  *domain.Catalog
	revision eventstore.Revision
}

// Deps lists the dependencies of a Service.
type Deps struct {
	Repo   *esrepo.Repository
	Logger zerolog.Logger
}

// NewService returns a Service that stores events through deps.Repo.
func NewService(deps Deps) *Service {
	return &Service{repo: deps.Repo, logger: deps.Logger, states: map[string]keptCatalog{}}
}

// load rebuilds the catalog of slug and returns the revision to append at.
// It takes the kept state of slug, if any, and reads only the events after
// it. The caller owns the returned catalog and hands it back with keep.
func (s *Service) load(ctx context.Context, slug string) (*domain.Catalog, eventstore.ExpectedRevision, error) {
	catalog, from := s.take(slug)
	apply := func(recorded eventstore.RecordedEvent) error {
		event, known, err := domain.Decode(recorded.Type, recorded.Data)
		if err != nil || !known {
			return err
		}
		catalog.Apply(event)
		return nil
	}
	expected, err := s.repo.LoadFrom(ctx, domain.StreamName(slug), from, apply)
	if err != nil && from > 0 {
		s.logger.Warn().Err(err).Str("provider", slug).Msg("catalog catch-up read failed; reading the whole stream")
		catalog, from = domain.New(slug), 0
		expected, err = s.repo.LoadFrom(ctx, domain.StreamName(slug), from, apply)
	}
	if err != nil {
		return nil, eventstore.ExpectedRevision{}, fmt.Errorf("load catalog %s: %w", slug, err)
	}
	return catalog, expected, nil
}

// take removes the kept state of slug and returns it with the revision to
// read on from, or an empty catalog and 0.
func (s *Service) take(slug string) (*domain.Catalog, eventstore.Revision) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept, found := s.states[slug]
	if !found {
		return domain.New(slug), 0
	}
	delete(s.states, slug)
	return kept.catalog, kept.revision + 1
}

// keep stores catalog as the state of its provider at stream revision
// revision. A catalog of an empty stream is not kept: it costs nothing to
// load.
func (s *Service) keep(catalog *domain.Catalog, revision eventstore.ExpectedRevision) {
	last, exact := revision.ExactRevision()
	if !exact {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.states[catalog.Slug()] = keptCatalog{catalog: catalog, revision: last}
}

// SyncRecord returns the counts that the CatalogSynced marker of syncID
// recorded, and false when the catalog holds no marker for it. Only the
// most recent sync's marker is consulted, because a sync that is still
// running is always the latest one.
func (s *Service) SyncRecord(ctx context.Context, slug, syncID string) (SyncCounts, bool, error) {
	catalog, expected, err := s.load(ctx, slug)
	if err != nil {
		return SyncCounts{}, false, err
	}
	defer s.keep(catalog, expected)
	if last := catalog.LastSync(); last != nil && last.SyncID == syncID {
		return last.Counts, true, nil
	}
	return SyncCounts{}, false, nil
}

func toRepoEvents(events []domain.Event) []esrepo.Event {
	converted := make([]esrepo.Event, len(events))
	for i, event := range events {
		converted[i] = event
	}
	return converted
}
