// Package adaptertest holds the helpers that the tests of every provider
// adapter share: a fast retry policy, a RoundTripper that records requests,
// and checks of adapter errors.
package adaptertest

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
)

// FastRetry returns a policy with the retry count of the default policy and
// millisecond backoffs, so that tests of retries run fast.
func FastRetry() httpx.RetryPolicy {
	return httpx.RetryPolicy{
		MaxAttempts:   3,
		BaseDelay:     time.Millisecond,
		MaxDelay:      5 * time.Millisecond,
		MaxRetryAfter: 5 * time.Second,
	}
}

// Recorder is an http.RoundTripper that keeps a copy of every request
// before passing it on. It is safe for concurrent use.
type Recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	sent []*http.Request
}

// NewRecorder returns a Recorder that passes requests on to next, or to
// http.DefaultTransport when next is nil.
func NewRecorder(next http.RoundTripper) *Recorder {
	if next == nil {
		next = http.DefaultTransport
	}
	return &Recorder{next: next}
}

// RoundTrip records req and sends it.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.sent = append(r.sent, req.Clone(req.Context()))
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

// Requests returns the recorded requests in the order they were sent.
// Their bodies are not kept.
func (r *Recorder) Requests() []*http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*http.Request(nil), r.sent...)
}

// Headers returns the headers of the recorded requests in order.
func (r *Recorder) Headers() []http.Header {
	var headers []http.Header
	for _, req := range r.Requests() {
		headers = append(headers, req.Header)
	}
	return headers
}

// Last returns the last recorded request, or nil when none was sent.
func (r *Recorder) Last() *http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sent) == 0 {
		return nil
	}
	return r.sent[len(r.sent)-1]
}

// HeaderValues returns the non-empty values of header name in the order
// they were sent, repeats included.
func (r *Recorder) HeaderValues(name string) []string {
	var values []string
	for _, header := range r.Headers() {
		if value := header.Get(name); value != "" {
			values = append(values, value)
		}
	}
	return values
}

// BearerTokens returns the distinct bearer tokens of the Authorization
// headers, in the order they were first sent.
func (r *Recorder) BearerTokens() []string {
	seen := map[string]bool{}
	var tokens []string
	for _, value := range r.HeaderValues("Authorization") {
		token, ok := strings.CutPrefix(value, "Bearer ")
		if ok && token != "" && !seen[token] {
			seen[token] = true
			tokens = append(tokens, token)
		}
	}
	return tokens
}

// RequireCause fails the test unless err is an *adapters.Error with cause,
// and returns that error.
func RequireCause(t testing.TB, err error, cause adapters.Cause) *adapters.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want an *adapters.Error with cause %s", cause)
	}
	var providerErr *adapters.Error
	if !errors.As(err, &providerErr) {
		t.Fatalf("err = %v (%T), want an *adapters.Error with cause %s", err, err, cause)
	}
	if providerErr.Cause != cause {
		t.Fatalf("cause = %s, want %s; error: %v", providerErr.Cause, cause, err)
	}
	return providerErr
}

// RequireNoSecret fails the test when text contains one of secrets. Empty
// secrets are skipped.
func RequireNoSecret(t testing.TB, text string, secrets ...string) {
	t.Helper()
	for i, secret := range secrets {
		if secret != "" && strings.Contains(text, secret) {
			// The text is not printed, since it contains the secret.
			t.Fatalf("text of %d bytes contains secret %d of %d", len(text), i+1, len(secrets))
		}
	}
}
