package projection

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// ReplayReport sums up a ReplayAll run.
type ReplayReport struct {
	// Head is the source position the replay ran up to.
	Head uint64
	// EventsRead is the number of log events up to Head, as read by the
	// projector that read the most (every projector reads the whole log).
	EventsRead uint64
	Projectors []ReplayedProjector
	Duration   time.Duration
}

// ReplayedProjector is one projector's part of a ReplayReport. Applied
// counts events committed without error, including events of types the
// projector ignores, and Parked the events it failed to apply.
type ReplayedProjector struct {
	Name    string
	Read    uint64
	Applied uint64
	Parked  uint64
}

// ReplayAll drops the read models of projectors and rebuilds them from the
// log up to its current head, then stops. It is meant for the CLI with the
// server stopped: a running server writing the same keys would race it.
// A parked event does not fail the replay, and the report counts it.
func ReplayAll(
	ctx context.Context,
	rdb redis.UniversalClient,
	source Source,
	logger zerolog.Logger,
	projectors ...Projector,
) (ReplayReport, error) {
	began := time.Now()
	runner, err := NewRunner(rdb, source, logger, projectors...)
	if err != nil {
		return ReplayReport{}, fmt.Errorf("replay: %w", err)
	}
	// Deleting the checkpoints makes Run drop each read model and start
	// from position 0.
	for _, w := range runner.workers {
		if err := rdb.Del(ctx, w.checkpointKey).Err(); err != nil {
			return ReplayReport{}, fmt.Errorf("replay: delete checkpoint %s: %w", w.checkpointKey, err)
		}
	}
	head, err := source.Head(ctx)
	if err != nil {
		return ReplayReport{}, fmt.Errorf("replay: read source head: %w", err)
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	runDone := make(chan error, 1)
	go func() { runDone <- runner.Run(runCtx) }()

	waitErr := waitForRunner(runCtx, runner, head, runDone)
	cancel()
	if runErr := <-runDone; waitErr == nil && runErr != nil {
		waitErr = runErr
	}
	if waitErr != nil {
		return ReplayReport{}, fmt.Errorf("replay to position %d: %w", head, waitErr)
	}
	return runner.replayReport(head, time.Since(began)), nil
}

// waitForRunner waits until runner reaches head, or returns the error that
// ended Run first.
func waitForRunner(ctx context.Context, runner *Runner, head uint64, runDone chan error) error {
	waitDone := make(chan error, 1)
	go func() { waitDone <- runner.WaitFor(ctx, head) }()
	select {
	case err := <-waitDone:
		return err
	case err := <-runDone:
		// Hand the result back for the caller, which reads runDone too.
		runDone <- err
		if err == nil {
			err = errors.New("runner stopped before reaching the head")
		}
		return err
	}
}

func (r *Runner) replayReport(head uint64, took time.Duration) ReplayReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	report := ReplayReport{Head: head, Duration: took}
	for _, w := range r.workers {
		report.EventsRead = max(report.EventsRead, w.read)
		report.Projectors = append(report.Projectors, ReplayedProjector{
			Name:    w.name,
			Read:    w.read,
			Applied: w.applied,
			Parked:  w.parked,
		})
	}
	return report
}
