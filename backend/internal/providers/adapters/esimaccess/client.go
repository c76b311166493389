// Package esimaccess is the adapters.Client of eSIM Access
// (api.esimaccess.com, Open API v1): every call is a signed JSON POST, and
// every response an envelope {"success", "errorCode", "errorMsg", "obj"}.
package esimaccess

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
	"esimscan/backend/money"
)

// Credential field names in adapters.Settings.Credentials.
const (
	CredentialAccessCode = "access_code"
	CredentialSecretKey  = "secret_key"
)

// Default deadlines of one attempt. The package list is one unpaginated
// response of every package, so it gets longer.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultListTimeout = 5 * time.Minute
)

// Client calls the eSIM Access Open API. It is safe for concurrent use.
type Client struct {
	baseURL    string
	accessCode string
	secretKey  string // empty: requests go unsigned

	balancePath     string
	packageListPath string
	packageListBody []byte

	now         func() time.Time
	timeout     time.Duration
	listTimeout time.Duration
	doer        *httpx.Doer
}

var _ adapters.Client = (*Client)(nil)

// Option adjusts a Client built by New.
type Option func(*Client)

// WithHTTPClient sends requests through client instead of
// http.DefaultClient.
func WithHTTPClient(client *http.Client) Option {
	return func(c *Client) { c.doer.HTTPClient = client }
}

// WithClock sets the clock behind RT-Timestamp and the hourly limiter.
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
// backoffs in tests.
func WithRetry(policy httpx.RetryPolicy) Option {
	return func(c *Client) { c.doer.Retry = policy }
}

// WithTimeouts sets the deadline of one attempt for ordinary calls and for
// the package list.
func WithTimeouts(call, list time.Duration) Option {
	return func(c *Client) {
		c.timeout = call
		c.listTimeout = list
	}
}

// WithLogger logs retries to logger. By default nothing is logged.
func WithLogger(logger zerolog.Logger) Option {
	return func(c *Client) { c.doer.Logger = logger }
}

// Factory builds a Client from settings with the default options.
var Factory adapters.Factory = func(settings adapters.Settings) (adapters.Client, error) {
	return New(settings)
}

// New validates settings and returns a Client. The base URL must be http or
// https with a host, and the access code must be set. Without a secret key,
// requests carry the access code alone, which some accounts accept.
// Invalid settings return an *apperr.Error naming the field.
func New(settings adapters.Settings, opts ...Option) (*Client, error) {
	baseURL, err := validateBaseURL(settings.BaseURL)
	if err != nil {
		return nil, err
	}
	accessCode := strings.TrimSpace(settings.Credentials[CredentialAccessCode])
	if accessCode == "" {
		return nil, apperr.Invalid("credentials."+CredentialAccessCode, "missing_credential",
			"access_code is required")
	}
	if err := ValidateAdvanced(settings.Advanced); err != nil {
		return nil, err
	}

	c := &Client{
		baseURL:         baseURL,
		accessCode:      accessCode,
		secretKey:       strings.TrimSpace(settings.Credentials[CredentialSecretKey]),
		balancePath:     adapters.AdvancedValue(settings.Advanced, DefaultAdvanced, AdvancedBalancePath),
		packageListPath: adapters.AdvancedValue(settings.Advanced, DefaultAdvanced, AdvancedPackageListPath),
		packageListBody: compactBody(adapters.AdvancedValue(settings.Advanced, DefaultAdvanced, AdvancedPackageListBody)),
		now:             time.Now,
		timeout:         DefaultTimeout,
		listTimeout:     DefaultListTimeout,
		doer:            &httpx.Doer{Retry: httpx.DefaultRetryPolicy()},
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

// newRequest returns a Call.NewRequest that POSTs body to path, signed
// afresh for each attempt.
func (c *Client) newRequest(path string, body []byte) func(ctx context.Context) (*http.Request, error) {
	return func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+path, bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("build request for %s: %w", path, err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("RT-AccessCode", c.accessCode)
		if c.secretKey == "" {
			return req, nil
		}
		timestamp := strconv.FormatInt(c.now().UnixMilli(), 10)
		requestID := strings.ReplaceAll(uuid.NewString(), "-", "")
		req.Header.Set("RT-RequestID", requestID)
		req.Header.Set("RT-Timestamp", timestamp)
		req.Header.Set("RT-Signature", sign(c.secretKey, timestamp, requestID, c.accessCode, body))
		return req, nil
	}
}

// sign returns the upper-case hex HMAC-SHA256, keyed with the secret key,
// of timestamp + requestID + accessCode + body, as eSIM Access verifies it.
func sign(secretKey, timestamp, requestID, accessCode string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secretKey))
	mac.Write([]byte(timestamp))
	mac.Write([]byte(requestID))
	mac.Write([]byte(accessCode))
	mac.Write(body)
	return strings.ToUpper(hex.EncodeToString(mac.Sum(nil)))
}

// call runs one request whose response is a small envelope and returns its
// obj, which is never empty on success.
func (c *Client) call(ctx context.Context, path string, body []byte) ([]byte, error) {
	var obj []byte
	err := c.doer.Do(ctx, httpx.Call{
		NewRequest:   c.newRequest(path, body),
		HandleStatus: c.handleStatus,
		Handle: func(resp *http.Response) error {
			env, err := c.readEnvelope(resp)
			if err != nil {
				return err
			}
			obj, err = c.objOf(env, httpx.Label(resp.Request))
			return err
		},
	})
	return obj, err
}

// Balance returns the merchant's prepaid balance, in USD.
func (c *Client) Balance(ctx context.Context) (adapters.Balance, error) {
	obj, err := c.call(ctx, c.balancePath, nil)
	if err != nil {
		return adapters.Balance{}, fmt.Errorf("query esim-access balance: %w", err)
	}
	var answer struct {
		Balance *int64 `json:"balance"`
	}
	if err := decodeObj(obj, &answer); err != nil || answer.Balance == nil {
		return adapters.Balance{}, badResponse("balance response has no integer obj.balance", err)
	}
	amount, err := money.FromScaled(*answer.Balance, priceDecimals)
	if err != nil {
		return adapters.Balance{}, badResponse("balance out of range", err)
	}
	return adapters.Balance{Amount: money.New(amount, "USD")}, nil
}
