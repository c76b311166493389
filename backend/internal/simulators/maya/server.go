// Package maya simulates the Maya Mobile Connectivity API v1 on loopback
// for tests, the CLI and the demo sandbox: HTTP Basic authentication, the
// balance, the product list in one streamed response, customers, and eSIMs
// that are issued at once. Control endpoints under /_sim/ inject failures
// and change the catalog at runtime.
//
// Maya publishes its reference only to partners, so the shapes served here
// follow the public integrations that call the live API. The balance and
// customer shapes are our reading of them.
//
// Generated eSIMs are realistic in shape but clearly fake: ICCIDs start
// with 8999 and the SM-DP+ address is rsp.esimscan.invalid.
package maya

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
)

// API paths served. Every API path lives under PathPrefix, as on
// api.maya.net, so a client's base URL is the server URL plus PathPrefix.
const (
	PathPrefix   = "/connectivity/v1"
	PathBalance  = PathPrefix + "/account/balance"
	PathProducts = PathPrefix + "/account/products"
	PathCustomer = PathPrefix + "/customer"
	PathESIM     = PathPrefix + "/esim"
)

// Defaults of Options.
const (
	DefaultBalance  = "1840.25" // the value of the balance sample
	DefaultCurrency = "USD"
)

// Options configure a Server.
type Options struct {
	// APIKey and APISecret are the only credentials accepted, sent as
	// "Authorization: Basic base64(key:secret)".
	APIKey    string
	APISecret string
	// AllowBearer also accepts "Authorization: Bearer <APIKey>". Maya's
	// bearer mode is unverified, so it is off by default.
	AllowBearer bool
	// NoBalanceEndpoint returns 404 on the balance path, as an account
	// without a prepaid balance may.
	NoBalanceEndpoint bool
	// Balance is the decimal balance served; empty means DefaultBalance.
	Balance string
	// Currency of the balance; empty means DefaultCurrency.
	Currency string
	// Packages adds that many synthetic products after the sample ones. They
	// are generated on the fly, so a large catalog costs no memory.
	Packages int
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
	balance   string
	currency  string
	catalog   *catalog
	customers map[string]*customer // by id
	esims     map[string]*ESIM     // by ICCID
	used      map[string]int64     // bytes used, by ICCID
	orders    []Order
	failures  []Failure
	requests  []Request
	sequence  int64
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
// synthetic products.
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
	return &Server{
		opts:      opts,
		logger:    opts.Logger,
		balance:   opts.Balance,
		currency:  opts.Currency,
		catalog:   newCatalog(opts.Packages),
		customers: map[string]*customer{},
		esims:     map[string]*ESIM{},
		used:      map[string]int64{},
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
		// An unknown path gets a plain 404 page, as from a web server.
		http.NotFound(recorder, r)
		return
	}
	failure, failed := s.takeFailure(r.Method, r.URL.Path)
	if failed && s.injectFailure(recorder, r, failure) {
		return
	}
	if !s.authenticate(r) {
		writeError(recorder, http.StatusUnauthorized, "Unauthorized", "The API key or secret is not valid.")
		return
	}
	if failed && failure.Mode == FailSlowResponse {
		s.serveThenHold(recorder, r, handler, failure)
		return
	}
	if failed && failure.Mode == FailServerAfter {
		s.serveThenFail(recorder, r, handler)
		return
	}
	handler(recorder, r)
}

func (s *Server) apiHandler(method, path string) http.HandlerFunc {
	switch {
	case method == http.MethodGet && path == PathBalance:
		if s.opts.NoBalanceEndpoint {
			return nil
		}
		return s.serveBalance
	case method == http.MethodGet && path == PathProducts:
		return s.serveProducts
	case method == http.MethodPost && (path == PathCustomer || path == PathCustomer+"/"):
		return s.serveCreateCustomer
	case method == http.MethodGet && strings.HasPrefix(path, PathCustomer+"/") && len(path) > len(PathCustomer)+1:
		return s.serveCustomer
	case method == http.MethodPost && path == PathESIM:
		return s.serveCreateESIM
	case method == http.MethodGet && strings.HasPrefix(path, PathESIM+"/") && strings.HasSuffix(path, plansSuffix) &&
		len(path) > len(PathESIM)+1+len(plansSuffix):
		return s.servePlans
	case method == http.MethodGet && strings.HasPrefix(path, PathESIM+"/") && len(path) > len(PathESIM)+1:
		return s.serveESIM
	default:
		return nil
	}
}

// authenticate checks the Authorization header: Basic with the configured
// key and secret, or Bearer with the key when AllowBearer is set.
func (s *Server) authenticate(r *http.Request) bool {
	header := r.Header.Get("Authorization")
	scheme, value, ok := strings.Cut(header, " ")
	if !ok {
		return false
	}
	switch strings.ToLower(scheme) {
	case "basic":
		decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value))
		if err != nil {
			return false
		}
		key, secret, ok := strings.Cut(string(decoded), ":")
		keyOK := hmac.Equal([]byte(key), []byte(s.opts.APIKey))
		secretOK := hmac.Equal([]byte(secret), []byte(s.opts.APISecret))
		return ok && keyOK && secretOK
	case "bearer":
		return s.opts.AllowBearer && hmac.Equal([]byte(strings.TrimSpace(value)), []byte(s.opts.APIKey))
	default:
		return false
	}
}

func (s *Server) record(r *http.Request, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) >= maxRequestLog {
		s.requests = s.requests[1:]
	}
	s.requests = append(s.requests, Request{
		At:     s.opts.Now(),
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.RawQuery,
		Status: status,
	})
	s.logger.Debug().Str("method", r.Method).Str("path", r.URL.Path).Int("status", status).Msg("simulated request")
}

// Requests returns the calls received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// SetBalance sets the decimal balance and its currency.
func (s *Server) SetBalance(balance, currency string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.balance = balance
	s.currency = currency
}

func (s *Server) serveBalance(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	payload := map[string]any{"balance": s.balance, "currency": s.currency}
	s.mu.Unlock()
	writeOK(w, http.StatusOK, payload)
}

// writeOK writes the success envelope around the payload keys.
func writeOK(w http.ResponseWriter, status int, payload map[string]any) {
	body := map[string]any{
		"result":            1,
		"status":            status,
		"request_id":        uuid.NewString(),
		"message":           "",
		"developer_message": "",
	}
	for key, value := range payload {
		body[key] = value
	}
	writeJSON(w, status, body)
}

// writeError writes the error envelope: result 0 and the status repeated
// in the body, as the public integrations read it.
func writeError(w http.ResponseWriter, status int, message, developerMessage string) {
	writeJSON(w, status, map[string]any{
		"result":            0,
		"status":            status,
		"request_id":        uuid.NewString(),
		"message":           message,
		"developer_message": developerMessage,
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
