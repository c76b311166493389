package airalo_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/airalo"
	"esimscan/backend/internal/providers/adapters/httpx"
	sim "esimscan/backend/internal/simulators/airalo"
)

// fastRetry keeps the retry count of the default policy with millisecond
// backoffs.
var fastRetry = httpx.RetryPolicy{
	MaxAttempts:   3,
	BaseDelay:     time.Millisecond,
	MaxDelay:      5 * time.Millisecond,
	MaxRetryAfter: 5 * time.Second,
}

// fixture is a simulator with unique credentials and a client of it that
// records every bearer token it sends.
type fixture struct {
	sim          *sim.Running
	clientID     string
	clientSecret string
	recorder     *headerRecorder
}

func newFixture(t testing.TB, opts sim.Options) *fixture {
	t.Helper()
	opts.ClientID = "id-" + uuid.NewString()
	opts.ClientSecret = "secret-" + uuid.NewString()
	running, err := sim.Start(opts)
	require.NoError(t, err)
	t.Cleanup(running.Close)
	return &fixture{
		sim:          running,
		clientID:     opts.ClientID,
		clientSecret: opts.ClientSecret,
		recorder:     &headerRecorder{next: http.DefaultTransport},
	}
}

func (f *fixture) settings() adapters.Settings {
	return adapters.Settings{
		BaseURL:     f.sim.BaseURL + "/",
		Credentials: map[string]string{"client_id": f.clientID, "client_secret": f.clientSecret},
	}
}

func (f *fixture) client(t testing.TB, opts ...airalo.Option) *airalo.Client {
	t.Helper()
	return f.clientWith(t, f.settings(), opts...)
}

func (f *fixture) clientWith(t testing.TB, settings adapters.Settings, opts ...airalo.Option) *airalo.Client {
	t.Helper()
	base := []airalo.Option{
		airalo.WithHTTPClient(&http.Client{Transport: f.recorder}),
		airalo.WithRetry(fastRetry),
	}
	client, err := airalo.New(settings, append(base, opts...)...)
	require.NoError(t, err)
	return client
}

// requireFailure checks the cause of err and that its message carries no
// credential and no token that was sent.
func (f *fixture) requireFailure(t *testing.T, err error, cause adapters.Cause) *adapters.Error {
	t.Helper()
	require.Error(t, err)
	var providerErr *adapters.Error
	require.ErrorAs(t, err, &providerErr)
	require.Equal(t, cause, providerErr.Cause, "error: %v", err)
	f.requireNoSecret(t, err.Error())
	return providerErr
}

func (f *fixture) requireNoSecret(t *testing.T, text string) {
	t.Helper()
	require.NotContains(t, text, f.clientID)
	require.NotContains(t, text, f.clientSecret)
	for _, token := range f.recorder.tokens() {
		require.NotContains(t, text, token)
	}
}

func (f *fixture) requestsTo(path string) []sim.Request {
	var matching []sim.Request
	for _, request := range f.sim.Requests() {
		if request.Path == path {
			matching = append(matching, request)
		}
	}
	return matching
}

// headerRecorder is a RoundTripper that keeps the headers of every
// request.
type headerRecorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	sent []http.Header
}

func (h *headerRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.sent = append(h.sent, req.Header.Clone())
	h.mu.Unlock()
	return h.next.RoundTrip(req)
}

// tokens returns the distinct bearer tokens sent.
func (h *headerRecorder) tokens() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := map[string]bool{}
	var tokens []string
	for _, header := range h.sent {
		token, ok := strings.CutPrefix(header.Get("Authorization"), "Bearer ")
		if ok && token != "" && !seen[token] {
			seen[token] = true
			tokens = append(tokens, token)
		}
	}
	return tokens
}
