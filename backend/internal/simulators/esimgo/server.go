// Package esimgo simulates the eSIM Go API v2.4 on loopback for tests, the
// CLI and the demo sandbox: X-API-Key authentication rejected with 403,
// the organisation and its balance, the paged catalogue, validated and
// charged orders with an order list, eSIM assignments, and top-ups: bundles
// ordered with iccids, the bundles applied to an eSIM and the
// compatibility check. Control
// endpoints under /_sim/ inject failures and change the catalogue at
// runtime.
//
// Generated eSIMs are realistic in shape but clearly fake: ICCIDs start
// with 8999 and the SM-DP+ address is rsp.esimscan.invalid.
package esimgo

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"esimscan/backend/money"
)

// API paths served. A version prefix such as /v2.4 is accepted and
// ignored, so that a base URL of <server>/v2.4 works like the real one.
const (
	PathOrganisation = "/organisation"
	PathCatalogue    = "/catalogue"
	PathBundle       = "/catalogue/bundle/" // followed by the bundle name
	PathOrders       = "/orders"            // POST to order, GET to list, /orders/{reference} for one
	PathAssignments  = "/esims/assignments"
)

// Defaults of Options.
const (
	DefaultBalance  = "3125.6" // as in the provider's sample
	DefaultCurrency = "USD"
	DefaultPerPage  = 100
	// RateLimitPerSecond is the limit eSIM Go documents, reported in the
	// X-Ratelimit-Limit header. The simulator does not enforce it; inject
	// FailRateLimited to test a 429.
	RateLimitPerSecond = 10
)

// Options configure a Server.
type Options struct {
	// APIKey is the only X-API-Key (or api_key query value) accepted.
	APIKey string
	// Packages adds that many synthetic bundles (single countries,
	// regions, unlimited plans) after the sample ones. They are generated
	// on the fly, so a large catalogue costs no memory.
	Packages int
	// Balance is the starting balance as a decimal string; "" means
	// DefaultBalance.
	Balance string
	// Currency is the organisation currency; "" means DefaultCurrency.
	Currency string
	// PageOverlap makes every catalogue page after the first start that
	// many bundles early, so those bundles are listed on two pages, as
	// when the catalogue shifts during a sync.
	PageOverlap int
	// AsyncOrders leaves the eSIMs out of the transaction response (status
	// "Processing"), and GET /esims/assignments returns none for the
	// first AssignmentPolls queries of each order.
	AsyncOrders     bool
	AssignmentPolls int
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger zerolog.Logger
}

// Server is the simulated API, an http.Handler. It is safe for concurrent
// use.
type Server struct {
	opts   Options
	logger zerolog.Logger

	mu        sync.Mutex
	balance   money.Amount
	catalog   *catalog
	orders    []*Order // oldest first
	byRef     map[string]*Order
	validated int
	// incompatible names the bundles that top up no eSIM.
	incompatible map[string]bool
	failures     []Failure
	requests     []Request
	sequence     int64
	usedBytes    map[string]int64 // bytes used, by ICCID; see SetUsage
}

// Request is one call the simulator received, for assertions in tests.
// Query never contains the api_key parameter.
type Request struct {
	At     time.Time `json:"at"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Query  string    `json:"query"`
	Status int       `json:"status"`
}

// maxRequestLog bounds the recorded requests. The oldest are dropped first.
const maxRequestLog = 2000

// New returns a Server holding the sample catalogue plus opts.Packages
// synthetic bundles. It panics on an opts.Balance that is not a decimal.
func New(opts Options) *Server {
	if opts.Balance == "" {
		opts.Balance = DefaultBalance
	}
	if opts.Currency == "" {
		opts.Currency = DefaultCurrency
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	balance, err := money.ParseAmount(opts.Balance)
	if err != nil {
		panic("esim-go simulator: invalid Options.Balance: " + err.Error())
	}
	return &Server{
		opts:    opts,
		logger:  opts.Logger,
		balance: balance,
		catalog: newCatalog(opts.Packages),
		byRef:   map[string]*Order{},

		incompatible: map[string]bool{},
	}
}

// ServeHTTP routes control calls under /_sim/ and API calls.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	recorder := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	path := stripVersion(r.URL.Path)
	defer func() { s.record(r, path, recorder.status) }()

	if strings.HasPrefix(path, "/_sim/") {
		s.serveControl(recorder, r, path)
		return
	}
	handler := s.apiHandler(r.Method, path)
	if handler == nil {
		writeMessage(recorder, http.StatusNotFound, "Not Found")
		return
	}
	setRateLimitHeaders(recorder, s.opts.Now())
	if !s.authenticated(r) {
		writeMessage(recorder, http.StatusForbidden, "Forbidden")
		return
	}
	if s.injectFailure(recorder, r, path, handler) {
		return
	}
	handler(recorder, r)
}

// stripVersion removes a leading /v2.N segment.
func stripVersion(path string) string {
	rest, ok := strings.CutPrefix(path, "/v2.")
	if !ok {
		return path
	}
	if slash := strings.IndexByte(rest, '/'); slash >= 0 {
		return rest[slash:]
	}
	return "/"
}

func (s *Server) apiHandler(method, path string) http.HandlerFunc {
	switch {
	case method == http.MethodGet && path == PathOrganisation:
		return s.serveOrganisation
	case method == http.MethodGet && path == PathCatalogue:
		return s.serveCatalogue
	case method == http.MethodGet && strings.HasPrefix(path, PathBundle):
		return s.serveBundle
	case method == http.MethodPost && path == PathOrders:
		return s.serveOrder
	case method == http.MethodGet && path == PathOrders:
		return s.serveOrderList
	case method == http.MethodGet && strings.HasPrefix(path, PathOrders+"/"):
		return s.serveOrderDetail
	case method == http.MethodGet && path == PathAssignments:
		return s.serveAssignments
	case method == http.MethodGet:
		return s.esimHandler(path)
	default:
		return nil
	}
}

// authenticated checks X-API-Key, whose name is case-insensitive, or the
// api_key query parameter that eSIM Go also reads.
func (s *Server) authenticated(r *http.Request) bool {
	key := r.Header.Get("X-API-Key")
	if key == "" {
		key = r.URL.Query().Get("api_key")
	}
	return key != "" && subtle.ConstantTimeCompare([]byte(key), []byte(s.opts.APIKey)) == 1
}

// setRateLimitHeaders sends the X-Ratelimit-* headers eSIM Go puts on
// every response, for a fixed one-second window.
func setRateLimitHeaders(w http.ResponseWriter, now time.Time) {
	w.Header().Set("X-Ratelimit-Limit", strconv.Itoa(RateLimitPerSecond))
	w.Header().Set("X-Ratelimit-Remaining", strconv.Itoa(RateLimitPerSecond-1))
	w.Header().Set("X-Ratelimit-Reset", now.UTC().Truncate(time.Second).Add(time.Second).Format(time.RFC3339))
	w.Header().Set("X-Ratelimit-Cost", "1")
}

func (s *Server) record(r *http.Request, path string, status int) {
	query := r.URL.Query()
	query.Del("api_key")
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) >= maxRequestLog {
		s.requests = s.requests[1:]
	}
	s.requests = append(s.requests, Request{
		At: s.opts.Now(), Method: r.Method, Path: path, Query: query.Encode(), Status: status,
	})
	s.logger.Debug().Str("method", r.Method).Str("path", path).Int("status", status).Msg("simulated request")
}

// Requests returns the calls received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Balance returns the current balance.
func (s *Server) Balance() money.Amount {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.balance
}

// SetBalance sets the balance.
func (s *Server) SetBalance(balance money.Amount) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.balance = balance
}

// serveOrganisation returns the sample organisation with the current
// balance. Like eSIM Go, it echoes the caller's API key.
func (s *Server) serveOrganisation(w http.ResponseWriter, _ *http.Request) {
	balance := s.Balance()
	writeJSON(w, http.StatusOK, map[string]any{"organisations": []map[string]any{{
		"name":               "Simulated Travel Data Ltd",
		"apiKey":             s.opts.APIKey,
		"taxLiable":          "false",
		"country":            "GB",
		"callbackUrl":        "",
		"groups":             []string{"Standard Fixed", "Standard Unlimited Essential", "Standard Unlimited Lite"},
		"currency":           s.opts.Currency,
		"balance":            json.Number(balance.String()),
		"testCredit":         0,
		"testCreditExpiry":   "0001-01-01T00:00:00Z",
		"businessType":       "Reseller",
		"productDescription": "Travel eSIMs",
		"users":              []any{},
	}}})
}

func writeJSON(w http.ResponseWriter, status int, value any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(value)
}

// writeMessage writes eSIM Go's error body {"message": "..."}.
func writeMessage(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{"message": message})
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
