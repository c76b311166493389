package esimgo_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/esimgo"
	"esimscan/backend/internal/providers/adapters/httpx"
	sim "esimscan/backend/internal/simulators/esimgo"
	"esimscan/backend/money"
)

// fastRetry keeps the retry count of the default policy with millisecond
// backoffs.
var fastRetry = httpx.RetryPolicy{
	MaxAttempts:   3,
	BaseDelay:     time.Millisecond,
	MaxDelay:      5 * time.Millisecond,
	MaxRetryAfter: 5 * time.Second,
}

// fixture is a simulator with a unique API key and a client of it that
// records every request header it sends.
type fixture struct {
	sim      *sim.Running
	apiKey   string
	recorder *headerRecorder
}

func newFixture(t testing.TB, opts sim.Options) *fixture {
	t.Helper()
	opts.APIKey = "key-" + uuid.NewString()
	running, err := sim.Start(opts)
	require.NoError(t, err)
	t.Cleanup(running.Close)
	return &fixture{sim: running, apiKey: opts.APIKey, recorder: &headerRecorder{next: http.DefaultTransport}}
}

func (f *fixture) settings() adapters.Settings {
	return adapters.Settings{
		BaseURL:     f.sim.URL + "/v2.4/",
		Credentials: map[string]string{"api_key": f.apiKey},
	}
}

func (f *fixture) client(t testing.TB, opts ...esimgo.Option) *esimgo.Client {
	t.Helper()
	return f.clientWith(t, f.settings(), opts...)
}

func (f *fixture) clientWith(t testing.TB, settings adapters.Settings, opts ...esimgo.Option) *esimgo.Client {
	t.Helper()
	base := []esimgo.Option{
		esimgo.WithHTTPClient(&http.Client{Transport: f.recorder}),
		esimgo.WithRetry(fastRetry),
	}
	client, err := esimgo.New(settings, append(base, opts...)...)
	require.NoError(t, err)
	return client
}

// requireFailure checks the cause of err and that its message carries no
// API key.
func (f *fixture) requireFailure(t *testing.T, err error, cause adapters.Cause) *adapters.Error {
	t.Helper()
	require.Error(t, err)
	var providerErr *adapters.Error
	require.ErrorAs(t, err, &providerErr)
	require.Equal(t, cause, providerErr.Cause, "error: %v", err)
	require.NotContains(t, err.Error(), f.apiKey)
	require.NotContains(t, err.Error(), strings.TrimPrefix(f.apiKey, "key-"))
	return providerErr
}

func (f *fixture) requestsTo(method, path string) []sim.Request {
	var matching []sim.Request
	for _, request := range f.sim.Requests() {
		if request.Method == method && request.Path == path {
			matching = append(matching, request)
		}
	}
	return matching
}

func amount(t testing.TB, text string) money.Amount {
	t.Helper()
	value, err := money.ParseAmount(text)
	require.NoError(t, err)
	return value
}

func usd(t testing.TB, text string) money.Money {
	t.Helper()
	return money.New(amount(t, text), "USD")
}

// headerRecorder is a RoundTripper that keeps the headers and query of
// every request.
type headerRecorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	sent []*http.Request
}

func (h *headerRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.sent = append(h.sent, req.Clone(req.Context()))
	h.mu.Unlock()
	return h.next.RoundTrip(req)
}

func (h *headerRecorder) last() *http.Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sent[len(h.sent)-1]
}
