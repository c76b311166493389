package maya_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
	"esimscan/backend/internal/providers/adapters/maya"
	sim "esimscan/backend/internal/simulators/maya"
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
// records every Authorization header it sends.
type fixture struct {
	sim       *sim.Running
	apiKey    string
	apiSecret string
	recorder  *headerRecorder
}

func newFixture(t testing.TB, opts sim.Options) *fixture {
	t.Helper()
	opts.APIKey = "key-" + uuid.NewString()
	opts.APISecret = "secret-" + uuid.NewString()
	running, err := sim.Start(opts)
	require.NoError(t, err)
	t.Cleanup(running.Close)
	return &fixture{
		sim:       running,
		apiKey:    opts.APIKey,
		apiSecret: opts.APISecret,
		recorder:  &headerRecorder{next: http.DefaultTransport},
	}
}

func (f *fixture) settings() adapters.Settings {
	return adapters.Settings{
		BaseURL:     f.sim.BaseURL + "/",
		Credentials: map[string]string{"api_key": f.apiKey, "api_secret": f.apiSecret},
	}
}

func (f *fixture) client(t testing.TB, opts ...maya.Option) *maya.Client {
	t.Helper()
	return f.clientWith(t, f.settings(), opts...)
}

func (f *fixture) clientWith(t testing.TB, settings adapters.Settings, opts ...maya.Option) *maya.Client {
	t.Helper()
	base := []maya.Option{
		maya.WithHTTPClient(&http.Client{Transport: f.recorder}),
		maya.WithRetry(fastRetry),
	}
	client, err := maya.New(settings, append(base, opts...)...)
	require.NoError(t, err)
	return client
}

// basicHeader is the Authorization value of the fixture's credentials.
func (f *fixture) basicHeader() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(f.apiKey+":"+f.apiSecret))
}

// requireFailure checks the cause of err and that its message carries no
// credential and no Authorization header that was sent.
func (f *fixture) requireFailure(t *testing.T, err error, cause adapters.Cause) *adapters.Error {
	t.Helper()
	require.Error(t, err)
	var providerErr *adapters.Error
	require.ErrorAs(t, err, &providerErr)
	require.Equal(t, cause, providerErr.Cause, "error: %v", err)
	requireNoSecret(t, err.Error(), f.apiKey, f.apiSecret)
	for _, header := range f.recorder.authorizations() {
		_, value, _ := strings.Cut(header, " ")
		require.NotContains(t, err.Error(), value)
	}
	return providerErr
}

func requireNoSecret(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, secret := range secrets {
		if secret != "" {
			require.NotContains(t, text, secret)
		}
	}
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

func (h *headerRecorder) authorizations() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var values []string
	for _, header := range h.sent {
		if value := header.Get("Authorization"); value != "" {
			values = append(values, value)
		}
	}
	return values
}

func (h *headerRecorder) last() http.Header {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sent[len(h.sent)-1]
}
