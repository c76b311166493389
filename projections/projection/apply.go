package projection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/redis/go-redis/v9"
)

// ParkedEvent is an event a projector could not apply. The runner parks it
// after its retries, so the events after it still apply.
type ParkedEvent struct {
	Position uint64    `json:"position"`
	EventID  string    `json:"event_id"`
	Type     string    `json:"type"`
	Stream   string    `json:"stream"`
	Error    string    `json:"error"`
	At       time.Time `json:"at"`
}

var errCheckpointMissing = errors.New("checkpoint key missing")

// checkpointMovedError reports a stored checkpoint that differs from the
// runner's, because another writer or a restored Redis snapshot changed it.
type checkpointMovedError struct {
	stored, expected uint64
}

func (e *checkpointMovedError) Error() string {
	return fmt.Sprintf("stored checkpoint %d differs from expected %d", e.stored, e.expected)
}

// applyError is an error of the projector, as opposed to one of Redis. Only
// projector errors park an event.
type applyError struct{ err error }

func (e *applyError) Error() string { return e.err.Error() }
func (e *applyError) Unwrap() error { return e.err }

// handleFunc returns the Watermill handler of one generation of w. The
// subscriber delivers the next message only after an ack, so messages of one
// handler arrive one at a time and in log order.
func (r *Runner) handleFunc(genCtx context.Context, w *worker, generation uint64) message.NoPublishHandlerFunc {
	return func(msg *message.Message) error {
		ev, err := DecodeMessage(msg)
		if err != nil {
			// Without a position the event can be neither checkpointed nor
			// parked, and a nack would redeliver it forever.
			w.logger.Error().Err(err).Str("event_id", msg.UUID).Msg("dropped undecodable message")
			return nil
		}

		w.applyMu.Lock()
		defer w.applyMu.Unlock()
		if err := genCtx.Err(); err != nil {
			return err
		}

		r.mu.Lock()
		checkpoint := w.checkpoint
		r.mu.Unlock()
		if ev.Position <= checkpoint {
			// Redelivered or replayed: it is already in the read model.
			w.logger.Trace().Uint64("position", ev.Position).Msg("skipped event at or below checkpoint")
			return nil
		}
		return r.process(genCtx, w, generation, checkpoint, ev)
	}
}

// process applies ev with retries, then parks it when the projector keeps
// failing. A Redis failure is never parked: the message is nacked and
// delivered again.
func (r *Runner) process(ctx context.Context, w *worker, generation, checkpoint uint64, ev Event) error {
	r.count(w, &w.read)
	policy := r.opts.Retry
	backoff := policy.InitialBackoff
	apply := func(tx *redis.Tx, pipe redis.Pipeliner) error {
		return applySafely(ctx, w.projector, tx, pipe, ev)
	}

	var lastErr error
	for attempt := 1; ; attempt++ {
		err := r.commit(ctx, w, checkpoint, ev.Position, apply)
		if err == nil {
			r.advance(w, ev.Position, &w.applied)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if r.restartOnConflict(w, generation, err) {
			<-ctx.Done() // the restart cancels this generation
			return ctx.Err()
		}

		lastErr = err
		r.setFailing(w, true)
		if attempt >= policy.Attempts {
			break
		}
		w.logger.Warn().Err(err).Uint64("position", ev.Position).Str("event_type", ev.Type).
			Int("attempt", attempt).Dur("backoff", backoff).Msg("retrying event")
		if !sleepCtx(ctx, backoff) {
			return ctx.Err()
		}
		backoff = min(2*backoff, policy.MaxBackoff)
	}

	var projectorErr *applyError
	if !errors.As(lastErr, &projectorErr) {
		return fmt.Errorf("commit event %d of projector %s: %w", ev.Position, w.name, lastErr)
	}
	return r.park(ctx, w, generation, checkpoint, ev, projectorErr.err)
}

// applySafely calls Apply and turns a panic into an error, so that a
// panicking projector parks the event instead of redelivering it forever.
func applySafely(ctx context.Context, p Projector, tx *redis.Tx, pipe redis.Pipeliner, ev Event) (err error) {
	defer func() {
		if recovered := recover(); recovered != nil {
			err = &applyError{fmt.Errorf("apply panicked: %v", recovered)}
		}
	}()
	if err := p.Apply(ctx, tx, pipe, ev); err != nil {
		return &applyError{err}
	}
	return nil
}

// park stores ev in the parked list and moves the checkpoint past it, in one
// MULTI/EXEC.
func (r *Runner) park(ctx context.Context, w *worker, generation, checkpoint uint64, ev Event, cause error) error {
	record, err := json.Marshal(ParkedEvent{
		Position: ev.Position,
		EventID:  ev.ID,
		Type:     ev.Type,
		Stream:   ev.Stream,
		Error:    cause.Error(),
		At:       time.Now().UTC(),
	})
	if err != nil {
		return fmt.Errorf("encode parked event %d: %w", ev.Position, err)
	}

	err = r.commit(ctx, w, checkpoint, ev.Position, func(_ *redis.Tx, pipe redis.Pipeliner) error {
		pipe.RPush(ctx, w.parkedKey, record)
		return nil
	})
	if err != nil {
		if r.restartOnConflict(w, generation, err) {
			<-ctx.Done()
			return ctx.Err()
		}
		return fmt.Errorf("park event %d of projector %s: %w", ev.Position, w.name, err)
	}

	w.logger.Error().Err(cause).Uint64("position", ev.Position).Str("event_type", ev.Type).
		Str("event_id", ev.ID).Str("stream", ev.Stream).Msg("parked event after retries")
	r.advance(w, ev.Position, &w.parked)
	return nil
}

// commit runs write and sets the checkpoint to position in one MULTI/EXEC,
// provided the stored checkpoint still equals expected. WATCH makes EXEC
// fail when the checkpoint key changes or is flushed meanwhile.
func (r *Runner) commit(
	ctx context.Context,
	w *worker,
	expected uint64,
	position uint64,
	write func(tx *redis.Tx, pipe redis.Pipeliner) error,
) error {
	return r.rdb.Watch(ctx, func(tx *redis.Tx) error {
		stored, err := tx.Get(ctx, w.checkpointKey).Uint64()
		switch {
		case errors.Is(err, redis.Nil):
			return errCheckpointMissing
		case err != nil:
			return fmt.Errorf("read checkpoint %s: %w", w.checkpointKey, err)
		case stored != expected:
			return &checkpointMovedError{stored: stored, expected: expected}
		}

		_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			if err := write(tx, pipe); err != nil {
				return err
			}
			pipe.Set(ctx, w.checkpointKey, position, 0)
			return nil
		})
		return err
	}, w.checkpointKey)
}

// restartOnConflict requests a restart when err shows that the stored
// checkpoint is gone or moved, and reports whether it did.
func (r *Runner) restartOnConflict(w *worker, generation uint64, err error) bool {
	var moved *checkpointMovedError
	switch {
	case errors.Is(err, errCheckpointMissing):
		w.logger.Warn().Str("key", w.checkpointKey).Msg("checkpoint key missing, rebuilding from position 0")
		w.requestRestart(restartRequest{fromZero: true, generation: generation, reason: "checkpoint key missing"})
		return true
	case errors.As(err, &moved):
		w.logger.Warn().Err(err).Msg("checkpoint moved, resubscribing after the stored checkpoint")
		w.requestRestart(restartRequest{generation: generation, reason: "checkpoint moved"})
		return true
	default:
		return false
	}
}

func (r *Runner) advance(w *worker, position uint64, counter *uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w.checkpoint = position
	w.failing = false
	*counter++
	if !w.caughtUp && position >= w.startHead {
		w.caughtUp = true
		w.rebuilding = false
		w.logger.Info().Uint64("checkpoint", position).Msg("projector caught up")
	}
	r.broadcast()
}

func (r *Runner) count(w *worker, counter *uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*counter++
}

func (r *Runner) setFailing(w *worker, failing bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w.failing = failing
}
