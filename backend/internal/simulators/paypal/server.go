// Package paypal simulates the parts of the PayPal REST API that esimScan
// uses, on loopback, for tests and demos: the OAuth 2.0 client-credentials
// token, Orders v2 (create, get, capture), the approval page, captures
// (get, refund), and webhook signature verification. Responses are idempotent by
// the PayPal-Request-Id header, and failures (401, 429, 500, slow or
// malformed answers) can be injected. Test controls under /_sim/ hand out
// signed webhook deliveries over HTTP (see PathControl).
//
// Webhook signatures are HMAC-SHA256 over the string PayPal signs
// ("transmission_id|transmission_time|webhook_id|crc32 of the body"), with
// a key of this server instead of PayPal's RSA certificate, so only
// deliveries made by SignedDelivery verify.
package paypal

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// API paths served, as on PayPal's own host.
const (
	PathToken         = "/v1/oauth2/token"
	PathOrders        = "/v2/checkout/orders"
	PathCaptures      = "/v2/payments/captures"
	PathVerifyWebhook = "/v1/notifications/verify-webhook-signature"
	PathApprove       = "/checkoutnow"
	PathCert          = "/v1/notifications/certs/CERT-esimscan-simulator"
)

// DefaultTokenLifetime is the expires_in of issued tokens when
// Options.TokenLifetime is 0: nine hours, the expires_in (32400) PayPal
// commonly returns.
const DefaultTokenLifetime = 9 * time.Hour

// Options configure a Server.
type Options struct {
	// ClientID and ClientSecret are the only credentials accepted by
	// POST /v1/oauth2/token.
	ClientID     string
	ClientSecret string
	// TokenLifetime is the expires_in of issued tokens, after which they
	// are rejected; 0 means DefaultTokenLifetime.
	TokenLifetime time.Duration
	// Logger receives the listening address from ListenAndServe; the zero
	// value logs nothing.
	Logger zerolog.Logger
}

// Server is the simulated PayPal API. It is safe for concurrent use.
type Server struct {
	opts       Options
	mux        *http.ServeMux
	signingKey []byte

	// idempotentMu serialises requests that carry a PayPal-Request-Id, so
	// that two concurrent requests with one id run the operation once.
	idempotentMu sync.Mutex

	mu         sync.Mutex
	tokens     map[string]time.Time // access token → expiry
	tokenCalls int
	orders     map[string]*order
	captures   map[string]*capture
	idempotent map[string]storedResponse // method, path and PayPal-Request-Id → first response
	failures   []Failure
	sequence   int
	requestIDs map[string]int // PayPal-Request-Id → requests carrying it
}

// New returns a Server with no orders.
func New(opts Options) *Server {
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = DefaultTokenLifetime
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s := &Server{
		opts:       opts,
		mux:        http.NewServeMux(),
		signingKey: key,
		tokens:     map[string]time.Time{},
		orders:     map[string]*order{},
		captures:   map[string]*capture{},
		idempotent: map[string]storedResponse{},
		requestIDs: map[string]int{},
	}
	s.mux.HandleFunc("POST "+PathToken, s.serveToken)
	s.mux.HandleFunc("POST "+PathOrders, s.authorized(s.idempotently(s.serveCreateOrder)))
	s.mux.HandleFunc("GET "+PathOrders+"/{id}", s.authorized(s.serveGetOrder))
	s.mux.HandleFunc("POST "+PathOrders+"/{id}/capture", s.authorized(s.idempotently(s.serveCapture)))
	s.mux.HandleFunc("GET "+PathCaptures+"/{id}", s.authorized(s.serveGetCapture))
	s.mux.HandleFunc("POST "+PathCaptures+"/{id}/refund", s.authorized(s.idempotently(s.serveRefund)))
	s.mux.HandleFunc("POST "+PathVerifyWebhook, s.authorized(s.serveVerifyWebhook))
	s.mux.HandleFunc("GET "+PathApprove, s.serveApprove)
	s.controlRoutes()
	return s
}

// ServeHTTP serves the API, after any injected failure for the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.injectFailure(w, r) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// TokenCalls returns how many token requests the server has answered,
// rejected ones included.
func (s *Server) TokenCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenCalls
}

// RevokeTokens makes every issued access token invalid, as PayPal does when
// an app's credentials are rotated.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]time.Time{}
}

// RequestsWithID returns how many requests carried the PayPal-Request-Id
// header value id, replays included.
func (s *Server) RequestsWithID(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requestIDs[id]
}

// nextID returns a new upper-case id with prefix, unique in this server.
// The caller holds s.mu.
func (s *Server) nextID(prefix string) string {
	s.sequence++
	return fmt.Sprintf("%s%013d", prefix, s.sequence)
}

// authorized rejects requests without a valid bearer token with 401, as
// PayPal does.
func (s *Server) authorized(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		expiry, known := s.tokens[token]
		s.mu.Unlock()
		if !ok || !known || !time.Now().Before(expiry) {
			writeError(w, http.StatusUnauthorized, "AUTHENTICATION_FAILURE",
				"Authentication failed due to invalid authentication credentials or a missing Authorization header.")
			return
		}
		next(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// apiError is PayPal's error body.
type apiError struct {
	Name    string        `json:"name"`
	Message string        `json:"message"`
	DebugID string        `json:"debug_id"`
	Details []errorDetail `json:"details,omitempty"`
}

type errorDetail struct {
	Field       string `json:"field,omitempty"`
	Issue       string `json:"issue"`
	Description string `json:"description,omitempty"`
}

func writeError(w http.ResponseWriter, status int, name, message string, details ...errorDetail) {
	writeJSON(w, status, apiError{Name: name, Message: message, DebugID: "sim-debug", Details: details})
}

// writeUnprocessable answers 422 with one issue, as Orders v2 reports
// business rule failures.
func writeUnprocessable(w http.ResponseWriter, issue, description string) {
	writeError(w, http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY",
		"The requested action could not be performed, semantically incorrect, or failed business validation.",
		errorDetail{Issue: issue, Description: description})
}

// writeInvalidRequest answers 400 naming the invalid field.
func writeInvalidRequest(w http.ResponseWriter, field, issue, description string) {
	writeError(w, http.StatusBadRequest, "INVALID_REQUEST",
		"Request is not well-formed, syntactically incorrect, or violates schema.",
		errorDetail{Field: field, Issue: issue, Description: description})
}
