package projection_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"esimscan/projections/projection"
	"esimscan/projections/projectiontest"
)

// typeIgnored is an event type the tally projector queues no write for.
const typeIgnored = "Ignored"

func ignored(n int) []projection.Event {
	events := make([]projection.Event, n)
	for i := range events {
		events[i] = projection.Event{Type: typeIgnored, Stream: "test-ignored"}
	}
	return events
}

// startRunnerWith is startRunner with options of the test's choosing.
func startRunnerWith(
	t *testing.T,
	rdb redis.UniversalClient,
	source projection.Source,
	opts projection.Options,
	projectors ...projection.Projector,
) *runningRunner {
	t.Helper()
	runner, err := projection.NewRunnerWithOptions(rdb, source, testLogger(t), opts, projectors...)
	if err != nil {
		t.Fatalf("NewRunnerWithOptions: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rr := &runningRunner{Runner: runner, cancel: cancel, done: make(chan error, 1)}
	go func() { rr.done <- runner.Run(ctx) }()
	t.Cleanup(func() { rr.stop(t) })
	return rr
}

// txHook counts the transactions that write a checkpoint key, and fails
// those that write only that key while armed.
type txHook struct {
	key string

	mu            sync.Mutex
	transactions  int
	failLoneWrite bool
	failed        chan struct{} // receives once per failed transaction, when there is room
}

func (h *txHook) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (h *txHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (h *txHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) == 0 || cmds[0].Name() != "multi" || !writesKey(cmds, h.key) {
			return next(ctx, cmds)
		}
		h.mu.Lock()
		h.transactions++
		fail := h.failLoneWrite && writesOnly(cmds, h.key)
		h.mu.Unlock()
		if !fail {
			return next(ctx, cmds)
		}
		select {
		case h.failed <- struct{}{}:
		default:
		}
		return errSimulatedCrash
	}
}

// writesOnly reports whether the transaction in cmds writes key and nothing
// else.
func writesOnly(cmds []redis.Cmder, key string) bool {
	for _, cmd := range cmds {
		switch args := cmd.Args(); cmd.Name() {
		case "multi", "exec", "watch", "get":
		case "set":
			if args[1] != key {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func (h *txHook) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.transactions
}

func (h *txHook) disarm() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failLoneWrite = false
}

func storedCheckpoint(t *testing.T, rdb redis.UniversalClient, name string) uint64 {
	t.Helper()
	n, err := rdb.Get(context.Background(), projection.CheckpointKey(name)).Uint64()
	if err != nil {
		t.Fatalf("read checkpoint of %s: %v", name, err)
	}
	return n
}

func TestRunner_Run_ignoredEventsNeedNoTransaction(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		source := projectiontest.NewMemorySource()
		p := newTally(t, "ignoring")
		hook := &txHook{key: projection.CheckpointKey(p.name)}
		rdb.AddHook(hook)
		source.Append(counted(1)...)
		head := source.Append(ignored(200)...)

		rr := startRunner(t, rdb, source, p)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := rr.WaitFor(ctx, head); err != nil {
			t.Fatalf("WaitFor(%d) for ignored events: %v", head, err)
		}
		if got := rr.status(t, p.name).Checkpoint; got != head {
			t.Errorf("Status checkpoint = %d, want %d", got, head)
		}
		eventually(t, "stored checkpoint at head", func() bool {
			return storedCheckpoint(t, rdb, p.name) == head
		})
		// One transaction for the write, then a few idle flushes at most.
		if got := hook.count(); got > 10 {
			t.Errorf("%d transactions for 1 write and 200 ignored events, want at most 10", got)
		}
		assertPositions(t, rdb, p, []uint64{1})
	})
}

func TestRunner_WaitFor_ignoredPositionIsPrompt(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		source := projectiontest.NewMemorySource()
		p := newTally(t, "prompt")
		opts := fastOptions()
		opts.CheckpointIdleDelay = time.Hour // only the in-memory checkpoint moves
		rr := startRunnerWith(t, rdb, source, opts, p)
		rr.waitReady(t)

		head := source.Append(ignored(1)...)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		began := time.Now()
		if err := rr.WaitFor(ctx, head); err != nil {
			t.Fatalf("WaitFor(%d) for an ignored event: %v", head, err)
		}
		if took := time.Since(began); took > 500*time.Millisecond {
			t.Errorf("WaitFor took %s for an ignored event", took)
		}
		assertCheckpoint(t, rdb, p.name, 0)
	})
}

func TestRunner_Run_lazyCheckpointStoredEveryN(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		source := projectiontest.NewMemorySource()
		p := newTally(t, "every")
		opts := fastOptions()
		opts.CheckpointIdleDelay = time.Hour
		opts.CheckpointEvery = 10
		source.Append(counted(1)...)
		head := source.Append(ignored(25)...)

		rr := startRunnerWith(t, rdb, source, opts, p)
		rr.waitFor(t, head)
		// Stored with the write at 1, then at 11 and 21.
		assertCheckpoint(t, rdb, p.name, 21)

		rr.stop(t)
		assertCheckpoint(t, rdb, p.name, head)
	})
}

func TestRunner_Run_lazyCheckpointCrashNoDoubleApply(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		source := projectiontest.NewMemorySource()
		p := newTally(t, "lazycrash")
		hook := &txHook{key: projection.CheckpointKey(p.name), failLoneWrite: true, failed: make(chan struct{}, 1)}
		rdb.AddHook(hook)
		source.Append(counted(2)...)
		head := source.Append(ignored(5)...)

		crashing := startRunner(t, rdb, source, p)
		crashing.waitFor(t, head)
		select {
		case <-hook.failed:
		case <-contextDone(t):
			t.Fatalf("the idle flush of the ignored events never reached the hook")
		}
		crashing.stop(t) // its flush on stop fails too: the checkpoint stays behind
		assertCheckpoint(t, rdb, p.name, 2)

		hook.disarm()
		head = source.Append(counted(1)...)
		restarted := startRunner(t, rdb, source, p)
		restarted.waitFor(t, head)
		assertPositions(t, rdb, p, []uint64{1, 2, head})
		assertCheckpoint(t, rdb, p.name, head)
		if n, err := rdb.Get(context.Background(), p.countKey()).Int(); err != nil || n != 3 {
			t.Errorf("count = %d (err %v), want 3", n, err)
		}
	})
}

func TestRunner_Run_writeAfterIgnoredStoresItsPosition(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		source := projectiontest.NewMemorySource()
		p := newTally(t, "mixed")
		opts := fastOptions()
		opts.CheckpointIdleDelay = time.Hour
		events := append(ignored(3), counted(1)...)
		events = append(events, ignored(2)...)
		events = append(events, counted(1)...)
		head := source.Append(events...)

		rr := startRunnerWith(t, rdb, source, opts, p)
		rr.waitFor(t, head)
		assertCheckpoint(t, rdb, p.name, head)
		if got := p.positions(t, rdb); !slices.Equal(got, []uint64{4, 7}) {
			t.Errorf("positions = %v, want [4 7]", got)
		}
	})
}
