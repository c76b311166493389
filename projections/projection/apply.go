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
// handler arrive one at a time and in log order. kick wakes the generation's
// idle checkpoint flusher.
func (r *Runner) handleFunc(genCtx context.Context, w *worker, generation uint64, kick chan<- struct{}) message.NoPublishHandlerFunc {
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
		if err := r.process(genCtx, w, generation, ev); err != nil {
			return err
		}
		r.afterIgnored(genCtx, w, generation, kick)
		return nil
	}
}

// process applies ev with retries, then parks it when the projector keeps
// failing. A Redis failure is never parked: the message is nacked and
// delivered again. An event for which Apply queues no write needs no
// transaction: only the in-memory checkpoint moves, and the stored one
// follows lazily (see afterIgnored).
func (r *Runner) process(ctx context.Context, w *worker, generation uint64, ev Event) error {
	r.count(w, &w.read)
	policy := r.opts.Retry
	backoff := policy.InitialBackoff

	var lastErr error
	for attempt := 1; ; attempt++ {
		persisted, err := r.applyAndCommit(ctx, w, ev)
		if err == nil {
			r.advance(w, ev.Position, persisted, &w.applied)
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
	return r.park(ctx, w, generation, ev, projectorErr.err)
}

// applyAndCommit calls Apply and commits its writes with the checkpoint. It
// reports false, and touches no Redis key, when Apply queued no write.
// Apply reads committed state before the checkpoint is watched. That is
// safe because every write to a read model also writes its checkpoint. A
// change between the read and the commit therefore shows as a moved or
// missing checkpoint, and the commit fails.
func (r *Runner) applyAndCommit(ctx context.Context, w *worker, ev Event) (bool, error) {
	pipe := r.rdb.TxPipeline()
	if err := applySafely(ctx, w.projector, r.rdb, pipe, ev); err != nil {
		return false, err
	}
	if pipe.Len() == 0 {
		return false, nil
	}
	if err := r.commit(ctx, w, r.storedCheckpoint(w), ev.Position, pipe.Cmds()); err != nil {
		return false, err
	}
	return true, nil
}

// applySafely calls Apply and turns a panic into an error, so that a
// panicking projector parks the event instead of redelivering it forever.
func applySafely(ctx context.Context, p Projector, rdb redis.Cmdable, pipe redis.Pipeliner, ev Event) (err error) {
	defer func() {
		if recovered := recover(); recovered != nil {
			err = &applyError{fmt.Errorf("apply panicked: %v", recovered)}
		}
	}()
	if err := p.Apply(ctx, rdb, pipe, ev); err != nil {
		return &applyError{err}
	}
	return nil
}

// park stores ev in the parked list and moves the checkpoint past it, in one
// MULTI/EXEC.
func (r *Runner) park(ctx context.Context, w *worker, generation uint64, ev Event, cause error) error {
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

	push := redis.NewIntCmd(ctx, "rpush", w.parkedKey, record)
	err = r.commit(ctx, w, r.storedCheckpoint(w), ev.Position, []redis.Cmder{push})
	if err != nil {
		if r.restartOnConflict(w, generation, err) {
			<-ctx.Done()
			return ctx.Err()
		}
		return fmt.Errorf("park event %d of projector %s: %w", ev.Position, w.name, err)
	}

	w.logger.Error().Err(cause).Uint64("position", ev.Position).Str("event_type", ev.Type).
		Str("event_id", ev.ID).Str("stream", ev.Stream).Msg("parked event after retries")
	r.advance(w, ev.Position, true, &w.parked)
	return nil
}

// commit runs the queued writes and sets the checkpoint to position in one
// MULTI/EXEC, provided the stored checkpoint still equals expected. It takes
// two round trips: WATCH and GET of the checkpoint in one, so that a change
// made before the WATCH shows in the GET and one made after it aborts EXEC,
// then MULTI, the writes, SET and EXEC in the other.
func (r *Runner) commit(ctx context.Context, w *worker, expected, position uint64, queued []redis.Cmder) error {
	return r.rdb.Watch(ctx, func(tx *redis.Tx) error {
		var watch *redis.Cmd
		var stored *redis.StringCmd
		_, err := tx.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			watch = pipe.Do(ctx, "watch", w.checkpointKey)
			stored = pipe.Get(ctx, w.checkpointKey)
			return nil
		})
		// The WATCH went out through Do, so Tx.Close does not know about it:
		// every path that ends before EXEC has run releases it here.
		watched := true
		defer func() {
			if watched {
				_ = tx.Unwatch(ctx).Err()
			}
		}()
		if err := watch.Err(); err != nil {
			return fmt.Errorf("watch checkpoint %s: %w", w.checkpointKey, err)
		}
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("read checkpoint %s: %w", w.checkpointKey, err)
		}
		current, err := stored.Uint64()
		switch {
		case errors.Is(err, redis.Nil):
			return errCheckpointMissing
		case err != nil:
			return fmt.Errorf("read checkpoint %s: %w", w.checkpointKey, err)
		case current != expected:
			return &checkpointMovedError{stored: current, expected: expected}
		}

		pipe := tx.TxPipeline()
		if err := pipe.BatchProcess(ctx, queued...); err != nil {
			return err
		}
		pipe.Set(ctx, w.checkpointKey, position, 0)
		_, err = pipe.Exec(ctx)
		// EXEC releases the watch when it ran: committed, aborted by the
		// watch (TxFailedErr) or discarded (EXECABORT).
		watched = err != nil && !errors.Is(err, redis.TxFailedErr) && !redis.IsExecAbortError(err)
		return err
	})
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

// advance moves the in-memory checkpoint to position, and the stored one too
// when persisted.
func (r *Runner) advance(w *worker, position uint64, persisted bool, counter *uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w.checkpoint = position
	if persisted {
		w.stored = position
	}
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
