package projection_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"esimscan/projections/projection"
)

const (
	typeCounted = "Counted"
	typePoison  = "Poison"
	waitTimeout = 10 * time.Second
)

var errPoison = errors.New("poison event")

// tally is a test projector: for each Counted event it increments a counter
// and appends the event position to a list, so a double apply shows up as a
// repeated position. It fails every Poison event.
type tally struct {
	name string
	gate *gate // when set, Apply waits for it to open
}

func newTally(t *testing.T, role string) *tally {
	return &tally{name: role + "-" + uuid.NewString()[:8]}
}

func (p *tally) Name() string      { return p.name }
func (p *tally) KeyPrefix() string { return "rm:" + p.name + ":" }
func (p *tally) countKey() string  { return p.KeyPrefix() + "count" }
func (p *tally) listKey() string   { return p.KeyPrefix() + "positions" }

func (p *tally) Apply(ctx context.Context, _ redis.Cmdable, tx redis.Pipeliner, ev projection.Event) error {
	if p.gate != nil {
		if err := p.gate.wait(ctx); err != nil {
			return err
		}
	}
	switch ev.Type {
	case typeCounted:
		tx.Incr(ctx, p.countKey())
		tx.RPush(ctx, p.listKey(), ev.Position)
	case typePoison:
		return errPoison
	}
	return nil
}

// positions returns the positions the read model holds, in apply order.
func (p *tally) positions(t *testing.T, rdb redis.UniversalClient) []uint64 {
	t.Helper()
	values, err := rdb.LRange(context.Background(), p.listKey(), 0, -1).Result()
	if err != nil {
		t.Fatalf("read %s: %v", p.listKey(), err)
	}
	positions := make([]uint64, 0, len(values))
	for _, v := range values {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("parse position %q: %v", v, err)
		}
		positions = append(positions, n)
	}
	return positions
}

// gate blocks Apply calls while closed.
type gate struct {
	mu     sync.Mutex
	opened chan struct{}
	isOpen bool
}

func newClosedGate() *gate { return &gate{opened: make(chan struct{})} }

func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.isOpen {
		g.isOpen = true
		close(g.opened)
	}
}

func (g *gate) wait(ctx context.Context) error {
	select {
	case <-g.opened:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func fastOptions() projection.Options {
	return projection.Options{
		Retry:              projection.RetryPolicy{Attempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond},
		FlushCheckInterval: 20 * time.Millisecond,
		CloseTimeout:       2 * time.Second,
	}
}

func testLogger(t *testing.T) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
}

// runningRunner is a Runner whose Run goroutine the test controls.
type runningRunner struct {
	*projection.Runner
	cancel context.CancelFunc
	done   chan error
}

// startRunner runs a Runner until stop or the end of the test.
func startRunner(
	t *testing.T,
	rdb redis.UniversalClient,
	source projection.Source,
	projectors ...projection.Projector,
) *runningRunner {
	t.Helper()
	runner, err := projection.NewRunnerWithOptions(rdb, source, testLogger(t), fastOptions(), projectors...)
	if err != nil {
		t.Fatalf("NewRunnerWithOptions: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rr := &runningRunner{Runner: runner, cancel: cancel, done: make(chan error, 1)}
	go func() { rr.done <- runner.Run(ctx) }()
	t.Cleanup(func() { rr.stop(t) })
	return rr
}

// stop cancels Run and waits for it to return.
func (rr *runningRunner) stop(t *testing.T) {
	t.Helper()
	rr.cancel()
	select {
	case err, ok := <-rr.done:
		if ok && err != nil {
			t.Errorf("Run returned %v, want nil after cancel", err)
		}
		if ok {
			close(rr.done)
		}
	case <-time.After(waitTimeout):
		t.Fatalf("Run did not return within %s of cancel", waitTimeout)
	}
}

func (rr *runningRunner) waitFor(t *testing.T, position uint64, names ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := rr.WaitFor(ctx, position, names...); err != nil {
		t.Fatalf("WaitFor(%d, %v): %v", position, names, err)
	}
}

func (rr *runningRunner) status(t *testing.T, name string) projection.ProjectorStatus {
	t.Helper()
	statuses, err := rr.Status(context.Background())
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	for _, s := range statuses {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("Status has no projector %s: %+v", name, statuses)
	return projection.ProjectorStatus{}
}

// waitReady waits until Run runs and every projector has caught up.
func (rr *runningRunner) waitReady(t *testing.T) {
	t.Helper()
	eventually(t, "Ready", func() bool {
		ready, err := rr.Ready(context.Background())
		return err == nil && ready
	})
}

// eventually polls cond every 10 ms until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	ticker := time.NewTicker(10 * time.Millisecond)
	defer ticker.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", waitTimeout, what)
		}
		<-ticker.C
	}
}

func counted(n int) []projection.Event {
	events := make([]projection.Event, n)
	for i := range events {
		events[i] = projection.Event{Type: typeCounted, Stream: "test-" + strconv.Itoa(i)}
	}
	return events
}

func seq(from, to uint64) []uint64 {
	var s []uint64
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func assertPositions(t *testing.T, rdb redis.UniversalClient, p *tally, want []uint64) {
	t.Helper()
	if got := p.positions(t, rdb); !slices.Equal(got, want) {
		t.Errorf("%s applied positions %v, want %v", p.name, got, want)
	}
}

func assertCheckpoint(t *testing.T, rdb redis.UniversalClient, name string, want uint64) {
	t.Helper()
	got, err := rdb.Get(context.Background(), projection.CheckpointKey(name)).Result()
	if err != nil {
		t.Fatalf("read checkpoint of %s: %v", name, err)
	}
	if got != fmt.Sprint(want) {
		t.Errorf("checkpoint of %s = %s, want %d", name, got, want)
	}
}
