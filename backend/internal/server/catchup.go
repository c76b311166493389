package server

import (
	"context"
	"time"

	"esimscan/backend/internal/platform/apperr"
)

// catchUpTimeout bounds how long a request waits for lagging read models.
const catchUpTimeout = 3 * time.Second

// catchUp waits until the named read models have applied the whole log as
// it is now, or returns a 503 error asking the caller to retry. Requests
// that must not act on stale state (pricing an order, finding a sync that
// was just started) call it after a restart or during a rebuild.
//
// NOTE: with EventStoreDB, Head must be the position of an event the
// projectors receive; a system event at the head would make this time out.
func (s *Server) catchUp(ctx context.Context, projectors ...string) error {
	head, err := s.store.Head(ctx)
	if err != nil {
		return err
	}
	waitCtx, cancel := context.WithTimeout(ctx, catchUpTimeout)
	defer cancel()
	if err := s.runner.WaitFor(waitCtx, uint64(head), projectors...); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &apperr.Error{
			Kind:       apperr.KindUnavailable,
			Code:       "catching_up",
			Message:    "the store is still loading its catalog and orders after a restart or rebuild; try again in a few seconds",
			RetryAfter: 5 * time.Second,
		}
	}
	return nil
}
