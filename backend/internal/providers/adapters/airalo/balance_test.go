package airalo_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/airalo"
	sim "esimscan/backend/internal/simulators/airalo"
	"esimscan/backend/money"
)

func TestClient_Balance_amountAndCurrency(t *testing.T) {
	f := newFixture(t, sim.Options{})

	balance, err := f.client(t).Balance(context.Background())

	require.NoError(t, err)
	require.Equal(t, money.New(2480*money.Scale, "USD"), balance.Amount)
	require.Equal(t, "2480.00 USD", balance.Amount.String())
	require.Len(t, f.requestsTo(sim.PathToken), 1)
	require.Len(t, f.requestsTo(sim.PathBalance), 1)
}

func TestClient_Balance_fractionalAmount(t *testing.T) {
	f := newFixture(t, sim.Options{})
	amount, err := money.ParseAmount("12.345")
	require.NoError(t, err)
	f.sim.SetBalance(amount)

	balance, err := f.client(t).Balance(context.Background())

	require.NoError(t, err)
	require.Equal(t, amount, balance.Amount.Amount)
	require.Equal(t, "12.345", balance.Amount.Amount.String())
}

func TestClient_Balance_wrongClientSecret(t *testing.T) {
	f := newFixture(t, sim.Options{})
	settings := f.settings()
	settings.Credentials = map[string]string{"client_id": f.clientID, "client_secret": "secret-wrong"}

	_, err := f.clientWith(t, settings).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseCredentials)
	require.Contains(t, failure.Message, "refused the client secret")
	require.NotContains(t, err.Error(), "secret-wrong")
	require.Len(t, f.requestsTo(sim.PathToken), 1, "a rejected secret is not retried")
	require.Empty(t, f.requestsTo(sim.PathBalance))
}

func TestClient_Balance_unknownClientID(t *testing.T) {
	f := newFixture(t, sim.Options{})
	settings := f.settings()
	settings.Credentials = map[string]string{"client_id": "id-unknown", "client_secret": f.clientSecret}

	_, err := f.clientWith(t, settings).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseCredentials)
	require.Contains(t, failure.Message, "refused the client id (HTTP 422")
	require.Contains(t, failure.Message, "client_id: The selected client id is invalid.")
	require.NotContains(t, err.Error(), "id-unknown")
}

func TestClient_Balance_wrongPath(t *testing.T) {
	f := newFixture(t, sim.Options{})
	settings := f.settings()
	settings.BaseURL = f.sim.URL // without /v2

	_, err := f.clientWith(t, settings).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseNotFound)
	require.Contains(t, failure.Message, "no API at /token")
	require.Contains(t, failure.Message, "check the base URL")
}

func TestClient_Balance_closedPort(t *testing.T) {
	f := newFixture(t, sim.Options{})
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedURL := "http://" + listener.Addr().String() + "/v2"
	require.NoError(t, listener.Close())
	settings := f.settings()
	settings.BaseURL = closedURL

	_, err = f.clientWith(t, settings).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseUnreachable)
	require.Contains(t, failure.Message, "connection refused")
}

func TestClient_Balance_slowAnswerTimesOut(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailSlow, DelayMS: 5000, Path: sim.PathBalance})
	client := f.client(t, airalo.WithTimeouts(200*time.Millisecond, time.Second))

	_, err := client.Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseTimeout)
	require.Contains(t, failure.Message, "no response within 200ms")
}

func TestClient_Balance_retriesAfterRateLimit(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailRateLimited, RetryAfter: 1, Path: sim.PathBalance})

	balance, err := f.client(t).Balance(context.Background())

	require.NoError(t, err)
	require.Equal(t, "2480.00 USD", balance.Amount.String())
	requests := f.requestsTo(sim.PathBalance)
	require.Len(t, requests, 2)
	require.Equal(t, 429, requests[0].Status)
	require.Equal(t, 200, requests[1].Status)
	// Retry-After is whole seconds; allow for the clock granularity.
	require.GreaterOrEqual(t, requests[1].At.Sub(requests[0].At), 950*time.Millisecond)
}

func TestClient_Balance_rateLimitedAfterRetries(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailRateLimited, Count: 5, Path: sim.PathBalance})

	_, err := f.client(t).Balance(context.Background())

	f.requireFailure(t, err, adapters.CauseRateLimited)
	require.Len(t, f.requestsTo(sim.PathBalance), 3)
}

func TestClient_Balance_serverErrorAfterThreeAttempts(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Count: 3, Path: sim.PathBalance})

	_, err := f.client(t).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseServerError)
	require.Contains(t, failure.Message, "after 3 attempts")
	require.Len(t, f.requestsTo(sim.PathBalance), 3)
}

func TestClient_Balance_malformedJSON(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailMalformed, Path: sim.PathBalance})

	_, err := f.client(t).Balance(context.Background())

	f.requireFailure(t, err, adapters.CauseBadResponse)
}

func TestClient_Balance_htmlPage(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailHTML, Path: sim.PathBalance})

	_, err := f.client(t).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseBadResponse)
	require.Contains(t, failure.Message, "HTML page")
}

func TestClient_Balance_hourlyLimit(t *testing.T) {
	f := newFixture(t, sim.Options{})
	settings := f.settings()
	settings.RateLimitPerHour = 3 // the token request and two balance calls
	client := f.clientWith(t, settings)

	for range 2 {
		_, err := client.Balance(context.Background())
		require.NoError(t, err)
	}
	_, err := client.Balance(context.Background())

	f.requireFailure(t, err, adapters.CauseRateLimited)
	require.Len(t, f.requestsTo(sim.PathBalance), 2)
}
