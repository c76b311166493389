// Package paypal is the PayPal Checkout gateway: Orders v2 with intent
// CAPTURE, captures on the server after the payer approves, refunds of
// captures, and webhook verification through PayPal's
// verify-webhook-signature endpoint. Request and response shapes are those
// of github.com/plutov/paypal/v4; the calls themselves go through
// httpx.Doer, because that library's Send drops the HTTP status of a
// non-JSON error body and its CaptureOrder changes the client without a
// lock.
package paypal

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	paypalsdk "github.com/plutov/paypal/v4"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/providers/adapters/httpx"
)

// Name is the gateway's id in the API and in events.
const Name = "paypal"

// Modes of a PayPal app.
const (
	ModeSandbox = "sandbox"
	ModeLive    = "live"
)

// DefaultTimeout is the deadline of one HTTP attempt when Config.Timeout is 0.
const DefaultTimeout = 20 * time.Second

// Config configures a Gateway.
type Config struct {
	ClientID     string
	ClientSecret string
	// WebhookID is the id PayPal gave the webhook of the store's
	// /api/webhooks/paypal address; VerifyWebhook sends it.
	WebhookID string
	// Mode is "sandbox" or "live" and picks PayPal's host when APIBase is empty.
	Mode string
	// APIBase overrides the API host (PAYPAL_API_BASE), without a trailing slash.
	APIBase string

	// HTTPClient defaults to a new http.Client.
	HTTPClient *http.Client
	// Timeout is the deadline of one attempt; 0 means DefaultTimeout.
	Timeout time.Duration
	// Retry bounds retries of 429 and 5xx answers. Every call is safe to
	// repeat, because each carries a PayPal-Request-Id.
	Retry  httpx.RetryPolicy
	Logger zerolog.Logger
	// Now defaults to time.Now; tests move it to expire tokens.
	Now func() time.Time
}

// Gateway is the PayPal Checkout gateway. It is safe for concurrent use.
type Gateway struct {
	config Config
	base   string
	doer   *httpx.Doer
	tokens tokenCache
}

var _ payments.Gateway = (*Gateway)(nil)

// ErrInvalidConfig reports settings New rejects; the message names the
// JSON field of the settings API.
var ErrInvalidConfig = errors.New("invalid paypal settings")

// New returns a Gateway for config. It makes no call: a wrong credential
// shows at the first call as an *adapters.Error with CauseCredentials.
func New(config Config) (*Gateway, error) {
	base, err := validate(config)
	if err != nil {
		return nil, err
	}
	if config.HTTPClient == nil {
		config.HTTPClient = &http.Client{}
	}
	if config.Timeout <= 0 {
		config.Timeout = DefaultTimeout
	}
	if config.Now == nil {
		config.Now = time.Now
	}
	g := &Gateway{config: config, base: base}
	g.doer = &httpx.Doer{
		HTTPClient: config.HTTPClient,
		Retry:      config.Retry,
		Timeout:    config.Timeout,
		Now:        config.Now,
		Logger:     config.Logger.With().Str("gateway", Name).Logger(),
	}
	return g, nil
}

func validate(config Config) (string, error) {
	required := []struct{ field, value string }{
		{"client_id", config.ClientID},
		{"client_secret", config.ClientSecret},
		{"webhook_id", config.WebhookID},
	}
	for _, r := range required {
		if strings.TrimSpace(r.value) == "" {
			return "", fmt.Errorf("%w: %s is required", ErrInvalidConfig, r.field)
		}
	}
	base := paypalsdk.APIBaseSandBox
	switch config.Mode {
	case ModeSandbox:
	case ModeLive:
		base = paypalsdk.APIBaseLive
	default:
		return "", fmt.Errorf("%w: mode must be %q or %q, not %q", ErrInvalidConfig, ModeSandbox, ModeLive, config.Mode)
	}
	if config.APIBase == "" {
		return base, nil
	}
	u, err := url.Parse(config.APIBase)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		return "", fmt.Errorf("%w: PAYPAL_API_BASE must be an http or https URL without a query", ErrInvalidConfig)
	}
	return strings.TrimRight(config.APIBase, "/"), nil
}

// Name returns "paypal".
func (g *Gateway) Name() string { return Name }
