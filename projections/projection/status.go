package projection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Values of ProjectorStatus.Status.
const (
	StatusRunning    = "running"    // following the log
	StatusRebuilding = "rebuilding" // replaying from position 0 and not caught up yet
	StatusStopped    = "stopped"    // Run is not running
	StatusFailing    = "failing"    // the current event failed its last attempt and is being retried
)

// MaxParkedShown is the number of parked events Status lists per projector,
// the most recent ones. ParkedCount gives the total.
const MaxParkedShown = 100

// ProjectorStatus is one projector's progress, as the admin API shows it.
type ProjectorStatus struct {
	Name       string `json:"name"`
	Checkpoint uint64 `json:"checkpoint"`
	// Lag is the source head minus the checkpoint, or 0 when the
	// checkpoint is ahead.
	Lag         uint64        `json:"lag"`
	Status      string        `json:"status"`
	Parked      []ParkedEvent `json:"parked"`
	ParkedCount int           `json:"parked_count"`
}

// Status returns every projector's stored checkpoint, lag, state and parked
// events, in the order the projectors were given to NewRunner.
func (r *Runner) Status(ctx context.Context) ([]ProjectorStatus, error) {
	head, err := r.source.Head(ctx)
	if err != nil {
		return nil, fmt.Errorf("read source head: %w", err)
	}

	type reads struct {
		checkpoint *redis.StringCmd
		count      *redis.IntCmd
		parked     *redis.StringSliceCmd
	}
	cmds := make([]reads, len(r.workers))
	_, err = r.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, w := range r.workers {
			cmds[i] = reads{
				checkpoint: pipe.Get(ctx, w.checkpointKey),
				count:      pipe.LLen(ctx, w.parkedKey),
				parked:     pipe.LRange(ctx, w.parkedKey, -MaxParkedShown, -1),
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read projector status: %w", err)
	}

	statuses := make([]ProjectorStatus, len(r.workers))
	for i, w := range r.workers {
		checkpoint, err := cmds[i].checkpoint.Uint64()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("read checkpoint %s: %w", w.checkpointKey, err)
		}
		if err == nil {
			// The stored checkpoint lags while the projector ignores events.
			checkpoint = max(checkpoint, r.liveCheckpoint(w))
		}
		parked, err := decodeParked(cmds[i].parked.Val())
		if err != nil {
			return nil, fmt.Errorf("read parked events %s: %w", w.parkedKey, err)
		}
		statuses[i] = ProjectorStatus{
			Name:        w.name,
			Checkpoint:  checkpoint,
			Lag:         head - min(head, checkpoint),
			Status:      r.state(w),
			Parked:      parked,
			ParkedCount: int(cmds[i].count.Val()),
		}
	}
	return statuses, nil
}

func decodeParked(records []string) ([]ParkedEvent, error) {
	parked := make([]ParkedEvent, 0, len(records))
	for _, record := range records {
		var p ParkedEvent
		if err := json.Unmarshal([]byte(record), &p); err != nil {
			return nil, fmt.Errorf("decode parked event: %w", err)
		}
		parked = append(parked, p)
	}
	return parked, nil
}

// liveCheckpoint returns w's in-memory checkpoint while its handler runs,
// and 0 otherwise.
func (r *Runner) liveCheckpoint(w *worker) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.running || w.restarting {
		return 0
	}
	return w.checkpoint
}

func (r *Runner) state(w *worker) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case !r.running:
		return StatusStopped
	case w.failing:
		return StatusFailing
	case w.rebuilding:
		return StatusRebuilding
	default:
		return StatusRunning
	}
}

// Ready reports whether Run is running, no projector is rebuilding or
// restarting, and each one has reached the source head at least once since
// it last started.
func (r *Runner) Ready(ctx context.Context) (bool, error) {
	head, err := r.source.Head(ctx)
	if err != nil {
		return false, fmt.Errorf("read source head: %w", err)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.running {
		return false, nil
	}
	ready := true
	for _, w := range r.workers {
		if !w.caughtUp && !w.restarting && w.checkpoint >= head {
			w.caughtUp = true
			w.rebuilding = false
		}
		if !w.caughtUp || w.rebuilding || w.restarting {
			ready = false
		}
	}
	return ready, nil
}

// WaitFor blocks until the checkpoints of the named projectors, all of them
// when names is empty, are at or past position, so that a caller reads its
// own write. It returns an error wrapping ctx.Err() when ctx ends first,
// and ErrUnknownProjector for a name the runner does not have.
func (r *Runner) WaitFor(ctx context.Context, position uint64, names ...string) error {
	workers, err := r.lookup(names)
	if err != nil {
		return fmt.Errorf("wait for position %d: %w", position, err)
	}
	for {
		r.mu.Lock()
		reached := true
		for _, w := range workers {
			if w.restarting || w.checkpoint < position {
				reached = false
				break
			}
		}
		changed := r.changed
		r.mu.Unlock()

		if reached {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("wait for position %d: %w", position, ctx.Err())
		}
	}
}

// Rebuild drops and rebuilds the read models of the named projectors, all of
// them when names is empty, while the others keep running. It returns once
// each named projector has its keys dropped and follows the log from
// position 0 again. Ready reports false until they have caught up.
func (r *Runner) Rebuild(ctx context.Context, names ...string) error {
	workers, err := r.lookup(names)
	if err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	r.mu.Lock()
	running := r.running
	r.mu.Unlock()
	if !running {
		return fmt.Errorf("rebuild: %w", ErrNotRunning)
	}

	results := make([]chan error, len(workers))
	for i, w := range workers {
		results[i] = make(chan error, 1)
		req := restartRequest{fromZero: true, reason: "rebuild requested", done: results[i]}
		select {
		case w.restarts <- req:
		case <-ctx.Done():
			return fmt.Errorf("rebuild %s: %w", w.name, ctx.Err())
		case <-r.done:
			return fmt.Errorf("rebuild %s: %w", w.name, ErrNotRunning)
		}
	}

	var errs []error
	for i, w := range workers {
		select {
		case err := <-results[i]:
			if err != nil {
				errs = append(errs, fmt.Errorf("rebuild %s: %w", w.name, err))
			}
		case <-ctx.Done():
			return fmt.Errorf("rebuild %s: %w", w.name, ctx.Err())
		case <-r.done:
			return fmt.Errorf("rebuild %s: %w", w.name, ErrNotRunning)
		}
	}
	return errors.Join(errs...)
}
