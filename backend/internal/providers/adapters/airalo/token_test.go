package airalo_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/airalo"
	sim "esimscan/backend/internal/simulators/airalo"
)

func TestClient_token_cachedAcrossCalls(t *testing.T) {
	f := newFixture(t, sim.Options{TokenRequestsPerMinute: 3})
	client := f.client(t)

	for range 10 {
		_, err := client.Balance(context.Background())
		require.NoError(t, err)
	}

	require.Len(t, f.requestsTo(sim.PathToken), 1)
	require.Len(t, f.requestsTo(sim.PathBalance), 10)
	require.Len(t, f.recorder.BearerTokens(), 1)
}

func TestClient_token_formAndBearerHeaders(t *testing.T) {
	f := newFixture(t, sim.Options{})

	_, err := f.client(t).Balance(context.Background())

	require.NoError(t, err)
	sent := f.recorder.Headers()
	require.Len(t, sent, 2)
	require.Equal(t, "application/x-www-form-urlencoded", sent[0].Get("Content-Type"))
	require.Empty(t, sent[0].Get("Authorization"))
	require.Regexp(t, `^Bearer \S+$`, sent[1].Get("Authorization"))
	require.Equal(t, "application/json", sent[1].Get("Accept"))
}

func TestClient_token_refreshedOnceForConcurrentCallers(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	_, err := client.Balance(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, f.sim.RevokeTokens())

	const callers = 20
	var (
		start  = make(chan struct{})
		wg     sync.WaitGroup
		failed atomic.Int32
	)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := client.Balance(context.Background()); err != nil {
				failed.Add(1)
				t.Errorf("balance after revocation: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()

	require.Zero(t, failed.Load())
	require.Len(t, f.requestsTo(sim.PathToken), 2, "the first token and one refresh")
	require.Len(t, f.recorder.BearerTokens(), 2)
	unauthorized := 0
	for _, request := range f.requestsTo(sim.PathBalance) {
		if request.Status == 401 {
			unauthorized++
		}
	}
	require.GreaterOrEqual(t, unauthorized, 1)
	require.LessOrEqual(t, unauthorized, callers, "each caller retries at most once")
}

func TestClient_token_refreshedAfterExpiry(t *testing.T) {
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	f := newFixture(t, sim.Options{TokenLifetime: time.Hour, Now: clock})
	client := f.client(t, airalo.WithClock(clock))

	_, err := client.Balance(context.Background())
	require.NoError(t, err)
	mu.Lock()
	now = now.Add(50 * time.Minute) // inside the hour, less the margin of 5 minutes
	mu.Unlock()
	_, err = client.Balance(context.Background())
	require.NoError(t, err)
	require.Len(t, f.requestsTo(sim.PathToken), 1)

	mu.Lock()
	now = now.Add(6 * time.Minute) // past the refresh point
	mu.Unlock()
	_, err = client.Balance(context.Background())

	require.NoError(t, err)
	require.Len(t, f.requestsTo(sim.PathToken), 2)
	for _, request := range f.requestsTo(sim.PathBalance) {
		require.Equal(t, 200, request.Status, "the token is replaced before the provider rejects it")
	}
}

func TestClient_token_rejectedTwiceIsCredentials(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailUnauthorized, Count: 2, Path: sim.PathBalance})

	_, err := f.client(t).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseCredentials)
	require.Contains(t, failure.Message, "refused the access token")
	require.Len(t, f.requestsTo(sim.PathToken), 2, "one refresh, no loop")
	require.Len(t, f.requestsTo(sim.PathBalance), 2)
}

func TestClient_token_endpointRateLimited(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailRateLimited, Count: 5, Path: sim.PathToken})

	_, err := f.client(t).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseRateLimited)
	require.Contains(t, failure.Message, "token requests are rate limited")
	require.Len(t, f.requestsTo(sim.PathToken), 1, "no quick retry against a limit of a few per minute")
	require.Empty(t, f.requestsTo(sim.PathBalance))
}

func TestClient_token_endpointRetryAfterHonoured(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailRateLimited, RetryAfter: 1, Path: sim.PathToken})

	_, err := f.client(t).Balance(context.Background())

	require.NoError(t, err)
	requests := f.requestsTo(sim.PathToken)
	require.Len(t, requests, 2)
	require.Equal(t, 429, requests[0].Status)
	require.GreaterOrEqual(t, requests[1].At.Sub(requests[0].At), 950*time.Millisecond)
}

func TestClient_token_perMinuteLimitBeyondCap(t *testing.T) {
	f := newFixture(t, sim.Options{TokenRequestsPerMinute: 1})
	_, err := f.client(t).Balance(context.Background()) // takes this minute's only token
	require.NoError(t, err)

	// A second client has its own cache, so it requests a token again.
	_, err = f.client(t).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseRateLimited)
	require.Greater(t, failure.RetryAfter, 5*time.Second, "the simulator asks for the rest of the minute")
	require.Len(t, f.requestsTo(sim.PathToken), 2)
}

func TestClient_token_cancelledWhileWaiting(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailSlow, DelayMS: 5000, Path: sim.PathToken})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()

	_, err := f.client(t).Balance(ctx)

	failure := f.requireFailure(t, err, adapters.CauseTimeout)
	require.Contains(t, failure.Message, "access token")
}
