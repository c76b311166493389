// Package airalo is the adapters.Client of the Airalo Partner API v2
// (partners-api.airalo.com/v2). Calls carry an OAuth 2.0 bearer token from
// the client-credentials grant, cached per Client. The catalog is paged by
// destination. Orders are synchronous and have no idempotency key, so each
// is tagged with esimScan's reference in its description and looked up
// before it is placed again.
package airalo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
	"esimscan/backend/money"
)

// Credential field names in adapters.Settings.Credentials.
const (
	CredentialClientID     = "client_id"
	CredentialClientSecret = "client_secret"
)

// Defaults of the options. The package list is read one page at a time,
// and a page of 50 destinations can hold hundreds of packages, so a page
// gets a longer deadline than other calls.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultListTimeout = 2 * time.Minute
	DefaultPageSize    = 50 // destinations per page of GET /packages
)

// Paths relative to the base URL, which ends in /v2.
const (
	tokenPath    = "/token"
	balancePath  = "/balance"
	packagesPath = "/packages"
	ordersPath   = "/orders"
)

// DefaultAdvanced is empty: Airalo has no advanced overrides. Callers must
// not modify it.
var DefaultAdvanced = map[string]string{}

// ValidateAdvanced rejects every advanced override with a value, because
// the Airalo paths are fixed. Empty values are valid and mean the default.
// It returns an *apperr.Error naming the field as "advanced.<key>".
func ValidateAdvanced(adv map[string]string) error {
	keys := make([]string, 0, len(adv))
	for key, value := range adv {
		if strings.TrimSpace(value) != "" {
			keys = append(keys, key)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	sort.Strings(keys) // report the same field first on every run
	return apperr.Invalid("advanced."+keys[0], "unknown_setting",
		"airalo has no advanced settings: remove "+keys[0])
}

// Client calls the Airalo Partner API. It is safe for concurrent use.
type Client struct {
	baseURL      string
	clientID     string
	clientSecret string

	now         func() time.Time
	timeout     time.Duration
	listTimeout time.Duration
	pageSize    int
	doer        *httpx.Doer
	tokens      tokenCache
}

var _ adapters.Client = (*Client)(nil)

// Option adjusts a Client built by New.
type Option func(*Client)

// WithHTTPClient sends requests through client instead of
// http.DefaultClient.
func WithHTTPClient(client *http.Client) Option {
	return func(c *Client) { c.doer.HTTPClient = client }
}

// WithClock sets the clock behind token expiry and the hourly limiter.
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
// backoffs in tests. BaseDelay also spaces the attempts of an order.
func WithRetry(policy httpx.RetryPolicy) Option {
	return func(c *Client) { c.doer.Retry = policy }
}

// WithTimeouts sets the deadline of one attempt for ordinary calls and for
// one page of the package list.
func WithTimeouts(call, list time.Duration) Option {
	return func(c *Client) {
		c.timeout = call
		c.listTimeout = list
	}
}

// WithPageSize sets the number of destinations per page of the package
// list; values below 1 keep DefaultPageSize.
func WithPageSize(destinations int) Option {
	return func(c *Client) {
		if destinations > 0 {
			c.pageSize = destinations
		}
	}
}

// WithLogger logs retries, token refreshes and order lookups to logger. By
// default nothing is logged.
func WithLogger(logger zerolog.Logger) Option {
	return func(c *Client) { c.doer.Logger = logger }
}

// Factory builds a Client from settings with the default options.
var Factory adapters.Factory = func(settings adapters.Settings) (adapters.Client, error) {
	return New(settings)
}

// New validates settings and returns a Client. The base URL must be http or
// https with a host, and both client_id and client_secret must be set.
// Invalid settings return an *apperr.Error naming the field. No call is
// made: the first call fetches the token.
func New(settings adapters.Settings, opts ...Option) (*Client, error) {
	baseURL, err := validateBaseURL(settings.BaseURL)
	if err != nil {
		return nil, err
	}
	clientID := strings.TrimSpace(settings.Credentials[CredentialClientID])
	if clientID == "" {
		return nil, apperr.Invalid("credentials."+CredentialClientID, "missing_credential", "client_id is required")
	}
	clientSecret := strings.TrimSpace(settings.Credentials[CredentialClientSecret])
	if clientSecret == "" {
		return nil, apperr.Invalid("credentials."+CredentialClientSecret, "missing_credential", "client_secret is required")
	}
	if err := ValidateAdvanced(settings.Advanced); err != nil {
		return nil, err
	}

	c := &Client{
		baseURL:      baseURL,
		clientID:     clientID,
		clientSecret: clientSecret,
		now:          time.Now,
		timeout:      DefaultTimeout,
		listTimeout:  DefaultListTimeout,
		pageSize:     DefaultPageSize,
		doer:         &httpx.Doer{Retry: httpx.DefaultRetryPolicy()},
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

// balanceBody is the response of GET /balance. Airalo documents an empty
// array for an account without balance, without showing where, so data and
// balances may each be an empty array.
type balanceBody struct {
	Data json.RawMessage `json:"data"`
}

// Balance returns the partner's prepaid balance. Airalo sends it as a JSON
// number in currency units, which is parsed as a decimal.
func (c *Client) Balance(ctx context.Context) (adapters.Balance, error) {
	var answer balanceBody
	err := c.authorized(ctx, request{
		method: http.MethodGet,
		path:   balancePath,
		handle: func(resp *http.Response) error { return readJSON(resp, "balance response", &answer) },
	})
	if err != nil {
		return adapters.Balance{}, fmt.Errorf("query airalo balance: %w", err)
	}
	amount, err := answer.amount()
	if err != nil {
		return adapters.Balance{}, fmt.Errorf("query airalo balance: %w", err)
	}
	return adapters.Balance{Amount: amount}, nil
}

func (a balanceBody) amount() (money.Money, error) {
	zero := money.New(0, "USD")
	if isEmptyArray(a.Data) {
		return zero, nil
	}

	var data struct {
		Balances json.RawMessage `json:"balances"`
	}
	if err := json.Unmarshal(a.Data, &data); err != nil || len(data.Balances) == 0 {
		return money.Money{}, badResponse("balance response has no data.balances", err)
	}
	if isEmptyArray(data.Balances) {
		return zero, nil
	}

	var balances struct {
		Available *struct {
			Amount   json.Number `json:"amount"`
			Currency string      `json:"currency"`
		} `json:"availableBalance"`
	}
	if err := json.Unmarshal(data.Balances, &balances); err != nil || balances.Available == nil {
		return money.Money{}, badResponse("balance response has no data.balances.availableBalance", err)
	}

	amount, err := parseDecimal(balances.Available.Amount)
	if err != nil {
		return money.Money{}, badResponse("balance amount is not a non-negative decimal", err)
	}
	currency, err := currencyCode(balances.Available.Currency)
	if err != nil {
		return money.Money{}, badResponse("balance currency", err)
	}
	return money.New(amount, currency), nil
}
