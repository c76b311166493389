package paypal

import (
	"bytes"
	"net/http"
	"strings"
	"time"
)

// Failure is an injected failure for the next requests whose path starts
// with Path ("" matches every path).
type Failure struct {
	Path string
	// Status answers with this HTTP status and a PayPal error body, such as
	// 401, 429 or 500. 0 serves the request normally after Delay.
	Status int
	// RetryAfter is sent as the Retry-After header, in seconds.
	RetryAfter string
	// Delay holds the answer back, or until the client gives up.
	Delay time.Duration
	// Malformed answers 200 with a truncated JSON body.
	Malformed bool
	// Times is how many requests fail; 0 means one.
	Times int
}

// Fail queues failure. Failures are taken in the order they were queued.
func (s *Server) Fail(failure Failure) {
	if failure.Times <= 0 {
		failure.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure)
}

func (s *Server) takeFailure(path string) (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.failures {
		f := &s.failures[i]
		if !strings.HasPrefix(path, f.Path) {
			continue
		}
		taken := *f
		f.Times--
		if f.Times == 0 {
			s.failures = append(s.failures[:i], s.failures[i+1:]...)
		}
		return taken, true
	}
	return Failure{}, false
}

// injectFailure answers r with a queued failure and reports whether it did.
func (s *Server) injectFailure(w http.ResponseWriter, r *http.Request) bool {
	failure, ok := s.takeFailure(r.URL.Path)
	if !ok {
		return false
	}
	if failure.Delay > 0 {
		timer := time.NewTimer(failure.Delay)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-r.Context().Done():
			return true
		}
	}
	switch {
	case failure.Malformed:
		writeRaw(w, http.StatusOK, []byte(`{"id": "SIMO`))
		return true
	case failure.Status == 0:
		return false
	}
	if failure.RetryAfter != "" {
		w.Header().Set("Retry-After", failure.RetryAfter)
	}
	name := map[int]string{
		http.StatusUnauthorized:        "AUTHENTICATION_FAILURE",
		http.StatusTooManyRequests:     "RATE_LIMIT_REACHED",
		http.StatusInternalServerError: "INTERNAL_SERVER_ERROR",
		http.StatusServiceUnavailable:  "SERVICE_UNAVAILABLE",
	}[failure.Status]
	if name == "" {
		name = "INJECTED_FAILURE"
	}
	writeError(w, failure.Status, name, "failure injected by the simulator")
	return true
}

// storedResponse is the first answer to a request with a PayPal-Request-Id.
type storedResponse struct {
	status int
	body   []byte
}

// idempotently replays the first answer to a repeated PayPal-Request-Id on
// the same method and path, as PayPal does. 5xx answers are not stored, so
// a retry after a server error runs again.
func (s *Server) idempotently(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		requestID := r.Header.Get("PayPal-Request-Id")
		if requestID == "" {
			next(w, r)
			return
		}
		key := r.Method + " " + r.URL.Path + " " + requestID
		s.idempotentMu.Lock()
		defer s.idempotentMu.Unlock()

		s.mu.Lock()
		s.requestIDs[requestID]++
		stored, seen := s.idempotent[key]
		s.mu.Unlock()
		if seen {
			writeRaw(w, stored.status, stored.body)
			return
		}

		recorder := &bufferedResponse{header: w.Header(), status: http.StatusOK}
		next(recorder, r)
		if recorder.status < 500 {
			s.mu.Lock()
			s.idempotent[key] = storedResponse{status: recorder.status, body: recorder.body.Bytes()}
			s.mu.Unlock()
		}
		w.WriteHeader(recorder.status)
		_, _ = w.Write(recorder.body.Bytes())
	}
}

type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header            { return b.header }
func (b *bufferedResponse) WriteHeader(status int)         { b.status = status }
func (b *bufferedResponse) Write(data []byte) (int, error) { return b.body.Write(data) }

// ForgetRequestIDs drops every stored PayPal-Request-Id, as PayPal does
// once it no longer keeps them, so that a repeated request runs again.
func (s *Server) ForgetRequestIDs() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.idempotent = map[string]storedResponse{}
}
