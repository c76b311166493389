// Package esimaccess simulates the eSIM Access Open API v1 on loopback for
// tests, the CLI and the demo sandbox: signed-header authentication, the
// balance, the whole package list in one streamed response, idempotent
// orders, asynchronous profile allocation and idempotent top-ups of
// issued eSIMs. Control endpoints under
// /_sim/ inject failures and change the catalog at runtime.
//
// Generated eSIMs are realistic in shape but clearly fake: ICCIDs start
// with 8999 and the SM-DP+ address is sim.esimscan.invalid.
package esimaccess

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// API paths served, as documented for Open API v1.
const (
	PathBalance     = "/api/v1/open/balance/query"
	PathPackageList = "/api/v1/open/package/list"
	PathOrder       = "/api/v1/open/esim/order"
	PathQuery       = "/api/v1/open/esim/query"
	PathTopUp       = "/api/v1/open/esim/topup"
	PathUsage       = "/api/v1/open/esim/usage/query"
)

// Defaults of Options.
const (
	DefaultBalance         = 1_257_500 // 125.75 USD in 1/10,000 USD, as in the provider's example
	DefaultTimestampWindow = 10 * time.Minute
	DefaultAllocationPolls = 1
)

// Options configure a Server.
type Options struct {
	// AccessCode is the only RT-AccessCode accepted.
	AccessCode string
	// SecretKey verifies RT-Signature when a request carries one; empty
	// accepts any signature.
	SecretKey string
	// Packages adds that many synthetic packages (countries, regions, day
	// passes) after the sample ones. They are generated on the fly, so a
	// large catalog costs no memory.
	Packages int
	// Balance is the starting balance in 1/10,000 USD; 0 means
	// DefaultBalance.
	Balance int64
	// AllocationPolls is how many queries of a new order response 200010
	// before its profiles are ready; 0 means DefaultAllocationPolls and a
	// negative value makes profiles ready at once.
	AllocationPolls int
	// AllocationDelay also keeps an order pending until that much time has
	// passed since it was placed.
	AllocationDelay time.Duration
	// TimestampWindow is the allowed distance between RT-Timestamp and the
	// clock; 0 means DefaultTimestampWindow.
	TimestampWindow time.Duration
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger zerolog.Logger
}

// Server is the simulated API, an http.Handler. It is safe for concurrent
// use.
type Server struct {
	opts   Options
	logger zerolog.Logger

	mu       sync.Mutex
	balance  int64
	catalog  *catalog
	orders   map[string]*order // by orderNo
	byTxn    map[string]*order // by transactionId
	topUps   []*TopUp          // in the order they were bought
	topUpTxn map[string]*TopUp // by transactionId
	used     map[string]int64  // bytes used, by ICCID; see SetUsage
	failures []Failure
	requests []Request
	sequence int64
}

// Request is one call the simulator received, for assertions in tests.
type Request struct {
	At     time.Time `json:"at"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Status int       `json:"status"`
}

// maxRequestLog bounds the recorded requests. The oldest are dropped first.
const maxRequestLog = 1000

// New returns a Server holding the sample catalog plus opts.Packages
// synthetic packages.
func New(opts Options) *Server {
	if opts.Balance == 0 {
		opts.Balance = DefaultBalance
	}
	if opts.AllocationPolls == 0 {
		opts.AllocationPolls = DefaultAllocationPolls
	}
	if opts.TimestampWindow <= 0 {
		opts.TimestampWindow = DefaultTimestampWindow
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Server{
		opts:    opts,
		logger:  opts.Logger,
		balance: opts.Balance,
		catalog: newCatalog(opts.Packages),
		orders:  map[string]*order{},
		byTxn:   map[string]*order{},

		topUpTxn: map[string]*TopUp{},
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
	handler := s.apiHandler(r.URL.Path)
	if handler == nil {
		// A real gateway responses an unknown path with a plain 404 page.
		http.NotFound(recorder, r)
		return
	}
	if s.injectFailure(recorder, r) {
		return
	}
	if r.Method != http.MethodPost {
		writeError(recorder, "000103", "Request method '"+r.Method+"' not supported")
		return
	}
	if code, message := s.authenticate(r); code != "" {
		writeError(recorder, code, message)
		return
	}
	handler(recorder, r)
}

func (s *Server) apiHandler(path string) http.HandlerFunc {
	switch path {
	case PathBalance:
		return s.serveBalance
	case PathPackageList:
		return s.servePackageList
	case PathOrder:
		return s.serveOrder
	case PathQuery:
		return s.serveQuery
	case PathTopUp:
		return s.serveTopUp
	case PathUsage:
		return s.serveUsage
	default:
		return nil
	}
}

// authenticate checks the RT-* headers: the access code is mandatory, and
// a signature, when present, must match with a timestamp inside the
// window. It returns the error code and message, or "" when the request
// passes. The code for an unknown access code is not documented; 000102 is
// our choice.
func (s *Server) authenticate(r *http.Request) (string, string) {
	accessCode := r.Header.Get("RT-AccessCode")
	if accessCode == "" {
		return "000101", "Req Header:[RT-AccessCode] is null"
	}
	if !hmac.Equal([]byte(accessCode), []byte(s.opts.AccessCode)) {
		return "000102", "Access code is invalid"
	}
	signature := r.Header.Get("RT-Signature")
	if signature == "" || s.opts.SecretKey == "" {
		return "", ""
	}

	timestamp := r.Header.Get("RT-Timestamp")
	requestID := r.Header.Get("RT-RequestID")
	if timestamp == "" || requestID == "" {
		return "000101", "Req Header:[RT-Timestamp] or [RT-RequestID] is null"
	}
	millis, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return "000102", "Req Header:[RT-Timestamp] is not a number"
	}
	skew := s.opts.Now().Sub(time.UnixMilli(millis))
	if skew < 0 {
		skew = -skew
	}
	if skew > s.opts.TimestampWindow {
		return "101001", "Request timestamp expired"
	}

	body, ok := bodyOf(r)
	if !ok {
		return "000104", "Request body could not be read"
	}
	if !signatureMatches(s.opts.SecretKey, timestamp+requestID+accessCode, body, signature) {
		return "101003", "Request signature mismatch."
	}
	return "", ""
}

// signatureMatches compares hex digits case-insensitively, because
// clients send upper or lower case.
func signatureMatches(secretKey, prefix string, body []byte, signature string) bool {
	got, err := hex.DecodeString(signature)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secretKey))
	mac.Write([]byte(prefix))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

func (s *Server) record(r *http.Request, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) >= maxRequestLog {
		s.requests = s.requests[1:]
	}
	s.requests = append(s.requests, Request{At: s.opts.Now(), Method: r.Method, Path: r.URL.Path, Status: status})
	s.logger.Debug().Str("method", r.Method).Str("path", r.URL.Path).Int("status", status).Msg("simulated request")
}

// Requests returns the calls received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Balance returns the current balance in 1/10,000 USD.
func (s *Server) Balance() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.balance
}

// SetBalance sets the balance in 1/10,000 USD.
func (s *Server) SetBalance(balance int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.balance = balance
}

func (s *Server) serveBalance(w http.ResponseWriter, _ *http.Request) {
	writeObj(w, map[string]int64{"balance": s.Balance()})
}

type envelope struct {
	Success   bool    `json:"success"`
	ErrorCode *string `json:"errorCode"`
	ErrorMsg  *string `json:"errorMsg"`
	Obj       any     `json:"obj"`
}

func writeObj(w http.ResponseWriter, obj any) {
	code := "0"
	writeJSON(w, http.StatusOK, envelope{Success: true, ErrorCode: &code, Obj: obj})
}

// writeError responses a business or auth error with HTTP 200, our reading
// of the undocumented status.
func writeError(w http.ResponseWriter, code, message string) {
	writeJSON(w, http.StatusOK, envelope{ErrorCode: &code, ErrorMsg: &message})
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
