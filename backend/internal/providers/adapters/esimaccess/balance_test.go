package esimaccess_test

import (
	"context"
	"net"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/esimaccess"
	"esimscan/backend/internal/providers/adapters/httpx"
	sim "esimscan/backend/internal/simulators/esimaccess"
	"esimscan/backend/money"
)

func TestClient_Balance_signed(t *testing.T) {
	f := newFixture(t, sim.Options{})

	balance, err := f.client(t).Balance(context.Background())

	require.NoError(t, err)
	want, err := money.FromScaled(1_257_500, 4)
	require.NoError(t, err)
	require.Equal(t, money.New(want, "USD"), balance.Amount)
	require.Equal(t, "125.75 USD", balance.Amount.String())
	sent := f.recorder.Last().Header
	require.Equal(t, f.accessCode, sent.Get("RT-AccessCode"))
	require.Regexp(t, regexp.MustCompile(`^[0-9a-f]{32}$`), sent.Get("RT-RequestID"))
	require.Regexp(t, regexp.MustCompile(`^[0-9]{13}$`), sent.Get("RT-Timestamp"))
	require.Regexp(t, regexp.MustCompile(`^[0-9A-F]{64}$`), sent.Get("RT-Signature"))
}

func TestClient_Balance_unsignedWithoutSecretKey(t *testing.T) {
	f := newFixture(t, sim.Options{})
	settings := f.settings()
	settings.Credentials = map[string]string{"access_code": f.accessCode}

	_, err := f.clientWith(t, settings).Balance(context.Background())

	require.NoError(t, err)
	require.Empty(t, f.recorder.Last().Header.Get("RT-Signature"))
	require.Empty(t, f.recorder.Last().Header.Get("RT-Timestamp"))
}

func TestClient_Balance_wrongAccessCode(t *testing.T) {
	f := newFixture(t, sim.Options{})
	settings := f.settings()
	settings.Credentials = map[string]string{"access_code": "ac-wrong", "secret_key": f.secretKey}

	_, err := f.clientWith(t, settings).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseCredentials)
	require.Contains(t, failure.Message, "rejected credentials")
}

func TestClient_Balance_wrongSecretKey(t *testing.T) {
	f := newFixture(t, sim.Options{})
	settings := f.settings()
	settings.Credentials = map[string]string{"access_code": f.accessCode, "secret_key": "sk-wrong"}

	_, err := f.clientWith(t, settings).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseCredentials)
	require.Contains(t, failure.Message, "signature mismatch: check the secret key")
	require.Len(t, f.requestsTo(sim.PathBalance), 1, "a rejected signature is not retried")
}

func TestClient_Balance_clockSkewExpires(t *testing.T) {
	f := newFixture(t, sim.Options{})
	skewed := func() time.Time { return time.Now().Add(-time.Hour) }

	_, err := f.client(t, esimaccess.WithClock(skewed)).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseCredentials)
	require.Contains(t, failure.Message, "timestamp expired")
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
	settings.Advanced = map[string]string{"balance_path": "/api/v1/open/getMerchantBalance"}

	_, err := f.clientWith(t, settings).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseNotFound)
	require.Contains(t, failure.Message, "no API at /api/v1/open/getMerchantBalance")
	require.Contains(t, failure.Message, "check the base URL and the path for this API version")
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
	client := f.client(t, esimaccess.WithTimeouts(200*time.Millisecond, time.Second))

	_, err := client.Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseTimeout)
	require.Contains(t, failure.Message, "no response within 200ms")
}

func TestClient_Balance_retriesAfterRateLimit(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailRateLimited, RetryAfter: 1})

	_, err := f.client(t).Balance(context.Background())

	require.NoError(t, err)
	requests := f.requestsTo(sim.PathBalance)
	require.Len(t, requests, 2)
	require.Equal(t, 429, requests[0].Status)
	require.Equal(t, 200, requests[1].Status)
	// Retry-After is whole seconds; allow for the clock granularity.
	require.GreaterOrEqual(t, requests[1].At.Sub(requests[0].At), 950*time.Millisecond)
}

func TestClient_Balance_retryAfterBeyondCap(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailRateLimited, RetryAfter: 120, Count: 5})

	_, err := f.client(t).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseRateLimited)
	require.Equal(t, 120*time.Second, failure.RetryAfter)
	require.Len(t, f.requestsTo(sim.PathBalance), 1)
}

func TestClient_Balance_rateLimitedAfterRetries(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailRateLimited, Count: 5})

	_, err := f.client(t).Balance(context.Background())

	f.requireFailure(t, err, adapters.CauseRateLimited)
	require.Len(t, f.requestsTo(sim.PathBalance), 3)
}

func TestClient_Balance_serverErrorAfterThreeAttempts(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Count: 3})

	_, err := f.client(t).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseServerError)
	require.Contains(t, failure.Message, "after 3 attempts")
	require.Len(t, f.requestsTo(sim.PathBalance), 3)
}

func TestClient_Balance_retriesSystemBusy(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailBusy, Count: 2})

	_, err := f.client(t).Balance(context.Background())

	require.NoError(t, err)
	require.Len(t, f.requestsTo(sim.PathBalance), 3)
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
	require.Len(t, f.requestsTo(sim.PathBalance), 2)
}

func TestClient_Balance_customLimiter(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t, esimaccess.WithLimiter(httpx.NewHourlyLimiter(0, nil)))

	_, err := client.Balance(context.Background())

	f.requireFailure(t, err, adapters.CauseRateLimited)
	require.Empty(t, f.requestsTo(sim.PathBalance))
}
