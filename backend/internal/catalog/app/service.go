// Package app runs the catalog's commands: applying a provider sync to the
// catalog-<slug> stream and an admin's changes to one package.
package app

import (
	"context"
	"fmt"

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
type Service struct {
	repo   *esrepo.Repository
	logger zerolog.Logger
}

// Deps lists the dependencies of a Service.
type Deps struct {
	Repo   *esrepo.Repository
	Logger zerolog.Logger
}

// NewService returns a Service that stores events through deps.Repo.
func NewService(deps Deps) *Service {
	return &Service{repo: deps.Repo, logger: deps.Logger}
}

// load rebuilds the catalog of slug and returns the revision to append at.
func (s *Service) load(ctx context.Context, slug string) (*domain.Catalog, eventstore.ExpectedRevision, error) {
	catalog := domain.New(slug)
	expected, err := s.repo.Load(ctx, domain.StreamName(slug), func(recorded eventstore.RecordedEvent) error {
		event, known, err := domain.Decode(recorded.Type, recorded.Data)
		if err != nil || !known {
			return err
		}
		catalog.Apply(event)
		return nil
	})
	if err != nil {
		return nil, eventstore.ExpectedRevision{}, fmt.Errorf("load catalog %s: %w", slug, err)
	}
	return catalog, expected, nil
}

// SyncRecord returns the counts that the CatalogSynced marker of syncID
// recorded, and false when the catalog holds no marker for it. Only the
// most recent sync's marker is consulted, because a sync that is still
// running is always the latest one.
func (s *Service) SyncRecord(ctx context.Context, slug, syncID string) (SyncCounts, bool, error) {
	catalog, _, err := s.load(ctx, slug)
	if err != nil {
		return SyncCounts{}, false, err
	}
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
