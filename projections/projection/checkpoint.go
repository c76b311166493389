package projection

import (
	"context"
	"time"
)

// storedCheckpoint returns the checkpoint that w last committed to Redis.
// The caller holds w.applyMu, the only lock under which it changes.
func (r *Runner) storedCheckpoint(w *worker) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return w.stored
}

// afterIgnored persists the checkpoint of ignored events lazily. An event
// for which Apply queued no write moves only the in-memory checkpoint, which
// WaitFor and Ready read. The stored checkpoint catches up with the next
// write, inline once it lags CheckpointEvery positions behind, or through
// the idle flusher once no event arrived for CheckpointIdleDelay. Replaying
// ignored events after a crash writes nothing, so the lag never causes a
// double apply. The caller holds w.applyMu.
func (r *Runner) afterIgnored(ctx context.Context, w *worker, generation uint64, kick chan<- struct{}) {
	r.mu.Lock()
	checkpoint, stored := w.checkpoint, w.stored
	r.mu.Unlock()
	if checkpoint <= stored {
		return
	}
	if checkpoint-stored >= uint64(r.opts.CheckpointEvery) {
		r.flushCheckpoint(ctx, w, generation)
		return
	}
	select {
	case kick <- struct{}{}:
	default:
	}
}

// flushIdle stores the checkpoint of generation once its handler has been
// idle for CheckpointIdleDelay, until ctx ends.
func (r *Runner) flushIdle(ctx context.Context, w *worker, generation uint64, kick <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		}
		for {
			r.mu.Lock()
			seen := w.checkpoint
			r.mu.Unlock()
			if !sleepCtx(ctx, r.opts.CheckpointIdleDelay) {
				return
			}
			r.mu.Lock()
			checkpoint, stored := w.checkpoint, w.stored
			r.mu.Unlock()
			if checkpoint <= stored {
				break
			}
			if checkpoint == seen {
				w.applyMu.Lock()
				if ctx.Err() == nil {
					r.flushCheckpoint(ctx, w, generation)
				}
				w.applyMu.Unlock()
				break
			}
		}
	}
}

// flushCheckpoint commits w's in-memory checkpoint when it is ahead of the
// stored one. A failure is logged and left for the next flush or write; a
// missing or moved checkpoint restarts the projector. The caller holds
// w.applyMu and has checked that generation may still write.
func (r *Runner) flushCheckpoint(ctx context.Context, w *worker, generation uint64) {
	r.mu.Lock()
	checkpoint, stored, current := w.checkpoint, w.stored, w.generation
	r.mu.Unlock()
	if current != generation || checkpoint <= stored {
		return
	}
	if err := r.commit(ctx, w, stored, checkpoint, nil); err != nil {
		if ctx.Err() == nil && !r.restartOnConflict(w, generation, err) {
			w.logger.Warn().Err(err).Uint64("checkpoint", checkpoint).Msg("store checkpoint")
		}
		return
	}
	r.mu.Lock()
	if w.generation == generation {
		w.stored = max(w.stored, checkpoint)
	}
	r.mu.Unlock()
}

// flushOnStop stores the checkpoint of every projector after the router has
// stopped, so that a clean stop leaves no ignored events to replay.
func (r *Runner) flushOnStop(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.opts.CloseTimeout)
	defer cancel()
	for _, w := range r.workers {
		w.applyMu.Lock()
		r.mu.Lock()
		restarting, generation := w.restarting, w.generation
		r.mu.Unlock()
		if !restarting {
			r.flushCheckpoint(ctx, w, generation)
		}
		w.applyMu.Unlock()
	}
}

// Defaults of the Options fields of the lazy checkpoint.
const (
	DefaultCheckpointIdleDelay = 5 * time.Millisecond
	DefaultCheckpointEvery     = 1000
)
