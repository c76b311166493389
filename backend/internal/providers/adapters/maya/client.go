// Package maya is the adapters.Client of Maya Mobile's Connectivity API v1
// (api.maya.net/connectivity/v1): JSON over GET and POST with HTTP Basic
// authentication, and every response an envelope {"result", "status",
// "request_id", "message", "developer_message", <payload keys>}.
//
// Maya gives its reference to partners only. Paths and fields here follow
// the public integrations that call the live API; the balance endpoint,
// the bearer mode, error bodies and the customer shape are inferred, so
// the balance and product paths can be overridden.
package maya

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
)

// Credential field names in adapters.Settings.Credentials.
const (
	CredentialAPIKey    = "api_key"
	CredentialAPISecret = "api_secret"
	CredentialAuthMode  = "auth_mode"
)

// Values of Credentials["auth_mode"]. Basic sends
// "Authorization: Basic base64(api_key:api_secret)", which every public
// integration uses. Bearer sends "Authorization: Bearer <api_key>" and is
// unverified against the live API.
const (
	AuthModeBasic  = "basic"
	AuthModeBearer = "bearer"
)

// Default deadlines of one attempt. The product list is one unpaginated
// response of the whole catalog, so it gets longer.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultListTimeout = 5 * time.Minute
)

// Client calls the Maya Connectivity API. It is safe for concurrent use.
type Client struct {
	baseURL string
	// authorization is the whole Authorization header value. It contains
	// the credentials, so it is never logged or put in an error.
	authorization string
	secrets       []string // values to redact from provider messages

	balancePath       string
	balanceOverridden bool
	packageListPath   string

	now         func() time.Time
	timeout     time.Duration
	listTimeout time.Duration
	retry       httpx.RetryPolicy
	doer        *httpx.Doer
	logger      zerolog.Logger

	orders *orderBook
}

var _ adapters.Client = (*Client)(nil)

// Option adjusts a Client built by New.
type Option func(*Client)

// WithHTTPClient sends requests through client instead of
// http.DefaultClient.
func WithHTTPClient(client *http.Client) Option {
	return func(c *Client) { c.doer.HTTPClient = client }
}

// WithClock sets the clock of the hourly limiter and of Retry-After dates.
func WithClock(now func() time.Time) Option {
	return func(c *Client) {
		c.now = now
		c.doer.Now = now
	}
}

// WithLimiter replaces the hourly limiter built from
// Settings.RateLimitPerHour.
func WithLimiter(limiter httpx.Limiter) Option {
	return func(c *Client) { c.doer.Limiter = limiter }
}

// WithRetry replaces httpx.DefaultRetryPolicy, for example to shorten
// backoffs in tests. It also paces the order retries that follow a lookup.
func WithRetry(policy httpx.RetryPolicy) Option {
	return func(c *Client) {
		c.retry = policy
		c.doer.Retry = policy
	}
}

// WithTimeouts sets the deadline of one attempt for ordinary calls and for
// the product list.
func WithTimeouts(call, list time.Duration) Option {
	return func(c *Client) {
		c.timeout = call
		c.listTimeout = list
	}
}

// WithLogger logs retries and the balance fallback to logger. By default
// nothing is logged.
func WithLogger(logger zerolog.Logger) Option {
	return func(c *Client) {
		c.logger = logger
		c.doer.Logger = logger
	}
}

// Factory builds a Client from settings with the default options.
var Factory adapters.Factory = func(settings adapters.Settings) (adapters.Client, error) {
	return New(settings)
}

// New validates settings and returns a Client. The base URL must be http or
// https with a host; api_key is required, and so is api_secret unless
// auth_mode is "bearer". Invalid settings return an *apperr.Error naming
// the field.
func New(settings adapters.Settings, opts ...Option) (*Client, error) {
	baseURL, err := validateBaseURL(settings.BaseURL)
	if err != nil {
		return nil, err
	}
	authorization, secrets, err := authorizationOf(settings.Credentials)
	if err != nil {
		return nil, err
	}
	if err := ValidateAdvanced(settings.Advanced); err != nil {
		return nil, err
	}

	c := &Client{
		baseURL:           baseURL,
		authorization:     authorization,
		secrets:           secrets,
		balancePath:       adapters.AdvancedValue(settings.Advanced, DefaultAdvanced, AdvancedBalancePath),
		balanceOverridden: strings.TrimSpace(settings.Advanced[AdvancedBalancePath]) != "",
		packageListPath:   adapters.AdvancedValue(settings.Advanced, DefaultAdvanced, AdvancedPackageListPath),
		now:               time.Now,
		timeout:           DefaultTimeout,
		listTimeout:       DefaultListTimeout,
		retry:             httpx.DefaultRetryPolicy(),
		doer:              &httpx.Doer{Retry: httpx.DefaultRetryPolicy()},
		logger:            zerolog.Nop(),
		orders:            newOrderBook(),
	}
	if settings.RateLimitPerHour > 0 {
		c.doer.Limiter = httpx.NewHourlyLimiter(settings.RateLimitPerHour, func() time.Time { return c.now() })
	}
	for _, opt := range opts {
		opt(c)
	}
	c.doer.Timeout = c.timeout
	return c, nil
}

// authorizationOf builds the Authorization header value and lists the
// secrets it is made of.
func authorizationOf(credentials map[string]string) (string, []string, error) {
	apiKey := strings.TrimSpace(credentials[CredentialAPIKey])
	apiSecret := strings.TrimSpace(credentials[CredentialAPISecret])
	mode := strings.ToLower(strings.TrimSpace(credentials[CredentialAuthMode]))
	if apiKey == "" {
		return "", nil, apperr.Invalid("credentials."+CredentialAPIKey, "missing_credential", "api_key is required")
	}
	switch mode {
	case "", AuthModeBasic:
		if apiSecret == "" {
			return "", nil, apperr.Invalid("credentials."+CredentialAPISecret, "missing_credential",
				"api_secret is required when auth_mode is basic")
		}
		encoded := base64.StdEncoding.EncodeToString([]byte(apiKey + ":" + apiSecret))
		return "Basic " + encoded, []string{apiKey, apiSecret, encoded}, nil
	case AuthModeBearer:
		return "Bearer " + apiKey, []string{apiKey, apiSecret}, nil
	default:
		return "", nil, apperr.Invalid("credentials."+CredentialAuthMode, "invalid_oneof",
			"credentials.auth_mode must be one of: basic, bearer")
	}
}

func validateBaseURL(raw string) (string, error) {
	trimmed := strings.TrimRight(strings.TrimSpace(raw), "/")
	parsed, err := url.Parse(trimmed)
	switch {
	case trimmed == "":
		return "", apperr.Invalid("base_url", "missing_base_url", "base_url is required")
	case err != nil:
		return "", apperr.Invalid("base_url", "invalid_base_url", "base_url is not a valid URL")
	case parsed.Scheme != "http" && parsed.Scheme != "https":
		return "", apperr.Invalid("base_url", "invalid_base_url", "base_url must start with http:// or https://")
	case parsed.Host == "":
		return "", apperr.Invalid("base_url", "invalid_base_url", "base_url has no host")
	case parsed.User != nil:
		// Credentials in the URL would end up in logs and messages.
		return "", apperr.Invalid("base_url", "invalid_base_url", "base_url must not contain a user name or password")
	case parsed.RawQuery != "" || parsed.Fragment != "":
		return "", apperr.Invalid("base_url", "invalid_base_url", "base_url must not contain a query or fragment")
	}
	return trimmed, nil
}

// request describes one API call before it is built for an attempt.
type request struct {
	method string
	path   string // under the base URL, starting with "/"
	query  url.Values
	body   []byte // JSON; nil for none
}

// newRequest returns a Call.NewRequest that builds req afresh for each
// attempt.
func (c *Client) newRequest(req request) func(ctx context.Context) (*http.Request, error) {
	target := c.baseURL + req.path
	if len(req.query) > 0 {
		target += "?" + req.query.Encode()
	}
	return func(ctx context.Context) (*http.Request, error) {
		var body io.Reader
		if req.body != nil {
			body = bytes.NewReader(req.body)
		}
		httpReq, err := http.NewRequestWithContext(ctx, req.method, target, body)
		if err != nil {
			return nil, fmt.Errorf("build request for %s: %w", req.path, err)
		}
		httpReq.Header.Set("Accept", "application/json")
		httpReq.Header.Set("Accept-Version", "v1")
		httpReq.Header.Set("Authorization", c.authorization)
		if req.body != nil {
			httpReq.Header.Set("Content-Type", "application/json")
		}
		return httpReq, nil
	}
}
