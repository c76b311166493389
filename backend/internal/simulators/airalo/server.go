// Package airalo simulates the Airalo Partner API v2 on loopback for tests,
// the CLI and the demo sandbox: the OAuth 2.0 client-credentials token,
// bearer authentication, the balance, the catalog paged by destination,
// synchronous orders and their lookup by description, and the top-ups of
// an issued eSIM. Control endpoints
// under /_sim/ inject failures, revoke tokens and change the catalog at
// runtime.
//
// Every API path lives under /v2, as on the real host, so the base URL to
// configure is Running.BaseURL. Generated eSIMs are realistic in shape but
// clearly fake: ICCIDs start with 8999 and the SM-DP+ address is
// lpa.esimscan.invalid.
package airalo

import (
	"crypto/hmac"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"esimscan/backend/money"
)

// API paths served. The real base URL ends in /v2.
const (
	PathPrefix   = "/v2"
	PathToken    = PathPrefix + "/token"
	PathBalance  = PathPrefix + "/balance"
	PathPackages = PathPrefix + "/packages"
	PathOrders   = PathPrefix + "/orders"
	// PathTopUpOrders buys a top-up; SIMTopUpsPath lists them.
	PathTopUpOrders = PathOrders + "/topups"
	PathSIMs        = PathPrefix + "/sims"
)

// Defaults of Options.
const (
	DefaultTokenLifetime = 24 * time.Hour
	DefaultBalance       = money.Amount(2480 * money.Scale) // USD, as in the provider's example
)

// Options configure a Server.
type Options struct {
	// ClientID and ClientSecret are the only client credentials accepted by
	// POST /v2/token.
	ClientID     string
	ClientSecret string
	// TokenLifetime is the expires_in of issued tokens, after which they
	// are rejected; 0 means DefaultTokenLifetime.
	TokenLifetime time.Duration
	// TokenRequestsPerMinute limits POST /v2/token as Airalo does (3 per
	// minute); 0 means no limit.
	TokenRequestsPerMinute int
	// Packages adds that many synthetic packages, ten per destination, after
	// the sample destinations. They are generated on the fly, so a large
	// catalog costs no memory.
	Packages int
	// KeyedPages serves data on page 2 and later as an object keyed by the
	// destination's index, which Airalo's documentation warns about.
	KeyedPages bool
	// Balance is the starting balance in USD; 0 means DefaultBalance.
	Balance money.Amount
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger zerolog.Logger
}

// Server is the simulated API, an http.Handler. It is safe for concurrent
// use.
type Server struct {
	opts   Options
	logger zerolog.Logger

	mu            sync.Mutex
	balance       money.Amount
	tokens        map[string]time.Time // access token → expiry
	tokenRequests []time.Time          // accepted token requests of the last minute
	catalog       *catalog
	orders        []*Order
	topUps        []*TopUp
	failures      []Failure
	requests      []Request
	sequence      int64
	usedMB        map[string]int64 // MB used, by ICCID; see SetUsage
}

// Request is one call the simulator received, for assertions in tests.
type Request struct {
	At     time.Time `json:"at"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Query  string    `json:"query"`
	Status int       `json:"status"`
}

// maxRequestLog bounds the recorded requests. The oldest are dropped first.
const maxRequestLog = 1000

// New returns a Server holding the sample catalog plus opts.Packages
// synthetic packages.
func New(opts Options) *Server {
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = DefaultTokenLifetime
	}
	if opts.Balance == 0 {
		opts.Balance = DefaultBalance
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Server{
		opts:    opts,
		logger:  opts.Logger,
		balance: opts.Balance,
		tokens:  map[string]time.Time{},
		catalog: newCatalog(opts.Packages),
	}
}

// ServeHTTP routes control calls under /_sim/ and API calls.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	recorder := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() { s.record(r, recorder.status) }()

	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.serveControl(recorder, r)
		return
	}
	handler := s.apiHandler(r.Method, r.URL.Path)
	if handler == nil {
		writeJSON(recorder, http.StatusNotFound, metaBody("messages.resource_not_found"))
		return
	}
	if s.injectFailure(recorder, r, handler) {
		return
	}
	s.serveAPI(recorder, r, handler)
}

// serveAPI authenticates every call but the token request, then runs
// handler.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, handler http.HandlerFunc) {
	if r.URL.Path != PathToken && !s.authenticated(r) {
		writeJSON(w, http.StatusUnauthorized, metaBody("This action is unauthorized."))
		return
	}
	handler(w, r)
}

func (s *Server) apiHandler(method, path string) http.HandlerFunc {
	switch {
	case method == http.MethodPost && path == PathToken:
		return s.serveToken
	case method == http.MethodGet && path == PathBalance:
		return s.serveBalance
	case method == http.MethodGet && path == PathPackages:
		return s.servePackages
	case method == http.MethodPost && path == PathOrders:
		return s.serveOrder
	case method == http.MethodPost && path == PathTopUpOrders:
		return s.serveTopUpOrder
	case method == http.MethodGet && isSIMTopUpsPath(path):
		return s.serveSIMTopUps
	case method == http.MethodGet && isSIMUsagePath(path):
		return s.serveSIMUsage
	case method == http.MethodGet && path == PathOrders:
		return s.serveOrderList
	case method == http.MethodGet && strings.HasPrefix(path, PathOrders+"/"):
		return s.serveOrderByID
	default:
		return nil
	}
}

// authenticated checks the bearer token against the issued, unexpired and
// unrevoked ones.
func (s *Server) authenticated(r *http.Request) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for issued, expiry := range s.tokens {
		if hmac.Equal([]byte(issued), []byte(token)) {
			return s.opts.Now().Before(expiry)
		}
	}
	return false
}

func (s *Server) record(r *http.Request, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) >= maxRequestLog {
		s.requests = s.requests[1:]
	}
	s.requests = append(s.requests, Request{
		At: s.opts.Now(), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Status: status,
	})
	s.logger.Debug().Str("method", r.Method).Str("path", r.URL.Path).Int("status", status).Msg("simulated request")
}

// Requests returns the calls received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Balance returns the current balance in USD.
func (s *Server) Balance() money.Amount {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.balance
}

// SetBalance sets the balance in USD.
func (s *Server) SetBalance(balance money.Amount) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.balance = balance
}

func (s *Server) serveBalance(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"data": map[string]any{
			"balances": map[string]any{
				"name": "balance",
				"availableBalance": map[string]any{
					"amount":   json.Number(s.Balance().String()),
					"currency": "USD",
				},
			},
		},
		"meta": map[string]string{"message": "success"},
	})
}

// metaBody is Airalo's shape for a failure without field details.
func metaBody(message string) map[string]any {
	return map[string]any{"data": []any{}, "meta": map[string]string{"message": message}}
}

// writeInvalid writes Airalo's HTTP 422 validation failure for one field.
func writeInvalid(w http.ResponseWriter, field, message string) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"data": map[string]string{field: message},
		"meta": map[string]string{"message": "the parameter is invalid"},
	})
}

func writeJSON(w http.ResponseWriter, status int, value any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(value)
}

// statusRecorder keeps the status written, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Flush() {
	if flusher, ok := r.ResponseWriter.(http.Flusher); ok {
		flusher.Flush()
	}
}
