// Package usage serves the data use of issued eSIMs from a Redis cache, so
// that buyers reloading their order page do not run into the providers'
// per-ICCID limits. A value is served while it is younger than its
// provider's minimum interval. When a provider call fails, the last value is
// served with its old "as of" time.
package usage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/providers/adapters"
)

// Error codes of the API.
const (
	CodeNotSupported = "usage_not_supported"
	CodeUnavailable  = "usage_unavailable"
)

// Minimum intervals between two provider calls for one eSIM. Airalo allows
// one usage call per ICCID every 15 minutes.
const (
	DefaultInterval = 5 * time.Minute
	AiraloInterval  = 15 * time.Minute
)

// keyPrefix starts every cache key; the provider slug and the ICCID follow.
const keyPrefix = "esimscan:usage:"

// keepFor is how long a value stays in Redis, to be served when the
// provider fails long after the last successful call.
const keepFor = 30 * 24 * time.Hour

// callTimeout bounds one provider call, which runs apart from the request
// that started it so that the requests waiting for it are not cut short.
const callTimeout = 30 * time.Second

// Clients returns the configured API client of a provider, by slug. The
// providers application's Service implements it.
type Clients interface {
	ClientFor(ctx context.Context, slug string) (adapters.Client, error)
}

// Options configure a Cache. Intervals override the minimum interval by
// provider slug; a provider without one takes AiraloInterval for "airalo"
// and DefaultInterval otherwise. Now is the clock; nil means time.Now.
type Options struct {
	Intervals map[string]time.Duration
	Now       func() time.Time
	Logger    zerolog.Logger
}

// Cache serves eSIM usage. It is safe for concurrent use.
type Cache struct {
	redis     redis.Cmdable
	clients   Clients
	intervals map[string]time.Duration
	now       func() time.Time
	logger    zerolog.Logger

	mu      sync.Mutex
	flights map[string]*flight // provider calls in progress, by key
}

// flight is one provider call that concurrent requests for the same eSIM
// share.
type flight struct {
	done  chan struct{}
	usage adapters.Usage
	err   error
}

// New returns a Cache keeping its values in rdb.
func New(rdb redis.Cmdable, clients Clients, opts Options) *Cache {
	intervals := map[string]time.Duration{"airalo": AiraloInterval}
	for slug, interval := range opts.Intervals {
		intervals[slug] = interval
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Cache{
		redis:     rdb,
		clients:   clients,
		intervals: intervals,
		now:       opts.Now,
		logger:    opts.Logger.With().Str("component", "usage").Logger(),
		flights:   map[string]*flight{},
	}
}

// Interval returns the minimum interval between two calls to a provider
// for one eSIM.
func (c *Cache) Interval(provider string) time.Duration {
	if interval, ok := c.intervals[provider]; ok {
		return interval
	}
	return DefaultInterval
}

// entry is a cached value: the usage and when esimScan read it from the
// provider, which decides freshness. The usage's own AsOf is when the
// provider measured it, which can be hours earlier.
type entry struct {
	TotalMB     *int64     `json:"total_mb"`
	UsedMB      *int64     `json:"used_mb"`
	RemainingMB *int64     `json:"remaining_mb"`
	ExpiresAt   *time.Time `json:"expires_at"`
	Status      string     `json:"status"`
	AsOf        time.Time  `json:"as_of"`
	FetchedAt   time.Time  `json:"fetched_at"`
}

func (e entry) usage() adapters.Usage {
	return adapters.Usage{
		TotalMB: e.TotalMB, UsedMB: e.UsedMB, RemainingMB: e.RemainingMB,
		ExpiresAt: e.ExpiresAt, Status: e.Status, AsOf: e.AsOf,
	}
}

func newEntry(usage adapters.Usage, fetchedAt time.Time) entry {
	return entry{
		TotalMB: usage.TotalMB, UsedMB: usage.UsedMB, RemainingMB: usage.RemainingMB,
		ExpiresAt: usage.ExpiresAt, Status: usage.Status, AsOf: usage.AsOf.UTC(), FetchedAt: fetchedAt.UTC(),
	}
}

func key(provider, iccid string) string { return keyPrefix + provider + ":" + iccid }

// Usage returns the data use of the eSIM with this ICCID at the provider.
// It reads from the cache while the value is younger than the
// provider's interval, and makes at most one provider call at a time per
// eSIM in this process. It returns a Conflict "usage_not_supported" when
// the provider is not connected or reports no usage, and an Unavailable
// "usage_unavailable" when the provider call fails and nothing is cached.
func (c *Cache) Usage(ctx context.Context, provider, iccid string) (adapters.Usage, error) {
	reader, err := c.readerFor(ctx, provider)
	if err != nil {
		return adapters.Usage{}, err
	}
	cacheKey := key(provider, iccid)
	if cached, ok := c.load(ctx, cacheKey); ok && c.fresh(provider, cached) {
		return cached.usage(), nil
	}

	c.mu.Lock()
	call, inFlight := c.flights[cacheKey]
	if !inFlight {
		call = &flight{done: make(chan struct{})}
		c.flights[cacheKey] = call
	}
	c.mu.Unlock()
	if !inFlight {
		go c.fetch(context.WithoutCancel(ctx), call, cacheKey, reader, provider, iccid)
	}
	select {
	case <-call.done:
		return call.usage, call.err
	case <-ctx.Done():
		return adapters.Usage{}, fmt.Errorf("wait for usage of %s: %w", iccid, ctx.Err())
	}
}

// fetch runs one flight: it reads the cache again, since a flight that
// just ended may have filled it, then calls the provider and stores the
// result, or falls back to the cached value.
func (c *Cache) fetch(ctx context.Context, call *flight, cacheKey string, reader adapters.UsageReader, provider, iccid string) {
	defer func() {
		c.mu.Lock()
		delete(c.flights, cacheKey)
		c.mu.Unlock()
		close(call.done)
	}()
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()

	cached, haveCached := c.load(ctx, cacheKey)
	if haveCached && c.fresh(provider, cached) {
		call.usage = cached.usage()
		return
	}
	fetchedAt := c.now()
	usage, err := reader.Usage(ctx, iccid)
	if err != nil {
		c.logger.Warn().Err(err).Str("provider", provider).Str("iccid", iccid).
			Bool("stale_served", haveCached).Msg("usage call failed")
		if haveCached {
			call.usage = cached.usage()
			return
		}
		call.err = &apperr.Error{
			Kind: apperr.KindUnavailable, Code: CodeUnavailable,
			Message: "the provider did not report the usage of this eSIM; try again later", Err: err,
		}
		return
	}
	if usage.AsOf.IsZero() {
		usage.AsOf = fetchedAt.UTC()
	}
	call.usage = usage
	c.store(ctx, cacheKey, newEntry(usage, fetchedAt))
}

// readerFor returns the provider's client when it reports usage.
func (c *Cache) readerFor(ctx context.Context, provider string) (adapters.UsageReader, error) {
	if c.clients == nil {
		return nil, notSupported("usage needs the provider's API, which is not wired")
	}
	client, err := c.clients.ClientFor(ctx, provider)
	if err != nil {
		c.logger.Info().Err(err).Str("provider", provider).Msg("provider client for usage is not usable")
		return nil, notSupported("the provider of this order is not connected")
	}
	reader, ok := client.(adapters.UsageReader)
	if !ok {
		return nil, notSupported("the provider of this order does not report usage")
	}
	return reader, nil
}

// NotSupported returns the Conflict "usage_not_supported" with message.
func NotSupported(message string) error { return notSupported(message) }

func notSupported(message string) error {
	return apperr.Conflict(CodeNotSupported, message)
}

func (c *Cache) fresh(provider string, cached entry) bool {
	age := c.now().Sub(cached.FetchedAt)
	return age >= 0 && age < c.Interval(provider)
}

// load returns the cached entry. A Redis failure counts as a miss, so usage
// still works while Redis is down, one provider call at a time.
func (c *Cache) load(ctx context.Context, cacheKey string) (entry, bool) {
	data, err := c.redis.Get(ctx, cacheKey).Bytes()
	if errors.Is(err, redis.Nil) {
		return entry{}, false
	}
	if err != nil {
		c.logger.Warn().Err(err).Str("key", cacheKey).Msg("reading cached usage failed")
		return entry{}, false
	}
	var cached entry
	if err := json.Unmarshal(data, &cached); err != nil {
		c.logger.Warn().Err(err).Str("key", cacheKey).Msg("cached usage is not readable; calling the provider")
		return entry{}, false
	}
	return cached, true
}

func (c *Cache) store(ctx context.Context, cacheKey string, value entry) {
	data, err := json.Marshal(value)
	if err != nil {
		c.logger.Error().Err(err).Str("key", cacheKey).Msg("encoding usage failed")
		return
	}
	if err := c.redis.Set(ctx, cacheKey, data, keepFor).Err(); err != nil {
		c.logger.Warn().Err(err).Str("key", cacheKey).Msg("caching usage failed")
	}
}
