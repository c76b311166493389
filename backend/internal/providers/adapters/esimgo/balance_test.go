package esimgo_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/esimgo"
	"esimscan/backend/internal/providers/adapters/httpx"
	sim "esimscan/backend/internal/simulators/esimgo"
)

func TestClient_Balance_sample(t *testing.T) {
	f := newFixture(t, sim.Options{})

	balance, err := f.client(t).Balance(context.Background())

	require.NoError(t, err)
	require.Equal(t, usd(t, "3125.6"), balance.Amount)
	require.Equal(t, "3125.60 USD", balance.Amount.String())
	sent := f.recorder.Last()
	require.Equal(t, f.apiKey, sent.Header.Get("X-API-Key"))
	require.Equal(t, "application/json", sent.Header.Get("Accept"))
	require.Empty(t, sent.URL.RawQuery, "the key never goes in the query")
	require.Equal(t, "/v2.4/organisation", sent.URL.Path)
}

func TestClient_Balance_organisationCurrency(t *testing.T) {
	f := newFixture(t, sim.Options{Balance: "0.125", Currency: "eur"})

	balance, err := f.client(t).Balance(context.Background())

	require.NoError(t, err)
	require.Equal(t, "EUR", balance.Amount.Currency)
	require.Equal(t, amount(t, "0.125"), balance.Amount.Amount)
}

func TestClient_Balance_wrongKeyIs403(t *testing.T) {
	f := newFixture(t, sim.Options{})
	settings := f.settings()
	settings.Credentials = map[string]string{"api_key": "key-wrong"}

	_, err := f.clientWith(t, settings).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseCredentials)
	require.Contains(t, failure.Message, "rejected credentials (HTTP 403: Forbidden")
	require.Contains(t, failure.Message, "check api_key")
	require.Len(t, f.requestsTo("GET", sim.PathOrganisation), 1, "a rejected key is not retried")
}

func TestClient_Balance_unauthorizedStatus(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailUnauthorized})

	_, err := f.client(t).Balance(context.Background())

	f.requireFailure(t, err, adapters.CauseCredentials)
}

func TestClient_Balance_wrongPath(t *testing.T) {
	f := newFixture(t, sim.Options{})
	settings := f.settings()
	settings.Advanced = map[string]string{"balance_path": "/organization"}

	_, err := f.clientWith(t, settings).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseNotFound)
	require.Contains(t, failure.Message, "no API at /v2.4/organization")
}

func TestClient_Balance_closedPort(t *testing.T) {
	f := newFixture(t, sim.Options{})
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedURL := "http://" + listener.Addr().String()
	require.NoError(t, listener.Close())
	settings := f.settings()
	settings.BaseURL = closedURL

	_, err = f.clientWith(t, settings).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseUnreachable)
	require.Contains(t, failure.Message, "connection refused")
}

func TestClient_Balance_slowAnswerTimesOut(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailSlow, DelayMS: 5000})
	client := f.client(t, esimgo.WithTimeouts(200*time.Millisecond, time.Second))

	_, err := client.Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseTimeout)
	require.Contains(t, failure.Message, "no response within 200ms")
}

func TestClient_Balance_retriesAfterRateLimit(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailRateLimited, RetryAfter: 1})

	_, err := f.client(t).Balance(context.Background())

	require.NoError(t, err)
	requests := f.requestsTo("GET", sim.PathOrganisation)
	require.Len(t, requests, 2)
	require.Equal(t, 429, requests[0].Status)
	require.Equal(t, 200, requests[1].Status)
	// Retry-After is whole seconds; allow for the clock granularity.
	require.GreaterOrEqual(t, requests[1].At.Sub(requests[0].At), 950*time.Millisecond)
}

func TestClient_Balance_rateLimitedAfterRetries(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailRateLimited, Count: 5})

	_, err := f.client(t).Balance(context.Background())

	f.requireFailure(t, err, adapters.CauseRateLimited)
	require.Len(t, f.requestsTo("GET", sim.PathOrganisation), 3)
}

func TestClient_Balance_serverErrorAfterThreeAttempts(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Count: 3})

	_, err := f.client(t).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseServerError)
	require.Contains(t, failure.Message, "after 3 attempts")
	require.Len(t, f.requestsTo("GET", sim.PathOrganisation), 3)
}

func TestClient_Balance_retriesProcessing503(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailUnavailable, Count: 2})

	_, err := f.client(t).Balance(context.Background())

	require.NoError(t, err)
	require.Len(t, f.requestsTo("GET", sim.PathOrganisation), 3)
}

func TestClient_Balance_malformedJSON(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailMalformed})

	_, err := f.client(t).Balance(context.Background())

	f.requireFailure(t, err, adapters.CauseBadResponse)
}

func TestClient_Balance_htmlPage(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailHTML})

	_, err := f.client(t).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseBadResponse)
	require.Contains(t, failure.Message, "HTML page")
}

func TestClient_Balance_hourlyLimit(t *testing.T) {
	f := newFixture(t, sim.Options{})
	settings := f.settings()
	settings.RateLimitPerHour = 2
	client := f.clientWith(t, settings)

	for range 2 {
		_, err := client.Balance(context.Background())
		require.NoError(t, err)
	}
	_, err := client.Balance(context.Background())

	f.requireFailure(t, err, adapters.CauseRateLimited)
	require.Len(t, f.requestsTo("GET", sim.PathOrganisation), 2)
}

func TestClient_Balance_customLimiter(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t, esimgo.WithLimiter(httpx.NewHourlyLimiter(0, nil)))

	_, err := client.Balance(context.Background())

	f.requireFailure(t, err, adapters.CauseRateLimited)
	require.Empty(t, f.requestsTo("GET", sim.PathOrganisation))
}
