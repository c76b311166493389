package usage_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/orders/usage"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/providers/adapters"
)

// redisServers returns a miniredis client, and a client of the real Redis
// at REDIS_TEST_URL when that is set, by name.
func redisServers(t *testing.T) map[string]redis.UniversalClient {
	t.Helper()
	mini := miniredis.RunT(t)
	miniClient := redis.NewClient(&redis.Options{Addr: mini.Addr()})
	t.Cleanup(func() { _ = miniClient.Close() })
	servers := map[string]redis.UniversalClient{"miniredis": miniClient}

	url := os.Getenv("REDIS_TEST_URL")
	if url == "" {
		t.Log("REDIS_TEST_URL is unset, so the real-Redis cases are skipped")
		return servers
	}
	options, err := redis.ParseURL(url)
	require.NoError(t, err, "parse REDIS_TEST_URL")
	realClient := redis.NewClient(options)
	t.Cleanup(func() { _ = realClient.Close() })
	require.NoError(t, realClient.Ping(context.Background()).Err(), "ping REDIS_TEST_URL")
	servers["redis"] = realClient
	return servers
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakeReader is a provider client that reports usage, counting calls. Each
// call returns the next error of fail, if any, and takes delay.
type fakeReader struct {
	calls atomic.Int64
	delay time.Duration
	mu    sync.Mutex
	fail  []error
	used  int64
	asOf  time.Time
}

func (f *fakeReader) Balance(context.Context) (adapters.Balance, error) {
	return adapters.Balance{}, nil
}
func (f *fakeReader) ListPackages(context.Context, func(adapters.Package) error) error {
	return nil
}
func (f *fakeReader) Order(context.Context, adapters.OrderRequest) (adapters.OrderResult, error) {
	return adapters.OrderResult{}, nil
}
func (f *fakeReader) QueryOrder(context.Context, string) (adapters.OrderResult, error) {
	return adapters.OrderResult{}, nil
}

func (f *fakeReader) Usage(ctx context.Context, iccid string) (adapters.Usage, error) {
	f.calls.Add(1)
	select {
	case <-time.After(f.delay):
	case <-ctx.Done():
		return adapters.Usage{}, ctx.Err()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.fail) > 0 {
		err := f.fail[0]
		f.fail = f.fail[1:]
		return adapters.Usage{}, err
	}
	total, used := int64(1024), f.used
	remaining := total - used
	return adapters.Usage{
		TotalMB: &total, UsedMB: &used, RemainingMB: &remaining,
		Status: adapters.UsageStatusActive, AsOf: f.asOf,
	}, nil
}

func (f *fakeReader) set(used int64, asOf time.Time, fail ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.used, f.asOf, f.fail = used, asOf, fail
}

// plainClient is a provider client that reports no usage.
type plainClient struct{ adapters.Client }

type clients map[string]adapters.Client

func (c clients) ClientFor(_ context.Context, slug string) (adapters.Client, error) {
	client, ok := c[slug]
	if !ok {
		return nil, errors.New("provider " + slug + " is not configured")
	}
	return client, nil
}

type fixture struct {
	cache  *usage.Cache
	reader *fakeReader
	clock  *clock
	iccid  string
}

func newFixture(rdb redis.UniversalClient, slug string) *fixture {
	f := &fixture{
		reader: &fakeReader{},
		clock:  &clock{now: time.Date(2026, 6, 13, 8, 0, 0, 0, time.UTC)},
		iccid:  "8999" + uuid.NewString()[:8],
	}
	f.reader.set(100, f.clock.Now().Add(-2*time.Hour))
	f.cache = usage.New(rdb, clients{slug: f.reader, "plain": plainClient{}}, usage.Options{
		Now: f.clock.Now, Logger: zerolog.Nop(),
	})
	return f
}

func requireAppError(t *testing.T, err error, code string) {
	t.Helper()
	appErr, ok := apperr.As(err)
	require.True(t, ok, "error %v is not an apperr.Error", err)
	require.Equal(t, code, appErr.Code)
}

func TestCache_secondCallWithinIntervalCallsNoProvider(t *testing.T) {
	for name, rdb := range redisServers(t) {
		t.Run(name, func(t *testing.T) {
			f := newFixture(rdb, "esim-access")
			ctx := context.Background()

			first, err := f.cache.Usage(ctx, "esim-access", f.iccid)
			require.NoError(t, err)
			f.reader.set(300, f.clock.Now())
			f.clock.Advance(usage.DefaultInterval - time.Second)
			second, err := f.cache.Usage(ctx, "esim-access", f.iccid)
			require.NoError(t, err)

			require.Equal(t, int64(1), f.reader.calls.Load())
			require.Equal(t, first, second)
			require.Equal(t, int64(100), *second.UsedMB)

			f.clock.Advance(2 * time.Second)
			third, err := f.cache.Usage(ctx, "esim-access", f.iccid)
			require.NoError(t, err)
			require.Equal(t, int64(2), f.reader.calls.Load(), "a value older than the interval is read again")
			require.Equal(t, int64(300), *third.UsedMB)
		})
	}
}

func TestCache_airaloIntervalIsFifteenMinutes(t *testing.T) {
	for name, rdb := range redisServers(t) {
		t.Run(name, func(t *testing.T) {
			f := newFixture(rdb, "airalo")
			ctx := context.Background()

			_, err := f.cache.Usage(ctx, "airalo", f.iccid)
			require.NoError(t, err)
			f.clock.Advance(14 * time.Minute)
			_, err = f.cache.Usage(ctx, "airalo", f.iccid)
			require.NoError(t, err)
			require.Equal(t, int64(1), f.reader.calls.Load())

			f.clock.Advance(time.Minute)
			_, err = f.cache.Usage(ctx, "airalo", f.iccid)
			require.NoError(t, err)
			require.Equal(t, int64(2), f.reader.calls.Load())
		})
	}
}

func TestCache_concurrentCallsMakeOneProviderCall(t *testing.T) {
	for name, rdb := range redisServers(t) {
		t.Run(name, func(t *testing.T) {
			f := newFixture(rdb, "esim-access")
			f.reader.delay = 50 * time.Millisecond
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			var wg sync.WaitGroup
			errs := make(chan error, 20)
			for range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					usage, err := f.cache.Usage(ctx, "esim-access", f.iccid)
					if err == nil && *usage.UsedMB != 100 {
						err = errors.New("wrong usage")
					}
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			require.Equal(t, int64(1), f.reader.calls.Load())
		})
	}
}

func TestCache_providerErrorServesStaleValue(t *testing.T) {
	for name, rdb := range redisServers(t) {
		t.Run(name, func(t *testing.T) {
			f := newFixture(rdb, "esim-access")
			ctx := context.Background()
			first, err := f.cache.Usage(ctx, "esim-access", f.iccid)
			require.NoError(t, err)

			f.clock.Advance(time.Hour)
			f.reader.set(500, f.clock.Now(), &adapters.Error{Cause: adapters.CauseRateLimited, Message: "429"})
			stale, err := f.cache.Usage(ctx, "esim-access", f.iccid)

			require.NoError(t, err)
			require.Equal(t, int64(2), f.reader.calls.Load())
			require.Equal(t, first.AsOf, stale.AsOf)
			require.Equal(t, int64(100), *stale.UsedMB)

			fresh, err := f.cache.Usage(ctx, "esim-access", f.iccid)
			require.NoError(t, err)
			require.Equal(t, int64(3), f.reader.calls.Load(), "a stale value is not fresh again after an error")
			require.Equal(t, int64(500), *fresh.UsedMB)
		})
	}
}

func TestCache_providerErrorWithoutValueIsUnavailable(t *testing.T) {
	for name, rdb := range redisServers(t) {
		t.Run(name, func(t *testing.T) {
			f := newFixture(rdb, "esim-access")
			f.reader.set(0, time.Time{}, &adapters.Error{Cause: adapters.CauseServerError, Message: "500"})

			_, err := f.cache.Usage(context.Background(), "esim-access", f.iccid)

			requireAppError(t, err, usage.CodeUnavailable)
		})
	}
}

func TestCache_providerWithoutUsageIsNotSupported(t *testing.T) {
	f := newFixture(redisServers(t)["miniredis"], "esim-access")

	_, err := f.cache.Usage(context.Background(), "plain", f.iccid)
	requireAppError(t, err, usage.CodeNotSupported)

	_, err = f.cache.Usage(context.Background(), "not-connected", f.iccid)
	requireAppError(t, err, usage.CodeNotSupported)
	require.Zero(t, f.reader.calls.Load())
}

func TestCache_zeroAsOfTakesTheReadTime(t *testing.T) {
	f := newFixture(redisServers(t)["miniredis"], "esim-access")
	f.reader.set(100, time.Time{})

	got, err := f.cache.Usage(context.Background(), "esim-access", f.iccid)

	require.NoError(t, err)
	require.Equal(t, f.clock.Now(), got.AsOf)
}
