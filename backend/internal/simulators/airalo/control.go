package airalo

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"esimscan/backend/money"
)

// Failure modes that the simulator can inject.
const (
	FailUnauthorized = "401"       // HTTP 401 with Airalo's body
	FailRateLimited  = "429"       // HTTP 429 {"message": "Too Many Attempts."}, Retry-After when set
	FailServerError  = "500"       // HTTP 500 with a plain body
	FailSlow         = "slow"      // the request is served, then its response held back DelayMS
	FailMalformed    = "malformed" // HTTP 200, truncated JSON
	FailHTML         = "html"      // HTTP 200, an HTML page
)

// FailServerErrorAfter serves the request, so an order or a top-up is
// bought, then responds with HTTP 500 as if the request had failed.
const FailServerErrorAfter = "500-after"

// FailInsufficientBalance refuses order purchases (POST PathOrders) with
// HTTP 422 and business code 11, as Airalo does when the partner's credit
// does not cover the order. Other calls, the order lookups included, pass
// through without counting it down.
const FailInsufficientBalance = "insufficient_balance"

// Failure makes the next Count API calls fail in Mode. Path and Method,
// when set, limit it to one API path, such as PathOrders, and one HTTP
// method. An empty Path matches every path, the token request included.
type Failure struct {
	Mode       string `json:"mode"`
	Count      int    `json:"count"`       // 0 means 1
	RetryAfter int    `json:"retry_after"` // seconds, for 429; 0 sends no header
	DelayMS    int    `json:"delay_ms"`    // for slow
	Path       string `json:"path"`
	Method     string `json:"method"`
}

// maxControlBody bounds the control request bodies the simulator reads.
const maxControlBody = 1 << 20

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

// takeFailure returns the first queued failure matching the method and
// path, and counts it down.
func (s *Server) takeFailure(method, path string) (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.failures {
		failure := &s.failures[i]
		if failure.Path != "" && failure.Path != path || failure.Method != "" && failure.Method != method {
			continue
		}
		if failure.Mode == FailInsufficientBalance && (method != http.MethodPost || path != PathOrders) {
			continue
		}
		taken := *failure
		failure.Count--
		if failure.Count == 0 {
			s.failures = append(s.failures[:i], s.failures[i+1:]...)
		}
		return taken, true
	}
	return Failure{}, false
}

// injectFailure writes a queued failure and reports whether it responded to
// the request.
func (s *Server) injectFailure(w http.ResponseWriter, r *http.Request, handler http.HandlerFunc) bool {
	failure, ok := s.takeFailure(r.Method, r.URL.Path)
	if !ok {
		return false
	}
	switch failure.Mode {
	case FailUnauthorized:
		message := "This action is unauthorized."
		if r.URL.Path == PathToken {
			message = "Client authentication failed"
		}
		writeJSON(w, http.StatusUnauthorized, metaBody(message))
	case FailRateLimited:
		if failure.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(failure.RetryAfter))
		}
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "Too Many Attempts."})
	case FailServerError:
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
	case FailInsufficientBalance:
		writeInsufficientCredit(w)
	case FailServerErrorAfter:
		s.serveAPI(&bufferedResponse{header: http.Header{}, status: http.StatusOK}, r, handler)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
	case FailMalformed:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":{"balances":{"name":"balance","availableBalance":{"amount":`))
	case FailHTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>"))
	case FailSlow:
		s.serveSlowly(w, r, handler, time.Duration(failure.DelayMS)*time.Millisecond)
	default:
		http.Error(w, "unknown failure mode "+failure.Mode, http.StatusInternalServerError)
	}
	return true
}

// serveSlowly serves the request at once, so an order is placed, but holds
// the response back for delay or until the client goes away: the provider
// acted although the client timed out.
func (s *Server) serveSlowly(w http.ResponseWriter, r *http.Request, handler http.HandlerFunc, delay time.Duration) {
	buffered := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
	s.serveAPI(buffered, r, handler)

	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-r.Context().Done():
		return
	case <-timer.C:
	}
	for key, values := range buffered.header {
		w.Header()[key] = values
	}
	w.WriteHeader(buffered.status)
	_, _ = w.Write(buffered.body.Bytes())
}

// bufferedResponse keeps a response in memory, for FailSlow.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header            { return b.header }
func (b *bufferedResponse) WriteHeader(status int)         { b.status = status }
func (b *bufferedResponse) Write(data []byte) (int, error) { return b.body.Write(data) }

// catalogChange is the body of POST /_sim/catalog.
type catalogChange struct {
	Upsert []Destination `json:"upsert"`
	Remove []string      `json:"remove"`
}

// serveControl serves the test controls:
//
//	POST /_sim/fail           a Failure; DELETE clears them
//	POST /_sim/revoke-tokens  invalidates every issued token
//	POST /_sim/catalog        {"upsert": [destination...], "remove": ["slug"...]}
//	POST /_sim/balance        {"balance": "2480.00"} in USD
//	GET  /_sim/orders         the accepted orders
//	GET  /_sim/topups         the accepted top-ups
//	GET  /_sim/requests       the calls received
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
	case "POST /_sim/revoke-tokens":
		writeJSON(w, http.StatusOK, map[string]int{"revoked": s.RevokeTokens()})
	case "POST /_sim/catalog":
		var change catalogChange
		if !decodeControl(w, r, &change) {
			return
		}
		s.UpsertDestinations(change.Upsert...)
		removed := s.RemoveDestinations(change.Remove...)
		writeJSON(w, http.StatusOK, map[string]int{
			"upserted": len(change.Upsert), "removed": removed, "destinations": s.Destinations(),
		})
	case "POST /_sim/balance":
		var body struct {
			Balance string `json:"balance"`
		}
		if !decodeControl(w, r, &body) {
			return
		}
		balance, err := money.ParseAmount(body.Balance)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "balance must be a decimal string such as \"2480.00\""})
			return
		}
		s.SetBalance(balance)
		writeJSON(w, http.StatusOK, map[string]string{"balance": balance.String()})
	case "GET /_sim/orders":
		writeJSON(w, http.StatusOK, s.Orders())
	case "GET /_sim/topups":
		writeJSON(w, http.StatusOK, s.TopUps())
	case "POST /_sim/usage":
		var body struct {
			ICCID  string `json:"iccid"`
			UsedMB int64  `json:"used_mb"`
		}
		if !decodeControl(w, r, &body) {
			return
		}
		s.SetUsage(body.ICCID, body.UsedMB)
		writeJSON(w, http.StatusOK, map[string]any{"iccid": body.ICCID, "used_mb": body.UsedMB})
	case "GET /_sim/requests":
		writeJSON(w, http.StatusOK, s.Requests())
	default:
		http.NotFound(w, r)
	}
}

func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxControlBody+1))
	if err != nil || len(data) > maxControlBody || json.Unmarshal(data, v) != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body is not valid JSON for " + r.URL.Path})
		return false
	}
	return true
}
