// Package reactor runs process managers: handlers that react to events in
// the log by issuing commands, such as running a sync after SyncStarted or
// provisioning an eSIM after OrderPaid.
//
// A reaction reads the whole log from the start every time the process
// starts, so background work survives restarts. Handlers must therefore be
// idempotent: each one loads the aggregate it acts on and does nothing when
// the work is already done.
package reactor

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"esimscan/backend/internal/eventstore"
)

// Handler reacts to one event. It must return quickly; long work runs in a
// goroutine the handler starts and tracks.
type Handler func(ctx context.Context, event eventstore.RecordedEvent) error

// Reaction is a named handler for some event types.
type Reaction struct {
	Name       string
	EventTypes []string
	Handle     Handler
}

// Attempts is how often a failing handler is called for one event before
// the event is logged as skipped.
const Attempts = 5

// Run follows the log from its first event and calls every reaction for
// the events it handles, in log order, until ctx ends. Each reaction has its
// own subscription, so a slow one does not hold up the others.
func Run(ctx context.Context, store eventstore.Store, logger zerolog.Logger, reactions ...Reaction) error {
	errs := make(chan error, len(reactions))
	for _, reaction := range reactions {
		go func() { errs <- runOne(ctx, store, logger.With().Str("reaction", reaction.Name).Logger(), reaction) }()
	}
	var first error
	for range reactions {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

func runOne(ctx context.Context, store eventstore.Store, logger zerolog.Logger, reaction Reaction) error {
	wanted := make(map[string]bool, len(reaction.EventTypes))
	for _, eventType := range reaction.EventTypes {
		wanted[eventType] = true
	}
	subscription, err := store.SubscribeAll(ctx, 0)
	if err != nil {
		return err
	}
	defer subscription.Close()
	logger.Info().Msg("reaction started")
	for event := range subscription.Events() {
		if !wanted[event.Type] {
			continue
		}
		handleWithRetry(ctx, logger, reaction, event)
	}
	err = subscription.Err()
	if ctx.Err() != nil || errors.Is(err, eventstore.ErrClosed) {
		logger.Info().Msg("reaction stopped")
		return nil
	}
	return err
}

func handleWithRetry(ctx context.Context, logger zerolog.Logger, reaction Reaction, event eventstore.RecordedEvent) {
	backoff := 100 * time.Millisecond
	for attempt := 1; attempt <= Attempts; attempt++ {
		err := reaction.Handle(ctx, event)
		if err == nil {
			return
		}
		eventLogger := logger.With().Uint64("position", uint64(event.Position)).
			Str("event_type", event.Type).Str("stream", event.Stream).Int("attempt", attempt).Logger()
		if attempt == Attempts {
			eventLogger.Error().Err(err).Msg("reaction failed; event skipped until the next start")
			return
		}
		eventLogger.Warn().Err(err).Dur("retry_in", backoff).Msg("reaction failed; retrying")
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}
