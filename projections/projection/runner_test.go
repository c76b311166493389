package projection_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"esimscan/projections/projection"
	"esimscan/projections/projectiontest"
)

func TestRunner_Run_storeWithOneEvent(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		source := projectiontest.NewMemorySource()
		source.Append(counted(1)...)
		p := newTally(t, "one")

		rr := startRunner(t, rdb, source, p)
		rr.waitFor(t, 1)

		assertPositions(t, rdb, p, []uint64{1})
		assertCheckpoint(t, rdb, p.name, 1)
		ready, err := rr.Ready(context.Background())
		if err != nil {
			t.Fatalf("Ready: %v", err)
		}
		if !ready {
			t.Errorf("Ready = false after catching up with a one-event log")
		}
	})
}

func TestRunner_Run_emptyStoreThenLive(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		source := projectiontest.NewMemorySource()
		p := newTally(t, "live")
		rr := startRunner(t, rdb, source, p)

		rr.waitReady(t)
		head := source.Append(counted(3)...)
		rr.waitFor(t, head)

		assertPositions(t, rdb, p, seq(1, 3))
		assertCheckpoint(t, rdb, p.name, 3)
	})
}

func TestRunner_Run_resumesAfterCheckpoint(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		source := projectiontest.NewMemorySource()
		p := newTally(t, "resume")
		head := source.Append(counted(3)...)

		first := startRunner(t, rdb, source, p)
		first.waitFor(t, head)
		first.stop(t)

		head = source.Append(counted(2)...)
		second := startRunner(t, rdb, source, p)
		second.waitFor(t, head)

		assertPositions(t, rdb, p, seq(1, 5))
	})
}

// failExecHook fails every transaction that carries a write of the watched
// key, as if the process died after Apply queued its writes and before EXEC
// reached Redis.
type failExecHook struct {
	key   string
	mu    sync.Mutex
	armed bool
	fired chan []string // the commands of the first failed transaction
}

var errSimulatedCrash = errors.New("simulated crash before EXEC")

func (h *failExecHook) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (h *failExecHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (h *failExecHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.mu.Lock()
		armed := h.armed
		h.mu.Unlock()
		if !armed || !writesKey(cmds, h.key) {
			return next(ctx, cmds)
		}
		var names []string
		for _, cmd := range cmds {
			names = append(names, cmd.Name())
		}
		select {
		case h.fired <- names:
		default:
		}
		return errSimulatedCrash
	}
}

func (h *failExecHook) disarm() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.armed = false
}

func writesKey(cmds []redis.Cmder, key string) bool {
	for _, cmd := range cmds {
		args := cmd.Args()
		if len(args) > 1 && args[1] == key {
			return true
		}
	}
	return false
}

func TestRunner_Run_crashBeforeExecWritesNothing(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		source := projectiontest.NewMemorySource()
		p := newTally(t, "crash")
		hook := &failExecHook{key: p.countKey(), armed: true, fired: make(chan []string, 1)}
		rdb.AddHook(hook)
		head := source.Append(counted(1)...)

		crashing := startRunner(t, rdb, source, p)
		var names []string
		select {
		case names = <-hook.fired:
		case <-contextDone(t):
			t.Fatalf("the transaction of event 1 never reached the hook")
		}
		crashing.stop(t)

		for _, want := range []string{"multi", "incr", "rpush", "set", "exec"} {
			if !slices.Contains(names, want) {
				t.Errorf("failed transaction %v lacks %s", names, want)
			}
		}
		if n, err := rdb.Exists(context.Background(), p.countKey(), p.listKey()).Result(); err != nil || n != 0 {
			t.Errorf("read model keys after the crash: %d exist (err %v), want 0", n, err)
		}
		assertCheckpoint(t, rdb, p.name, 0)

		hook.disarm()
		restarted := startRunner(t, rdb, source, p)
		restarted.waitFor(t, head)
		assertPositions(t, rdb, p, []uint64{1})
		assertCheckpoint(t, rdb, p.name, 1)
	})
}

// contextDone returns a channel closed after the test wait timeout.
func contextDone(t *testing.T) <-chan struct{} {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx.Done()
}

// replayingSource delivers the whole log from position 1 whatever
// checkpoint it is given, and every message twice, like a subscription
// that replays after a reconnect and redelivers after a lost ack.
type replayingSource struct {
	*projectiontest.MemorySource
}

func (s replayingSource) NewSubscriber(uint64) (message.Subscriber, error) {
	inner, err := s.MemorySource.NewSubscriber(0)
	if err != nil {
		return nil, err
	}
	return duplicatingSubscriber{inner: inner}, nil
}

type duplicatingSubscriber struct {
	inner message.Subscriber
}

func (d duplicatingSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	in, err := d.inner.Subscribe(ctx, topic)
	if err != nil {
		return nil, err
	}
	out := make(chan *message.Message)
	go func() {
		defer close(out)
		for msg := range in {
			duplicate := msg.Copy()
			for _, m := range []*message.Message{duplicate, msg} {
				select {
				case out <- m:
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-duplicate.Acked():
			case <-duplicate.Nacked():
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (d duplicatingSubscriber) Close() error { return d.inner.Close() }

func TestRunner_Run_redeliveredMessageSkipped(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		source := replayingSource{projectiontest.NewMemorySource()}
		p := newTally(t, "redeliver")
		head := source.Append(counted(4)...)

		first := startRunner(t, rdb, source, p)
		first.waitFor(t, head)
		first.stop(t)
		assertPositions(t, rdb, p, seq(1, 4))

		// A new runner is handed the whole log again from position 1.
		head = source.Append(counted(1)...)
		second := startRunner(t, rdb, source, p)
		second.waitFor(t, head)
		assertPositions(t, rdb, p, seq(1, 5))
		assertCheckpoint(t, rdb, p.name, 5)
	})
}

func TestRunner_Run_poisonEventParked(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		source := projectiontest.NewMemorySource()
		p := newTally(t, "poison")
		source.Append(counted(1)...)
		source.Append(projection.Event{Type: typePoison, Stream: "order-7", ID: "poison-id"})
		head := source.Append(counted(1)...)

		rr := startRunner(t, rdb, source, p)
		rr.waitFor(t, head)

		assertPositions(t, rdb, p, []uint64{1, 3})
		assertCheckpoint(t, rdb, p.name, 3)
		status := rr.status(t, p.name)
		if status.ParkedCount != 1 {
			t.Fatalf("ParkedCount = %d, want 1", status.ParkedCount)
		}
		if len(status.Parked) != 1 {
			t.Fatalf("Parked has %d events, want 1", len(status.Parked))
		}
		parked := status.Parked[0]
		if parked.Position != 2 {
			t.Errorf("parked position = %d, want 2", parked.Position)
		}
		if parked.Type != typePoison {
			t.Errorf("parked type = %q, want %q", parked.Type, typePoison)
		}
		if parked.EventID != "poison-id" {
			t.Errorf("parked event id = %q, want poison-id", parked.EventID)
		}
		if parked.Stream != "order-7" {
			t.Errorf("parked stream = %q, want order-7", parked.Stream)
		}
		if !strings.Contains(parked.Error, errPoison.Error()) {
			t.Errorf("parked error = %q, want it to contain %q", parked.Error, errPoison)
		}
		if parked.At.IsZero() {
			t.Errorf("parked at is zero")
		}
		if status.Status != projection.StatusRunning {
			t.Errorf("status = %q, want %q", status.Status, projection.StatusRunning)
		}
	})
}

func TestRunner_Run_blockedProjectorDoesNotStallOthers(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		source := projectiontest.NewMemorySource()
		healthy := newTally(t, "healthy")
		blocked := newTally(t, "blocked")
		blocked.gate = newClosedGate()
		head := source.Append(counted(2)...)
		source.Append(projection.Event{Type: typePoison})
		head = source.Append(counted(2)...)

		rr := startRunner(t, rdb, source, healthy, blocked)
		rr.waitFor(t, head, healthy.name)

		assertPositions(t, rdb, healthy, []uint64{1, 2, 4, 5})
		if got := rr.status(t, blocked.name).Checkpoint; got != 0 {
			t.Errorf("blocked projector checkpoint = %d before its gate opens, want 0", got)
		}
		ready, err := rr.Ready(context.Background())
		if err != nil {
			t.Fatalf("Ready: %v", err)
		}
		if ready {
			t.Errorf("Ready = true while a projector is behind")
		}

		blocked.gate.open()
		rr.waitFor(t, head, blocked.name)
		assertPositions(t, rdb, blocked, []uint64{1, 2, 4, 5})
		if got := rr.status(t, blocked.name).ParkedCount; got != 1 {
			t.Errorf("blocked projector parked %d events, want 1", got)
		}
		if got := rr.status(t, healthy.name).ParkedCount; got != 1 {
			t.Errorf("healthy projector parked %d events, want 1", got)
		}
	})
}

// flushRedis empties the test's Redis: FLUSHALL on miniredis, FLUSHDB on
// real Redis, where other test binaries may own the other databases.
func flushRedis(t *testing.T, rdb redis.UniversalClient) {
	t.Helper()
	var err error
	if strings.HasSuffix(t.Name(), "/miniredis") {
		err = rdb.FlushAll(context.Background()).Err()
	} else {
		err = rdb.FlushDB(context.Background()).Err()
	}
	if err != nil {
		t.Fatalf("flush redis: %v", err)
	}
}

func TestRunner_Run_rebuildsAfterFlush(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		source := projectiontest.NewMemorySource()
		p := newTally(t, "flush")
		source.Append(counted(2)...)
		source.Append(projection.Event{Type: typePoison})
		head := source.Append(counted(2)...)

		rr := startRunner(t, rdb, source, p)
		rr.waitFor(t, head)
		want := p.positions(t, rdb)

		flushRedis(t, rdb)
		eventually(t, "read model rebuilt after the flush", func() bool {
			checkpoint, err := rdb.Get(context.Background(), projection.CheckpointKey(p.name)).Uint64()
			return err == nil && checkpoint == head
		})
		assertPositions(t, rdb, p, want)
		if got := rr.status(t, p.name).ParkedCount; got != 1 {
			t.Errorf("parked %d events after the rebuild, want 1", got)
		}

		// A flush seen by the commit itself, before the periodic check.
		flushRedis(t, rdb)
		head = source.Append(counted(1)...)
		rr.waitFor(t, head)
		assertPositions(t, rdb, p, append(want, head))
	})
}

func TestRunner_Rebuild_oneWhileOtherAdvances(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		source := projectiontest.NewMemorySource()
		rebuilt := newTally(t, "rebuilt")
		other := newTally(t, "other")
		head := source.Append(counted(3)...)

		rr := startRunner(t, rdb, source, rebuilt, other)
		rr.waitFor(t, head)
		stale := rebuilt.KeyPrefix() + "stale"
		if err := rdb.Set(ctx, stale, "x", 0).Err(); err != nil {
			t.Fatalf("write stale key: %v", err)
		}

		rebuilt.gate = newClosedGate()
		if err := rr.Rebuild(ctx, rebuilt.name); err != nil {
			t.Fatalf("Rebuild: %v", err)
		}
		if n, err := rdb.Exists(ctx, stale).Result(); err != nil || n != 0 {
			t.Errorf("stale read model key exists after Rebuild: %d (err %v)", n, err)
		}
		head = source.Append(counted(2)...)
		rr.waitFor(t, head, other.name)

		if got := rr.status(t, rebuilt.name).Status; got != projection.StatusRebuilding {
			t.Errorf("rebuilt projector status = %q, want %q", got, projection.StatusRebuilding)
		}
		ready, err := rr.Ready(ctx)
		if err != nil {
			t.Fatalf("Ready: %v", err)
		}
		if ready {
			t.Errorf("Ready = true during a rebuild")
		}

		rebuilt.gate.open()
		rr.waitFor(t, head, rebuilt.name)
		assertPositions(t, rdb, rebuilt, seq(1, 5))
		assertPositions(t, rdb, other, seq(1, 5))
		ready, err = rr.Ready(ctx)
		if err != nil {
			t.Fatalf("Ready: %v", err)
		}
		if !ready {
			t.Errorf("Ready = false after the rebuild caught up")
		}
	})
}

func TestRunner_Rebuild_unknownProjector(t *testing.T) {
	source := projectiontest.NewMemorySource()
	rr := startRunner(t, projectiontest.NewMiniredis(t), source, newTally(t, "known"))
	rr.waitReady(t)

	err := rr.Rebuild(context.Background(), "missing")
	if !errors.Is(err, projection.ErrUnknownProjector) {
		t.Errorf("Rebuild(missing) = %v, want ErrUnknownProjector", err)
	}
}

func TestRunner_Rebuild_notRunning(t *testing.T) {
	runner, err := projection.NewRunner(projectiontest.NewMiniredis(t), projectiontest.NewMemorySource(),
		zerolog.Nop(), newTally(t, "idle"))
	if err != nil {
		t.Fatalf("NewRunner: %v", err)
	}
	if err := runner.Rebuild(context.Background()); !errors.Is(err, projection.ErrNotRunning) {
		t.Errorf("Rebuild before Run = %v, want ErrNotRunning", err)
	}
}

func TestRunner_WaitFor(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		source := projectiontest.NewMemorySource()
		p := newTally(t, "wait")
		rr := startRunner(t, rdb, source, p)

		waited := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			waited <- rr.WaitFor(ctx, 2, p.name)
		}()
		source.Append(counted(2)...)
		select {
		case err := <-waited:
			if err != nil {
				t.Errorf("WaitFor(2) after appending 2 events: %v", err)
			}
		case <-contextDone(t):
			t.Fatalf("WaitFor(2) did not return")
		}

		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if err := rr.WaitFor(ctx, 3); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("WaitFor(3) with 2 events = %v, want DeadlineExceeded", err)
		}
		if err := rr.WaitFor(context.Background(), 1, "missing"); !errors.Is(err, projection.ErrUnknownProjector) {
			t.Errorf("WaitFor for an unknown projector = %v, want ErrUnknownProjector", err)
		}
	})
}

func TestRunner_Status_stoppedBeforeRun(t *testing.T) {
	p := newTally(t, "status")
	runner, err := projection.NewRunner(projectiontest.NewMiniredis(t), projectiontest.NewMemorySource(),
		zerolog.Nop(), p)
	if err != nil {
		t.Fatalf("NewRunner: %v", err)
	}
	statuses, err := runner.Status(context.Background())
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if len(statuses) != 1 {
		t.Fatalf("Status returned %d projectors, want 1", len(statuses))
	}
	if statuses[0].Status != projection.StatusStopped {
		t.Errorf("status = %q, want %q", statuses[0].Status, projection.StatusStopped)
	}
	if statuses[0].Parked == nil {
		t.Errorf("Parked is nil, want an empty list so JSON shows []")
	}
}

func TestRunner_Run_twice(t *testing.T) {
	source := projectiontest.NewMemorySource()
	rr := startRunner(t, projectiontest.NewMiniredis(t), source, newTally(t, "twice"))
	rr.waitReady(t)
	if err := rr.Run(context.Background()); !errors.Is(err, projection.ErrAlreadyStarted) {
		t.Errorf("second Run = %v, want ErrAlreadyStarted", err)
	}
}

type fixedProjector struct{ name, prefix string }

func (p fixedProjector) Name() string      { return p.name }
func (p fixedProjector) KeyPrefix() string { return p.prefix }
func (p fixedProjector) Apply(context.Context, redis.Cmdable, redis.Pipeliner, projection.Event) error {
	return nil
}

func TestNewRunner_rejectsBadProjectors(t *testing.T) {
	tests := []struct {
		name       string
		projectors []projection.Projector
		wantErr    string
	}{
		{"none", nil, "no projectors"},
		{"empty name", []projection.Projector{fixedProjector{"", "a:"}}, "name is empty"},
		{"empty prefix", []projection.Projector{fixedProjector{"a", ""}}, "key prefix is empty"},
		{"repeated name", []projection.Projector{fixedProjector{"a", "a:"}, fixedProjector{"a", "b:"}}, "repeated"},
		{"overlapping prefixes", []projection.Projector{fixedProjector{"a", "rm:"}, fixedProjector{"b", "rm:b:"}}, "covers the prefix"},
		{"prefix covers checkpoint", []projection.Projector{fixedProjector{"a", "proj:"}}, "covers the runner key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := projection.NewRunner(projectiontest.NewMiniredis(t), projectiontest.NewMemorySource(),
				zerolog.Nop(), tt.projectors...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewRunner = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestRunner_Status_failingWhileRedisRejectsCommits(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		source := projectiontest.NewMemorySource()
		p := newTally(t, "failing")
		hook := &failExecHook{key: p.countKey(), armed: true, fired: make(chan []string, 1)}
		rdb.AddHook(hook)
		head := source.Append(counted(1)...)

		rr := startRunner(t, rdb, source, p)
		eventually(t, "status failing", func() bool {
			return rr.status(t, p.name).Status == projection.StatusFailing
		})
		if got := rr.status(t, p.name).ParkedCount; got != 0 {
			t.Errorf("parked %d events on Redis errors, want 0", got)
		}

		hook.disarm()
		rr.waitFor(t, head)
		assertPositions(t, rdb, p, []uint64{1})
		if got := rr.status(t, p.name).Status; got != projection.StatusRunning {
			t.Errorf("status after recovery = %q, want %q", got, projection.StatusRunning)
		}
	})
}
