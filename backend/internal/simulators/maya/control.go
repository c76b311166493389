package maya

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"
)

// Failure modes that the simulator can inject.
const (
	FailUnauthorized = "401"       // HTTP 401 with the error envelope
	FailForbidden    = "403"       // HTTP 403 with the error envelope
	FailRateLimited  = "429"       // HTTP 429 with Retry-After
	FailServerError  = "500"       // HTTP 500 with a plain body
	FailSlow         = "slow"      // wait DelayMS, then serve; nothing happens if the client left
	FailMalformed    = "malformed" // HTTP 200, truncated JSON
	FailHTML         = "html"      // HTTP 200, an HTML page
	// FailSlowResponse serves the request, so an order takes effect, then
	// holds the response for DelayMS: the client times out and never learns
	// the outcome.
	FailSlowResponse = "slow_response"
	// FailServerAfter serves the request, so an order takes effect, then
	// replaces the response with HTTP 500 and a plain body.
	FailServerAfter = "500-after"
	// FailInsufficientBalance refuses eSIM orders (POST PathESIM) with HTTP
	// 400 and an error envelope about the balance. Maya publishes no error
	// texts, so status and wording are our reading. Other calls pass
	// through without counting it down.
	FailInsufficientBalance = "insufficient_balance"
)

// Failure makes the next Count API calls fail in Mode. Path, when set,
// limits it to one API path, or to every path under it when it ends with
// "/". Method, when set, limits it to one HTTP method.
type Failure struct {
	Mode       string `json:"mode"`
	Count      int    `json:"count"`       // 0 means 1
	RetryAfter int    `json:"retry_after"` // seconds, for 429; 0 sends no header
	DelayMS    int    `json:"delay_ms"`    // for slow and slow_response
	Path       string `json:"path"`
	Method     string `json:"method"`
}

func (f Failure) matches(method, path string) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, method) {
		return false
	}
	if f.Mode == FailInsufficientBalance && (method != http.MethodPost || path != PathESIM) {
		return false
	}
	switch {
	case f.Path == "":
		return true
	case strings.HasSuffix(f.Path, "/"):
		return strings.HasPrefix(path, f.Path)
	default:
		return f.Path == path
	}
}

// maxBody bounds the request bodies the simulator reads.
const maxBody = 1 << 20

// Fail queues a failure. Failures apply in the order queued.
func (s *Server) Fail(failure Failure) {
	if failure.Count <= 0 {
		failure.Count = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure)
}

// ClearFailures drops every queued failure.
func (s *Server) ClearFailures() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = nil
}

// takeFailure returns the first queued failure matching the request and
// counts it down.
func (s *Server) takeFailure(method, path string) (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.failures {
		failure := &s.failures[i]
		if !failure.matches(method, path) {
			continue
		}
		matched := *failure
		failure.Count--
		if failure.Count == 0 {
			s.failures = append(s.failures[:i], s.failures[i+1:]...)
		}
		return matched, true
	}
	return Failure{}, false
}

// injectFailure writes a failure and reports whether it responded to the
// request. A slow failure waits, then lets the request through, and the
// slow_response and 500-after failures are applied after the handler, by
// serveThenHold and serveThenFail.
func (s *Server) injectFailure(w http.ResponseWriter, r *http.Request, failure Failure) bool {
	switch failure.Mode {
	case FailUnauthorized:
		writeError(w, http.StatusUnauthorized, "Unauthorized", "The API key or secret is not valid.")
	case FailForbidden:
		writeError(w, http.StatusForbidden, "Forbidden", "This account has no access to this resource.")
	case FailRateLimited:
		if failure.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(failure.RetryAfter))
		}
		http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
	case FailServerError:
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
	case FailInsufficientBalance:
		writeError(w, http.StatusBadRequest, "Insufficient balance", "The account balance does not cover this plan.")
	case FailMalformed:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"result":1,"status":200,"balance":`))
	case FailHTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>"))
	case FailSlow:
		if !wait(r, failure.DelayMS) {
			return true
		}
		return false
	case FailSlowResponse, FailServerAfter:
		return false
	default:
		http.Error(w, "unknown failure mode "+failure.Mode, http.StatusInternalServerError)
	}
	return true
}

// serveThenHold runs handler to completion, so its effect happens, then
// holds the response for the failure's delay before sending it.
func (s *Server) serveThenHold(w http.ResponseWriter, r *http.Request, handler http.HandlerFunc, failure Failure) {
	buffered := httptest.NewRecorder()
	handler(buffered, r)
	if !wait(r, failure.DelayMS) {
		return
	}
	for key, values := range buffered.Header() {
		w.Header()[key] = values
	}
	w.WriteHeader(buffered.Code)
	_, _ = w.Write(buffered.Body.Bytes())
}

// serveThenFail runs handler to completion, so its effect happens, then
// returns HTTP 500 in place of its response.
func (s *Server) serveThenFail(w http.ResponseWriter, r *http.Request, handler http.HandlerFunc) {
	handler(httptest.NewRecorder(), r)
	http.Error(w, "Internal Server Error", http.StatusInternalServerError)
}

// wait sleeps for delayMS and returns false when the client left first.
func wait(r *http.Request, delayMS int) bool {
	timer := time.NewTimer(time.Duration(delayMS) * time.Millisecond)
	defer timer.Stop()
	select {
	case <-r.Context().Done():
		return false
	case <-timer.C:
		return true
	}
}

// catalogChange is the body of POST /_sim/catalog.
type catalogChange struct {
	Upsert []Product `json:"upsert"`
	Remove []string  `json:"remove"`
}

// serveControl serves the test controls:
//
//	POST /_sim/fail      a Failure; DELETE clears them
//	POST /_sim/catalog   {"upsert": [product...], "remove": ["uid"...]}
//	POST /_sim/balance   {"balance": "1840.25", "currency": "USD"}
//	POST /_sim/usage     {"iccid": "...", "used_bytes": 734003200}
//	GET  /_sim/orders    the accepted eSIM orders
//	GET  /_sim/requests  the calls received
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	switch r.Method + " " + r.URL.Path {
	case "POST /_sim/fail":
		var failure Failure
		if !decodeControl(w, r, &failure) {
			return
		}
		s.Fail(failure)
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	case "DELETE /_sim/fail":
		s.ClearFailures()
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	case "POST /_sim/catalog":
		var change catalogChange
		if !decodeControl(w, r, &change) {
			return
		}
		s.UpsertProducts(change.Upsert...)
		removed := s.RemoveProducts(change.Remove...)
		writeJSON(w, http.StatusOK, map[string]int{
			"upserted": len(change.Upsert),
			"removed":  removed,
			"products": s.Products(),
		})
	case "POST /_sim/balance":
		var body struct {
			Balance  string `json:"balance"`
			Currency string `json:"currency"`
		}
		if !decodeControl(w, r, &body) {
			return
		}
		if body.Currency == "" {
			body.Currency = DefaultCurrency
		}
		s.SetBalance(body.Balance, body.Currency)
		writeJSON(w, http.StatusOK, body)
	case "POST /_sim/usage":
		var body struct {
			ICCID     string `json:"iccid"`
			UsedBytes int64  `json:"used_bytes"`
		}
		if !decodeControl(w, r, &body) {
			return
		}
		s.SetUsage(body.ICCID, body.UsedBytes)
		writeJSON(w, http.StatusOK, map[string]any{"iccid": body.ICCID, "used_bytes": body.UsedBytes})
	case "GET /_sim/orders":
		writeJSON(w, http.StatusOK, s.Orders())
	case "GET /_sim/requests":
		writeJSON(w, http.StatusOK, s.Requests())
	default:
		http.NotFound(w, r)
	}
}

func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	body, ok := bodyOf(r)
	if !ok || json.Unmarshal(body, v) != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body is not valid JSON for " + r.URL.Path})
		return false
	}
	return true
}

// bodyOf reads the request body once and puts it back.
func bodyOf(r *http.Request) ([]byte, bool) {
	if r.Body == nil {
		return nil, true
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(data))
	if err != nil || len(data) > maxBody {
		return nil, false
	}
	return data, true
}
