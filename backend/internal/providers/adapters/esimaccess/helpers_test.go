package esimaccess_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/esimaccess"
	"esimscan/backend/internal/providers/adapters/httpx"
	sim "esimscan/backend/internal/simulators/esimaccess"
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
// records every signature it sends.
type fixture struct {
	sim        *sim.Running
	accessCode string
	secretKey  string
	recorder   *headerRecorder
}

func newFixture(t testing.TB, opts sim.Options) *fixture {
	t.Helper()
	opts.AccessCode = "ac-" + uuid.NewString()
	opts.SecretKey = "sk-" + uuid.NewString()
	running, err := sim.Start(opts)
	require.NoError(t, err)
	t.Cleanup(running.Close)
	return &fixture{
		sim:        running,
		accessCode: opts.AccessCode,
		secretKey:  opts.SecretKey,
		recorder:   &headerRecorder{next: http.DefaultTransport},
	}
}

func (f *fixture) settings() adapters.Settings {
	return adapters.Settings{
		BaseURL:     f.sim.URL + "/",
		Credentials: map[string]string{"access_code": f.accessCode, "secret_key": f.secretKey},
	}
}

func (f *fixture) client(t testing.TB, opts ...esimaccess.Option) *esimaccess.Client {
	t.Helper()
	return f.clientWith(t, f.settings(), opts...)
}

func (f *fixture) clientWith(t testing.TB, settings adapters.Settings, opts ...esimaccess.Option) *esimaccess.Client {
	t.Helper()
	base := []esimaccess.Option{
		esimaccess.WithHTTPClient(&http.Client{Transport: f.recorder}),
		esimaccess.WithRetry(fastRetry),
	}
	client, err := esimaccess.New(settings, append(base, opts...)...)
	require.NoError(t, err)
	return client
}

// requireFailure checks the cause of err and that its message carries no
// credential and no signature that was sent.
func (f *fixture) requireFailure(t *testing.T, err error, cause adapters.Cause) *adapters.Error {
	t.Helper()
	require.Error(t, err)
	var providerErr *adapters.Error
	require.ErrorAs(t, err, &providerErr)
	require.Equal(t, cause, providerErr.Cause, "error: %v", err)
	text := err.Error()
	require.NotContains(t, text, f.accessCode)
	require.NotContains(t, text, f.secretKey)
	for _, signature := range f.recorder.signatures() {
		require.NotContains(t, strings.ToUpper(text), signature)
	}
	return providerErr
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

// headerRecorder is a RoundTripper that keeps the RT-Signature of every
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

func (h *headerRecorder) signatures() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var signatures []string
	for _, header := range h.sent {
		if signature := header.Get("RT-Signature"); signature != "" {
			signatures = append(signatures, signature)
		}
	}
	return signatures
}

func (h *headerRecorder) last() http.Header {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sent[len(h.sent)-1]
}
