// Package esimgo is the adapters.Client of eSIM Go (api.esim-go.com, API
// v2.4): every call carries the X-API-Key header, errors are
// {"message": "..."}, and a missing or wrong key is rejected with HTTP 403.
package esimgo

import (
	"bytes"
	"context"
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

// CredentialAPIKey is the credential field name in
// adapters.Settings.Credentials.
const CredentialAPIKey = "api_key"

// Defaults of one attempt's deadline, the catalogue page size and the
// number of order transactions tried before an order is reported failed.
const (
	DefaultTimeout       = 30 * time.Second
	DefaultListTimeout   = 2 * time.Minute
	DefaultPageSize      = 500
	DefaultOrderAttempts = 3
)

// Client calls the eSIM Go API. It is safe for concurrent use.
type Client struct {
	baseURL string
	apiKey  string

	balancePath     string
	packageListPath string

	now           func() time.Time
	timeout       time.Duration
	listTimeout   time.Duration
	pageSize      int
	orderAttempts int
	doer          *httpx.Doer

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

// WithClock sets the clock behind order lookups and the hourly limiter.
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
// backoffs in tests. Its MaxAttempts also bounds order transactions.
func WithRetry(policy httpx.RetryPolicy) Option {
	return func(c *Client) {
		c.doer.Retry = policy
		if policy.MaxAttempts > 0 {
			c.orderAttempts = policy.MaxAttempts
		}
	}
}

// WithTimeouts sets the deadline of one attempt for ordinary calls and for
// one catalogue page.
func WithTimeouts(call, list time.Duration) Option {
	return func(c *Client) {
		c.timeout = call
		c.listTimeout = list
	}
}

// WithPageSize sets the perPage of catalogue requests; values below 1 keep
// DefaultPageSize.
func WithPageSize(size int) Option {
	return func(c *Client) {
		if size > 0 {
			c.pageSize = size
		}
	}
}

// WithLogger logs retries and order recovery to logger. By default nothing
// is logged.
func WithLogger(logger zerolog.Logger) Option {
	return func(c *Client) { c.doer.Logger = logger }
}

// Factory builds a Client from settings with the default options.
var Factory adapters.Factory = func(settings adapters.Settings) (adapters.Client, error) {
	return New(settings)
}

// New validates settings and returns a Client. The base URL must be http or
// https with a host, and includes the API version, as in
// "https://api.esim-go.com/v2.4". The api_key credential must be set.
// Invalid settings return an *apperr.Error naming the field.
func New(settings adapters.Settings, opts ...Option) (*Client, error) {
	baseURL, err := validateBaseURL(settings.BaseURL)
	if err != nil {
		return nil, err
	}
	apiKey := strings.TrimSpace(settings.Credentials[CredentialAPIKey])
	if apiKey == "" {
		return nil, apperr.Invalid("credentials."+CredentialAPIKey, "missing_credential", "api_key is required")
	}
	if strings.ContainsAny(apiKey, "\r\n") {
		return nil, apperr.Invalid("credentials."+CredentialAPIKey, "invalid_credential",
			"api_key must be one line")
	}
	if err := ValidateAdvanced(settings.Advanced); err != nil {
		return nil, err
	}

	c := &Client{
		baseURL:         baseURL,
		apiKey:          apiKey,
		balancePath:     adapters.AdvancedValue(settings.Advanced, DefaultAdvanced, AdvancedBalancePath),
		packageListPath: adapters.AdvancedValue(settings.Advanced, DefaultAdvanced, AdvancedPackageListPath),
		now:             time.Now,
		timeout:         DefaultTimeout,
		listTimeout:     DefaultListTimeout,
		pageSize:        DefaultPageSize,
		orderAttempts:   DefaultOrderAttempts,
		doer:            &httpx.Doer{Retry: httpx.DefaultRetryPolicy()},
		orders:          newOrderBook(),
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

// newRequest returns a Call.NewRequest for method on path with query and
// an optional JSON body. The key goes in the X-API-Key header only: eSIM Go
// also reads ?api_key=, but a query ends up in access logs.
func (c *Client) newRequest(method, path string, query url.Values, body []byte) func(ctx context.Context) (*http.Request, error) {
	target := c.baseURL + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	return func(ctx context.Context) (*http.Request, error) {
		var reader io.Reader
		if body != nil {
			reader = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, target, reader)
		if err != nil {
			return nil, fmt.Errorf("build request for %s: %w", path, err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-API-Key", c.apiKey)
		return req, nil
	}
}

// getJSON runs a GET whose response is one JSON value of at most
// maxResponseBytes and decodes it into out.
func (c *Client) getJSON(ctx context.Context, path string, query url.Values, out any) error {
	return c.doer.Do(ctx, httpx.Call{
		NewRequest:   c.newRequest(http.MethodGet, path, query, nil),
		HandleStatus: c.handleStatus,
		Handle: func(resp *http.Response) error {
			return c.decodeResponse(resp, out)
		},
	})
}
