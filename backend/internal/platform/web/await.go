package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/esrepo"
)

// Waiter blocks until read models have applied the log up to a position.
type Waiter interface {
	WaitFor(ctx context.Context, position uint64, projectors ...string) error
}

// ReadYourWritesTimeout bounds how long a command's response waits for the
// read models to show the command's own events.
const ReadYourWritesTimeout = 3 * time.Second

// AwaitProjection waits, bounded, until the named read models include the
// append in result, so the response and the next page load show the change.
// A timeout is logged, not returned: the command itself has succeeded.
func AwaitProjection(c *fiber.Ctx, waiter Waiter, logger zerolog.Logger, result eventstore.AppendResult, projectors ...string) {
	if result.Position == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), ReadYourWritesTimeout)
	defer cancel()
	if err := waiter.WaitFor(ctx, uint64(result.Position), projectors...); err != nil {
		logger.Warn().Err(err).Uint64("position", uint64(result.Position)).Strs("projectors", projectors).
			Str("request_id", RequestID(c)).Msg("read models lag behind the command; answering with the current view")
	}
}

// CommandContext returns the request's context carrying the actor and the
// request id as correlation id, for command handlers.
func CommandContext(c *fiber.Ctx, actorID string) context.Context {
	ctx := esrepo.WithActor(c.UserContext(), actorID)
	return esrepo.WithCorrelation(ctx, RequestID(c), "")
}
