package esimgo

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
	FailForbidden    = "403"       // HTTP 403 {"message": "Forbidden"}, how eSIM Go rejects a key
	FailUnauthorized = "401"       // HTTP 401 {"message": "Unauthorized"}
	FailRateLimited  = "429"       // HTTP 429 {"message": "Rate limit exceeded"} with Retry-After
	FailServerError  = "500"       // HTTP 500 {"message": "Internal Server Error"}
	FailServerAfter  = "500-after" // the call runs (an order is charged), then HTTP 500 replaces its response
	FailUnavailable  = "503"       // HTTP 503 "Processing", with Retry-After when set
	FailSlow         = "slow"      // the normal response, held back DelayMS after it was produced
	FailMalformed    = "malformed" // HTTP 200, truncated JSON
	FailHTML         = "html"      // HTTP 200, an HTML page
	// FailInsufficientBalance refuses order calls (POST PathOrders, both
	// types, since eSIM Go validates with the checks of a purchase) with
	// HTTP 400 and the message of an insufficient balance. Other calls pass
	// through without counting it down.
	FailInsufficientBalance = "insufficient_balance"
)

// Failure makes the next Count API calls fail in Mode. Method and Path,
// when set, limit it to one HTTP method and API path, and OrderType to
// POST /orders calls of that type ("validate" or "transaction").
//
// A slow failure runs the call first and holds its response back, so a
// slow order is charged even when the client gives up waiting.
type Failure struct {
	Mode       string `json:"mode"`
	Count      int    `json:"count"`       // 0 means 1
	RetryAfter int    `json:"retry_after"` // seconds, for 429 and 503; 0 sends no header
	DelayMS    int    `json:"delay_ms"`    // for slow
	Method     string `json:"method"`
	Path       string `json:"path"`
	OrderType  string `json:"order_type"`
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

// takeFailure returns the first queued failure matching the call and
// counts it down.
func (s *Server) takeFailure(method, path, orderType string) (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.failures {
		failure := &s.failures[i]
		if (failure.Method != "" && failure.Method != method) || (failure.Path != "" && failure.Path != path) ||
			(failure.OrderType != "" && failure.OrderType != orderType) {
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
func (s *Server) injectFailure(w http.ResponseWriter, r *http.Request, path string, handler http.HandlerFunc) bool {
	failure, ok := s.takeFailure(r.Method, path, orderTypeOf(r, path))
	if !ok {
		return false
	}
	retryAfter := func() {
		if failure.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(failure.RetryAfter))
		}
	}
	switch failure.Mode {
	case FailForbidden:
		writeMessage(w, http.StatusForbidden, "Forbidden")
	case FailUnauthorized:
		writeMessage(w, http.StatusUnauthorized, "Unauthorized")
	case FailRateLimited:
		retryAfter()
		writeMessage(w, http.StatusTooManyRequests, "Rate limit exceeded")
	case FailServerError:
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
	case FailInsufficientBalance:
		writeMessage(w, http.StatusBadRequest, messageInsufficientBalance)
	case FailUnavailable:
		retryAfter()
		writeMessage(w, http.StatusServiceUnavailable, "Processing - please come back later or use the Retry-After (seconds) header")
	case FailMalformed:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"organisations":[{"balance":3125.6,`))
	case FailHTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>"))
	case FailSlow:
		serveSlowly(w, r, handler, time.Duration(failure.DelayMS)*time.Millisecond)
	case FailServerAfter:
		handler(&bufferedResponse{header: http.Header{}, status: http.StatusOK}, r)
		writeMessage(w, http.StatusInternalServerError, "Internal Server Error")
	default:
		writeMessage(w, http.StatusInternalServerError, "unknown failure mode "+failure.Mode)
	}
	return true
}

// orderTypeOf returns the type of a POST /orders body, leaving the body
// readable for the handler.
func orderTypeOf(r *http.Request, path string) string {
	if r.Method != http.MethodPost || path != PathOrders || r.Body == nil {
		return ""
	}
	data, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(data))
	var body struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(data, &body)
	return body.Type
}

// serveSlowly runs handler into a buffer, then waits delay before sending
// the response, unless the client goes away first.
func serveSlowly(w http.ResponseWriter, r *http.Request, handler http.HandlerFunc, delay time.Duration) {
	buffer := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
	handler(buffer, r)
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-r.Context().Done():
		return
	case <-timer.C:
	}
	for key, values := range buffer.header {
		w.Header()[key] = values
	}
	w.WriteHeader(buffer.status)
	_, _ = w.Write(buffer.body.Bytes())
}

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
	Upsert []Bundle `json:"upsert"`
	Remove []string `json:"remove"`
}

// serveControl serves the test controls:
//
//	POST   /_sim/fail          a Failure; DELETE clears them
//	POST   /_sim/catalog       {"upsert": [bundle...], "remove": ["name"...]}
//	POST   /_sim/balance       {"balance": "3125.60"}
//	GET    /_sim/orders        the charged orders
//	GET    /_sim/topups        the bundles applied to issued eSIMs
//	POST   /_sim/incompatible  {"bundles": ["name"...]}, bundles that top up no eSIM
//	GET    /_sim/requests      the calls received
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request, path string) {
	switch r.Method + " " + path {
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
		s.UpsertBundles(change.Upsert...)
		removed := s.RemoveBundles(change.Remove...)
		writeJSON(w, http.StatusOK, map[string]int{"upserted": len(change.Upsert), "removed": removed, "packages": s.Packages()})
	case "POST /_sim/balance":
		var body struct {
			Balance string `json:"balance"`
		}
		if !decodeControl(w, r, &body) {
			return
		}
		balance, err := money.ParseAmount(body.Balance)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "balance must be a decimal string such as \"125.50\""})
			return
		}
		s.SetBalance(balance)
		writeJSON(w, http.StatusOK, map[string]string{"balance": balance.String()})
	case "GET /_sim/orders":
		writeJSON(w, http.StatusOK, s.Orders())
	case "GET /_sim/topups":
		writeJSON(w, http.StatusOK, s.TopUps())
	case "POST /_sim/incompatible":
		var body struct {
			Bundles []string `json:"bundles"`
		}
		if !decodeControl(w, r, &body) {
			return
		}
		s.MarkIncompatible(body.Bundles...)
		writeJSON(w, http.StatusOK, map[string]int{"incompatible": len(body.Bundles)})
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
	case "GET /_sim/requests":
		writeJSON(w, http.StatusOK, s.Requests())
	default:
		http.NotFound(w, r)
	}
}

func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil || json.Unmarshal(data, v) != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body is not valid JSON for " + r.URL.Path})
		return false
	}
	return true
}
