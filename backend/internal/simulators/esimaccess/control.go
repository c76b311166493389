package esimaccess

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Failure modes that the simulator can inject.
const (
	FailUnauthorized = "401"       // HTTP 401 with a plain body
	FailRateLimited  = "429"       // HTTP 429 with Retry-After
	FailServerError  = "500"       // HTTP 500 with a plain body
	FailBusy         = "busy"      // HTTP 200, envelope code 900001
	FailSlow         = "slow"      // the normal response after DelayMS
	FailMalformed    = "malformed" // HTTP 200, truncated JSON
	FailHTML         = "html"      // HTTP 200, an HTML page
	// FailInsufficientBalance refuses order calls (PathOrder) with HTTP 200
	// and code 200007, as eSIM Access does when the merchant balance does
	// not cover the order. Other calls pass through without counting down.
	FailInsufficientBalance = "insufficient_balance"
)

// Failure makes the next Count API calls fail in Mode. Path, when set,
// limits it to one API path.
type Failure struct {
	Mode       string `json:"mode"`
	Count      int    `json:"count"`       // 0 means 1
	RetryAfter int    `json:"retry_after"` // seconds, for 429; 0 sends no header
	DelayMS    int    `json:"delay_ms"`    // for slow
	Path       string `json:"path"`
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

// takeFailure returns the first queued failure matching path and counts
// it down.
func (s *Server) takeFailure(path string) (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.failures {
		failure := &s.failures[i]
		if failure.Path != "" && failure.Path != path || failure.Mode == FailInsufficientBalance && path != PathOrder {
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
// the request. A slow failure waits, then lets the request through.
func (s *Server) injectFailure(w http.ResponseWriter, r *http.Request) bool {
	failure, ok := s.takeFailure(r.URL.Path)
	if !ok {
		return false
	}
	switch failure.Mode {
	case FailUnauthorized:
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
	case FailRateLimited:
		if failure.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(failure.RetryAfter))
		}
		http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
	case FailServerError:
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
	case FailBusy:
		writeError(w, "900001", "System busy, please retry later")
	case FailInsufficientBalance:
		writeError(w, "200007", "Insufficient account balance")
	case FailMalformed:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"success":true,"errorCode":"0","obj":{"balance":`))
	case FailHTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>"))
	case FailSlow:
		timer := time.NewTimer(time.Duration(failure.DelayMS) * time.Millisecond)
		defer timer.Stop()
		select {
		case <-r.Context().Done():
			return true
		case <-timer.C:
		}
		return false
	default:
		http.Error(w, "unknown failure mode "+failure.Mode, http.StatusInternalServerError)
	}
	return true
}

// catalogChange is the body of POST /_sim/catalog.
type catalogChange struct {
	Upsert []Package `json:"upsert"`
	Remove []string  `json:"remove"`
}

// serveControl serves the test controls:
//
//	POST /_sim/fail      a Failure; DELETE clears them
//	POST /_sim/catalog   {"upsert": [package...], "remove": ["packageCode"...]}
//	POST /_sim/balance   {"balance": 1257500} in 1/10,000 USD
//	GET  /_sim/orders    the accepted orders
//	GET  /_sim/topups    the top-ups bought
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
		s.UpsertPackages(change.Upsert...)
		removed := s.RemovePackages(change.Remove...)
		writeJSON(w, http.StatusOK, map[string]int{"upserted": len(change.Upsert), "removed": removed, "packages": s.Packages()})
	case "POST /_sim/balance":
		var body struct {
			Balance int64 `json:"balance"`
		}
		if !decodeControl(w, r, &body) {
			return
		}
		s.SetBalance(body.Balance)
		writeJSON(w, http.StatusOK, map[string]int64{"balance": body.Balance})
	case "GET /_sim/orders":
		writeJSON(w, http.StatusOK, s.Orders())
	case "GET /_sim/topups":
		writeJSON(w, http.StatusOK, s.TopUps())
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
	body, ok := bodyOf(r)
	if !ok || json.Unmarshal(body, v) != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body is not valid JSON for " + r.URL.Path})
		return false
	}
	return true
}

// bodyOf reads the request body once and puts it back, so that both the
// signature check and the handler can read it.
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
