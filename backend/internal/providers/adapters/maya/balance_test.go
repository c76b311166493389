package maya_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
	"esimscan/backend/internal/providers/adapters/maya"
	sim "esimscan/backend/internal/simulators/maya"
	"esimscan/backend/money"
)

func TestClient_Balance_basicAuth(t *testing.T) {
	f := newFixture(t, sim.Options{})

	balance, err := f.client(t).Balance(context.Background())

	require.NoError(t, err)
	want, err := money.ParseAmount("1840.25")
	require.NoError(t, err)
	require.Equal(t, money.New(want, "USD"), balance.Amount)
	require.Equal(t, "1840.25 USD", balance.Amount.String())
	sent := f.recorder.Last().Header
	require.Equal(t, f.basicHeader(), sent.Get("Authorization"))
	require.Equal(t, "application/json", sent.Get("Accept"))
	require.Len(t, f.requestsTo(http.MethodGet, sim.PathBalance), 1)
}

func TestClient_Balance_bearerMode(t *testing.T) {
	f := newFixture(t, sim.Options{AllowBearer: true})
	settings := f.settings()
	settings.Credentials = map[string]string{"api_key": f.apiKey, "auth_mode": "bearer"}

	_, err := f.clientWith(t, settings).Balance(context.Background())

	require.NoError(t, err)
	require.Equal(t, "Bearer "+f.apiKey, f.recorder.Last().Header.Get("Authorization"))
}

func TestClient_Balance_bearerRejected(t *testing.T) {
	f := newFixture(t, sim.Options{})
	settings := f.settings()
	settings.Credentials = map[string]string{"api_key": f.apiKey, "api_secret": f.apiSecret, "auth_mode": "bearer"}

	_, err := f.clientWith(t, settings).Balance(context.Background())

	f.requireFailure(t, err, adapters.CauseCredentials)
}

func TestClient_Balance_wrongSecret(t *testing.T) {
	f := newFixture(t, sim.Options{})
	settings := f.settings()
	settings.Credentials = map[string]string{"api_key": f.apiKey, "api_secret": "secret-wrong"}

	_, err := f.clientWith(t, settings).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseCredentials)
	require.Contains(t, failure.Message, "rejected credentials (HTTP 401")
	require.Contains(t, failure.Message, "The API key or secret is not valid.")
	require.NotContains(t, err.Error(), "secret-wrong")
	require.Len(t, f.requestsTo(http.MethodGet, sim.PathBalance), 1, "rejected credentials are not retried")
}

func TestClient_Balance_forbidden(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailForbidden})

	_, err := f.client(t).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseCredentials)
	require.Contains(t, failure.Message, "HTTP 403")
}

func TestClient_Balance_fallsBackToProducts(t *testing.T) {
	f := newFixture(t, sim.Options{NoBalanceEndpoint: true})

	balance, err := f.client(t).Balance(context.Background())

	require.NoError(t, err)
	require.Zero(t, balance.Amount.Amount)
	require.Empty(t, balance.Amount.Currency, "no currency: balance not available")
	require.Len(t, f.requestsTo(http.MethodGet, sim.PathBalance), 1)
	products := f.requestsTo(http.MethodGet, sim.PathProducts)
	require.Len(t, products, 1)
	require.Equal(t, "country=us", products[0].Query)
	require.Equal(t, http.StatusOK, products[0].Status)
}

func TestClient_Balance_fallbackRejectsCredentials(t *testing.T) {
	f := newFixture(t, sim.Options{NoBalanceEndpoint: true})
	settings := f.settings()
	settings.Credentials = map[string]string{"api_key": "key-wrong", "api_secret": f.apiSecret}

	_, err := f.clientWith(t, settings).Balance(context.Background())

	f.requireFailure(t, err, adapters.CauseCredentials)
}

func TestClient_Balance_overriddenPathNotFound(t *testing.T) {
	f := newFixture(t, sim.Options{})
	settings := f.settings()
	settings.Advanced = map[string]string{"balance_path": "/account/wallet"}

	_, err := f.clientWith(t, settings).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseNotFound)
	require.Contains(t, failure.Message, "no API at /connectivity/v1/account/wallet")
	require.Empty(t, f.requestsTo(http.MethodGet, sim.PathProducts), "no fallback for an explicit path")
}

func TestClient_Balance_wrongBaseURL(t *testing.T) {
	f := newFixture(t, sim.Options{})
	settings := f.settings()
	settings.BaseURL = f.sim.URL + "/partners/v1"

	_, err := f.clientWith(t, settings).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseNotFound)
	require.Contains(t, failure.Message, "no API at /partners/v1/account/products")
	require.Contains(t, err.Error(), "product list fallback failed")
}

func TestClient_Balance_closedPort(t *testing.T) {
	f := newFixture(t, sim.Options{})
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedURL := "http://" + listener.Addr().String() + sim.PathPrefix
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
	client := f.client(t, maya.WithTimeouts(200*time.Millisecond, time.Second))

	_, err := client.Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseTimeout)
	require.Contains(t, failure.Message, "no response within 200ms")
}

func TestClient_Balance_retriesAfterRateLimit(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailRateLimited, RetryAfter: 1})

	balance, err := f.client(t).Balance(context.Background())

	require.NoError(t, err)
	require.Equal(t, "1840.25 USD", balance.Amount.String())
	requests := f.requestsTo(http.MethodGet, sim.PathBalance)
	require.Len(t, requests, 2)
	require.Equal(t, http.StatusTooManyRequests, requests[0].Status)
	require.Equal(t, http.StatusOK, requests[1].Status)
	// Retry-After is whole seconds; allow for the clock granularity.
	require.GreaterOrEqual(t, requests[1].At.Sub(requests[0].At), 950*time.Millisecond)
}

func TestClient_Balance_retryAfterBeyondCap(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailRateLimited, RetryAfter: 120, Count: 5})

	_, err := f.client(t).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseRateLimited)
	require.Equal(t, 120*time.Second, failure.RetryAfter)
	require.Len(t, f.requestsTo(http.MethodGet, sim.PathBalance), 1)
}

func TestClient_Balance_serverErrorAfterThreeAttempts(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Count: 3})

	_, err := f.client(t).Balance(context.Background())

	failure := f.requireFailure(t, err, adapters.CauseServerError)
	require.Contains(t, failure.Message, "after 3 attempts")
	require.Len(t, f.requestsTo(http.MethodGet, sim.PathBalance), 3)
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
	require.Len(t, f.requestsTo(http.MethodGet, sim.PathBalance), 2)
}

func TestClient_Balance_customLimiter(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t, maya.WithLimiter(httpx.NewHourlyLimiter(0, nil)))

	_, err := client.Balance(context.Background())

	f.requireFailure(t, err, adapters.CauseRateLimited)
	require.Empty(t, f.requestsTo(http.MethodGet, sim.PathBalance))
}

// Shapes the simulator does not serve: a failed envelope with status 200,
// a response that is not the envelope, and odd balance values.
func TestClient_Balance_envelopeShapes(t *testing.T) {
	cases := []struct {
		name   string
		body   string
		cause  adapters.Cause
		amount string // on success
	}{
		{"number balance", `{"result":1,"status":200,"balance":12.5,"currency":"usd"}`, "", "12.50 USD"},
		{"result as string", `{"result":"1","status":200,"balance":"3","currency":"EUR"}`, "", "3.00 EUR"},
		{"no currency", `{"result":1,"status":200,"balance":"7.10"}`, "", "7.10 USD"},
		{"failed envelope", `{"result":0,"status":400,"message":"Account suspended","developer_message":"Contact support."}`,
			adapters.CauseRejected, ""},
		{"failed envelope with status 500", `{"result":0,"status":"500","message":"Internal error"}`,
			adapters.CauseServerError, ""},
		{"not the envelope", `{"balance":"1.00"}`, adapters.CauseBadResponse, ""},
		{"negative balance", `{"result":1,"balance":"-1.00","currency":"USD"}`, adapters.CauseBadResponse, ""},
		{"exponent balance", `{"result":1,"balance":1e3,"currency":"USD"}`, adapters.CauseBadResponse, ""},
		{"bad currency", `{"result":1,"balance":"1.00","currency":"dollars"}`, adapters.CauseBadResponse, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(tc.body))
			}))
			t.Cleanup(server.Close)
			client, err := maya.New(adapters.Settings{
				BaseURL:     server.URL,
				Credentials: map[string]string{"api_key": "key-shape", "api_secret": "secret-shape"},
			}, maya.WithRetry(fastRetry))
			require.NoError(t, err)

			balance, err := client.Balance(context.Background())

			if tc.cause == "" {
				require.NoError(t, err)
				require.Equal(t, tc.amount, balance.Amount.String())
				return
			}
			require.Equal(t, tc.cause, adapters.CauseOf(err), "error: %v", err)
		})
	}
}
