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

// worker is one projector's handler and state inside a Runner.
type worker struct {
	projector     Projector
	name          string
	prefix        string
	checkpointKey string
	parkedKey     string
	logger        zerolog.Logger
	restarts      chan restartRequest

	// applyMu is held while one message is processed. A restart takes it
	// after stopping the handler, so no message of the old handler can
	// write once the keys are dropped.
	applyMu sync.Mutex

	// Guarded by Runner.mu.
	checkpoint uint64 // the last event applied, parked or ignored
	stored     uint64 // the checkpoint last committed to Redis; changes under applyMu
	startHead  uint64 // the source head when this handler started
	caughtUp   bool   // the checkpoint reached startHead or a later head
	rebuilding bool   // started from position 0 after its keys were dropped
	failing    bool   // the current event failed its last attempt
	restarting bool   // no handler runs yet, or one is being replaced
	generation uint64
	cancelGen  context.CancelFunc
	handler    *message.Handler
	read       uint64
	applied    uint64
	parked     uint64
}

// restartRequest requests from a worker's supervisor to start a new handler. A
// request for an older generation is dropped, because that handler has
// already been replaced.
type restartRequest struct {
	fromZero   bool
	generation uint64 // 0 restarts whatever handler runs
	reason     string
	done       chan error // nil when no caller waits
}

func newWorker(p Projector, logger zerolog.Logger) *worker {
	return &worker{
		projector:     p,
		name:          p.Name(),
		prefix:        p.KeyPrefix(),
		checkpointKey: CheckpointKey(p.Name()),
		parkedKey:     ParkedKey(p.Name()),
		logger:        logger.With().Str("projector", p.Name()).Logger(),
		restarts:      make(chan restartRequest, 8),
		restarting:    true,
		cancelGen:     func() {},
	}
}

// requestRestart queues req without blocking. A full queue already holds a
// restart, which serves this request too.
func (w *worker) requestRestart(req restartRequest) {
	select {
	case w.restarts <- req:
	default:
	}
}

// start subscribes a new handler after the stored checkpoint. The caller
// holds w.applyMu or runs before the router starts.
func (r *Runner) start(ctx context.Context, w *worker) error {
	checkpoint, rebuilt, err := r.loadCheckpoint(ctx, w)
	if err != nil {
		return err
	}
	head, err := r.source.Head(ctx)
	if err != nil {
		return fmt.Errorf("read source head: %w", err)
	}
	subscriber, err := r.source.NewSubscriber(checkpoint)
	if err != nil {
		return fmt.Errorf("create subscriber after %d: %w", checkpoint, err)
	}

	// NOTE: caught-up detection assumes head is the position of an event
	// that the subscriber delivers. A source whose head can point past the
	// last delivered event would keep Ready false.
	genCtx, cancelGen := context.WithCancel(r.runCtx)
	r.mu.Lock()
	w.generation++
	generation := w.generation
	w.cancelGen = cancelGen
	w.checkpoint = checkpoint
	w.stored = checkpoint
	w.startHead = head
	w.caughtUp = checkpoint >= head
	w.rebuilding = (rebuilt || w.rebuilding) && !w.caughtUp
	w.failing = false
	r.broadcast()
	r.mu.Unlock()

	handlerName := fmt.Sprintf("%s#%d", w.name, generation)
	subscriber = generationSubscriber{Subscriber: subscriber, genCtx: genCtx}
	kick := make(chan struct{}, 1)
	go r.flushIdle(genCtx, w, generation, kick)
	handler := r.router.AddConsumerHandler(handlerName, "all", subscriber, r.handleFunc(genCtx, w, generation, kick))
	if r.router.IsRunning() {
		// NOTE: when Subscribe fails here, Watermill keeps the unstarted
		// handler registered and router.Close waits CloseTimeout for it. The
		// next RunHandlers starts it, and generationSubscriber ends it at once.
		if err := r.router.RunHandlers(r.runCtx); err != nil {
			cancelGen()
			return fmt.Errorf("run handler %s: %w", handlerName, err)
		}
	}

	r.mu.Lock()
	w.handler = handler
	w.restarting = false
	r.mu.Unlock()
	w.logger.Info().Uint64("checkpoint", checkpoint).Uint64("head", head).
		Bool("rebuild", rebuilt).Msg("projector started")
	return nil
}

// loadCheckpoint reads the stored checkpoint. A missing key means the read
// model is empty or was flushed, and a stored version other than the
// projector's means records of another shape, so in both cases its keys are
// dropped and it starts from 0.
func (r *Runner) loadCheckpoint(ctx context.Context, w *worker) (checkpoint uint64, rebuilt bool, err error) {
	checkpoint, err = r.rdb.Get(ctx, w.checkpointKey).Uint64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, false, fmt.Errorf("read checkpoint %s: %w", w.checkpointKey, err)
	}
	if err == nil {
		stored, versionErr := r.rdb.Get(ctx, VersionKey(w.name)).Int()
		if versionErr != nil && !errors.Is(versionErr, redis.Nil) {
			return 0, false, fmt.Errorf("read version of %s: %w", w.name, versionErr)
		}
		// A missing key is version 0, the version before projectors had one.
		if stored == versionOf(w.projector) {
			return checkpoint, false, nil
		}
		w.logger.Warn().Int("stored_version", stored).Int("version", versionOf(w.projector)).
			Msg("read model version changed, rebuilding from position 0")
	}
	if err := r.resetKeys(ctx, w); err != nil {
		return 0, false, err
	}
	return 0, true, nil
}

// resetKeys drops the read model, the parked list and the checkpoint, then
// stores checkpoint 0. The checkpoint goes first: if a step fails, the next
// start finds it missing and resets again.
func (r *Runner) resetKeys(ctx context.Context, w *worker) error {
	if err := r.rdb.Del(ctx, w.checkpointKey).Err(); err != nil {
		return fmt.Errorf("delete checkpoint %s: %w", w.checkpointKey, err)
	}
	dropped, err := dropPrefix(ctx, r.rdb, w.prefix)
	if err != nil {
		return err
	}
	_, err = r.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.Del(ctx, w.parkedKey)
		pipe.Set(ctx, VersionKey(w.name), versionOf(w.projector), 0)
		pipe.Set(ctx, w.checkpointKey, 0, 0)
		return nil
	})
	if err != nil {
		return fmt.Errorf("reset checkpoint %s: %w", w.checkpointKey, err)
	}
	w.logger.Info().Int("keys_dropped", dropped).Str("key_prefix", w.prefix).Msg("read model dropped")
	return nil
}

// dropPrefix deletes every key starting with prefix. It walks the key space
// with SCAN in batches of 500 and UNLINKs each batch, because KEYS would
// block Redis for the whole walk.
func dropPrefix(ctx context.Context, rdb redis.UniversalClient, prefix string) (int, error) {
	pattern := escapeGlob(prefix) + "*"
	dropped := 0
	var cursor uint64
	for {
		keys, next, err := rdb.Scan(ctx, cursor, pattern, 500).Result()
		if err != nil {
			return dropped, fmt.Errorf("scan keys %s: %w", pattern, err)
		}
		if len(keys) > 0 {
			if err := rdb.Unlink(ctx, keys...).Err(); err != nil {
				return dropped, fmt.Errorf("unlink keys %s: %w", pattern, err)
			}
			dropped += len(keys)
		}
		if next == 0 {
			return dropped, nil
		}
		cursor = next
	}
}

// escapeGlob quotes the characters that SCAN MATCH treats as a pattern.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '\\', '*', '?', '[', ']':
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// supervise serves w's restart requests and resubscribes when its handler
// stops on its own, for example after the source lost its connection.
func (r *Runner) supervise(ctx context.Context, w *worker) {
	for {
		r.mu.Lock()
		stopped := w.handler.Stopped()
		r.mu.Unlock()

		select {
		case <-ctx.Done():
			return
		case req := <-w.restarts:
			err := r.restart(ctx, w, req)
			if err != nil && ctx.Err() == nil {
				w.logger.Error().Err(err).Str("reason", req.reason).Msg("restart projector")
			}
			if req.done != nil {
				req.done <- err
			}
		case <-stopped:
			if !sleepCtx(ctx, r.opts.Retry.MaxBackoff) {
				return
			}
			w.logger.Warn().Msg("projector handler stopped, resubscribing after its checkpoint")
			err := r.restart(ctx, w, restartRequest{reason: "handler stopped"})
			if err != nil && ctx.Err() == nil {
				w.logger.Error().Err(err).Msg("restart projector")
			}
		}
	}
}

// restart stops w's handler, waits for its in-flight message, drops the
// read model when req.fromZero, and starts a new handler.
func (r *Runner) restart(ctx context.Context, w *worker, req restartRequest) error {
	r.mu.Lock()
	if req.generation != 0 && req.generation != w.generation {
		r.mu.Unlock()
		return nil
	}
	w.restarting = true
	if req.fromZero {
		w.rebuilding = true
		w.caughtUp = false
	}
	w.cancelGen()
	old := w.handler
	r.broadcast()
	r.mu.Unlock()

	w.logger.Info().Str("reason", req.reason).Bool("from_zero", req.fromZero).Msg("restarting projector")
	old.Stop()
	select {
	case <-old.Stopped():
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(r.opts.CloseTimeout):
		// The old handler's messages see their generation cancelled and
		// write nothing, so starting the new one is safe.
		w.logger.Warn().Dur("timeout", r.opts.CloseTimeout).Msg("old projector handler did not stop in time")
	}

	w.applyMu.Lock()
	defer w.applyMu.Unlock()
	if req.fromZero {
		if err := r.resetKeys(ctx, w); err != nil {
			return err
		}
	}
	return r.start(ctx, w)
}

// watchCheckpoints restarts from 0 every projector whose checkpoint key has
// disappeared, which happens after FLUSHALL or when Redis restarts empty.
func (r *Runner) watchCheckpoints(ctx context.Context) {
	ticker := time.NewTicker(r.opts.FlushCheckInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		for _, w := range r.workers {
			r.checkCheckpoint(ctx, w)
		}
	}
}

func (r *Runner) checkCheckpoint(ctx context.Context, w *worker) {
	r.mu.Lock()
	restarting, generation := w.restarting, w.generation
	r.mu.Unlock()
	if restarting {
		return
	}

	n, err := r.rdb.Exists(ctx, w.checkpointKey).Result()
	if err != nil {
		if ctx.Err() == nil {
			w.logger.Warn().Err(err).Msg("check checkpoint key")
		}
		return
	}
	if n == 0 {
		w.logger.Warn().Str("key", w.checkpointKey).Msg("checkpoint key missing, rebuilding from position 0")
		w.requestRestart(restartRequest{fromZero: true, generation: generation, reason: "checkpoint key missing"})
	}
}

// sleepCtx waits for d and reports false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// generationSubscriber ends its subscription when its handler generation is
// cancelled, and delivers nothing when subscribed after that.
type generationSubscriber struct {
	message.Subscriber
	genCtx context.Context
}

func (g generationSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	if g.genCtx.Err() != nil {
		closed := make(chan *message.Message)
		close(closed)
		return closed, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(g.genCtx, cancel)
	messages, err := g.Subscriber.Subscribe(ctx, topic)
	if err != nil {
		stop()
		cancel()
		return nil, err
	}
	return messages, nil
}
