package projection

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
)

// Defaults of Options. A poison event is parked after about 1.5 s with the
// default retry policy (waits of 0.1, 0.2, 0.4 and 0.8 s between 5 attempts).
const (
	DefaultRetryAttempts      = 5
	DefaultInitialBackoff     = 100 * time.Millisecond
	DefaultMaxBackoff         = 2 * time.Second
	DefaultFlushCheckInterval = 2 * time.Second
	DefaultCloseTimeout       = 10 * time.Second
)

var (
	// ErrUnknownProjector is returned when a name matches no projector of the runner.
	ErrUnknownProjector = errors.New("unknown projector")
	// ErrNotRunning is returned by Rebuild when Run is not running.
	ErrNotRunning = errors.New("projection runner is not running")
	// ErrAlreadyStarted is returned by a second call to Run.
	ErrAlreadyStarted = errors.New("projection runner already started")
)

// RetryPolicy bounds the retries of one event before the runner parks it.
type RetryPolicy struct {
	// Attempts is the number of tries, the first one included.
	Attempts int
	// InitialBackoff is the wait after the first failure. It doubles after
	// each further failure, up to MaxBackoff.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
}

// Options tunes a Runner. Zero fields take the Default* constants.
type Options struct {
	Retry RetryPolicy
	// FlushCheckInterval is the period of the check that every checkpoint
	// key still exists. A missing key means Redis was flushed or restarted
	// empty, and the projector rebuilds from position 0.
	FlushCheckInterval time.Duration
	// CloseTimeout bounds the wait for in-flight messages when a handler or
	// the whole router stops.
	CloseTimeout time.Duration
	// CheckpointIdleDelay is how long a handler must be idle before the
	// checkpoint of the events its projector ignored is stored.
	CheckpointIdleDelay time.Duration
	// CheckpointEvery bounds how many positions the stored checkpoint may
	// lag behind the in-memory one while a projector ignores events.
	CheckpointEvery int
}

func (o Options) withDefaults() Options {
	if o.Retry.Attempts <= 0 {
		o.Retry.Attempts = DefaultRetryAttempts
	}
	if o.Retry.InitialBackoff <= 0 {
		o.Retry.InitialBackoff = DefaultInitialBackoff
	}
	if o.Retry.MaxBackoff <= 0 {
		o.Retry.MaxBackoff = DefaultMaxBackoff
	}
	if o.Retry.MaxBackoff < o.Retry.InitialBackoff {
		o.Retry.MaxBackoff = o.Retry.InitialBackoff
	}
	if o.FlushCheckInterval <= 0 {
		o.FlushCheckInterval = DefaultFlushCheckInterval
	}
	if o.CloseTimeout <= 0 {
		o.CloseTimeout = DefaultCloseTimeout
	}
	if o.CheckpointIdleDelay <= 0 {
		o.CheckpointIdleDelay = DefaultCheckpointIdleDelay
	}
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = DefaultCheckpointEvery
	}
	return o
}

// CheckpointKey returns the Redis key of a projector's checkpoint: the
// position of the last event it applied or parked.
func CheckpointKey(name string) string { return "proj:" + name + ":checkpoint" }

// ParkedKey returns the Redis key of the list of events a projector parked,
// oldest first, each a JSON ParkedEvent.
func ParkedKey(name string) string { return "proj:" + name + ":parked" }

// Runner feeds projectors from a Source through one Watermill router, one
// handler per projector, so a slow or failing projector never holds up the
// others. Each event's writes and the new checkpoint are committed in one
// MULTI/EXEC, and events at or below the checkpoint are skipped, so
// redelivery and replay never apply an event twice.
//
// Run may be called once. Status, Ready, WaitFor and Rebuild are safe for
// concurrent use while Run runs. Redis Cluster is not supported, because the
// commit watches the checkpoint key and writes read-model keys in one
// transaction.
type Runner struct {
	rdb     redis.UniversalClient
	source  Source
	logger  zerolog.Logger
	opts    Options
	workers []*worker
	byName  map[string]*worker

	// mu guards the fields below and the state fields of every worker.
	mu      sync.Mutex
	started bool
	running bool
	changed chan struct{} // closed and replaced on every checkpoint or state change
	done    chan struct{} // closed when Run returns

	// Set by Run before any handler starts, read-only afterwards.
	router *message.Router
	runCtx context.Context
}

// NewRunner returns a Runner with default Options. See NewRunnerWithOptions.
func NewRunner(
	rdb redis.UniversalClient,
	source Source,
	logger zerolog.Logger,
	projectors ...Projector,
) (*Runner, error) {
	return NewRunnerWithOptions(rdb, source, logger, Options{}, projectors...)
}

// NewRunnerWithOptions returns a Runner for projectors. It rejects an empty
// projector list, empty or repeated names, and key prefixes that are empty,
// overlap another projector's prefix or cover the runner's own proj:* keys,
// because a rebuild drops every key under the prefix.
func NewRunnerWithOptions(
	rdb redis.UniversalClient,
	source Source,
	logger zerolog.Logger,
	opts Options,
	projectors ...Projector,
) (*Runner, error) {
	if rdb == nil {
		return nil, errors.New("new projection runner: redis client is nil")
	}
	if source == nil {
		return nil, errors.New("new projection runner: source is nil")
	}
	if err := validateProjectors(projectors); err != nil {
		return nil, fmt.Errorf("new projection runner: %w", err)
	}

	r := &Runner{
		rdb:     rdb,
		source:  source,
		logger:  logger.With().Str("component", "projection").Logger(),
		opts:    opts.withDefaults(),
		byName:  make(map[string]*worker, len(projectors)),
		changed: make(chan struct{}),
		done:    make(chan struct{}),
	}
	for _, p := range projectors {
		w := newWorker(p, r.logger)
		r.workers = append(r.workers, w)
		r.byName[w.name] = w
	}
	return r, nil
}

func validateProjectors(projectors []Projector) error {
	if len(projectors) == 0 {
		return errors.New("no projectors")
	}

	var runnerKeys []string
	names := make(map[string]bool, len(projectors))
	for _, p := range projectors {
		name := p.Name()
		if name == "" {
			return errors.New("projector name is empty")
		}
		if names[name] {
			return fmt.Errorf("projector name %q is repeated", name)
		}
		names[name] = true
		if p.KeyPrefix() == "" {
			return fmt.Errorf("projector %s: key prefix is empty", name)
		}
		runnerKeys = append(runnerKeys, CheckpointKey(name), ParkedKey(name))
	}

	for _, p := range projectors {
		prefix := p.KeyPrefix()
		for _, other := range projectors {
			if other != p && strings.HasPrefix(other.KeyPrefix(), prefix) {
				return fmt.Errorf("projector %s: key prefix %q covers the prefix %q of projector %s",
					p.Name(), prefix, other.KeyPrefix(), other.Name())
			}
		}
		for _, key := range runnerKeys {
			if strings.HasPrefix(key, prefix) {
				return fmt.Errorf("projector %s: key prefix %q covers the runner key %q", p.Name(), prefix, key)
			}
		}
	}
	return nil
}

// Run starts the router and blocks until ctx ends or the router stops on
// its own. Each projector resumes after its checkpoint. A projector whose
// checkpoint key is missing has its keys dropped and is rebuilt from
// position 0. Run returns nil when ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	r.mu.Lock()
	if r.started {
		r.mu.Unlock()
		return ErrAlreadyStarted
	}
	r.started = true
	r.mu.Unlock()
	defer close(r.done)

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	router, err := message.NewRouter(
		message.RouterConfig{CloseTimeout: r.opts.CloseTimeout},
		newWatermillLogger(r.logger),
	)
	if err != nil {
		return fmt.Errorf("create router: %w", err)
	}
	r.router = router
	r.runCtx = runCtx

	// The router closes itself once all its handlers have stopped. The idle
	// handler keeps it open while a projector's handler is being replaced.
	router.AddConsumerHandler("projection-runner-idle", "all", idleSubscriber{}, ignoreMessage)
	for _, w := range r.workers {
		if err := r.start(runCtx, w); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("start projector %s: %w", w.name, err)
		}
	}

	// Running from here on, because the first events may be applied before
	// router.Running is closed.
	r.setRunning(true)
	defer r.setRunning(false)
	routerDone := make(chan error, 1)
	go func() { routerDone <- router.Run(runCtx) }()
	select {
	case <-router.Running():
	case err := <-routerDone:
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("run router: %w", errors.Join(errRouterStopped, err))
	}

	r.logger.Info().Int("projectors", len(r.workers)).Msg("projection runner started")

	var wg sync.WaitGroup
	for _, w := range r.workers {
		wg.Go(func() { r.supervise(runCtx, w) })
	}
	wg.Go(func() { r.watchCheckpoints(runCtx) })

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-routerDone:
		// The router also stops by itself once ctx has stopped every handler.
		if ctx.Err() == nil {
			runErr = fmt.Errorf("run router: %w", errors.Join(errRouterStopped, err))
		}
	}

	cancel()
	wg.Wait()
	if err := router.Close(); err != nil {
		r.logger.Warn().Err(err).Msg("close projection router")
	}
	r.flushOnStop(ctx)
	r.logger.Info().Msg("projection runner stopped")
	return runErr
}

var errRouterStopped = errors.New("router stopped")

func (r *Runner) setRunning(running bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.running = running
	r.broadcast()
}

// broadcast wakes every WaitFor. The caller holds r.mu.
func (r *Runner) broadcast() {
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *Runner) lookup(names []string) ([]*worker, error) {
	if len(names) == 0 {
		return r.workers, nil
	}
	workers := make([]*worker, 0, len(names))
	for _, name := range names {
		w, ok := r.byName[name]
		if !ok {
			return nil, fmt.Errorf("projector %q: %w", name, ErrUnknownProjector)
		}
		workers = append(workers, w)
	}
	return workers, nil
}

// idleSubscriber delivers nothing until its subscription ends.
type idleSubscriber struct{}

func (idleSubscriber) Subscribe(ctx context.Context, _ string) (<-chan *message.Message, error) {
	messages := make(chan *message.Message)
	go func() {
		<-ctx.Done()
		close(messages)
	}()
	return messages, nil
}

func (idleSubscriber) Close() error { return nil }

func ignoreMessage(*message.Message) error { return nil }
