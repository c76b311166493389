// Package stripe is the Stripe Checkout gateway: it creates Checkout
// Sessions and refunds through stripe-go, and verifies and reads the
// webhook events that report payments.
package stripe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	stripeapi "github.com/stripe/stripe-go/v85"

	"esimscan/backend/internal/payments"
)

// Name is the gateway's id in the API and in events.
const Name = "stripe"

// DefaultAPIBase is Stripe's own API host.
const DefaultAPIBase = "https://api.stripe.com"

// requestTimeout bounds each call to the Stripe API, retries included.
const requestTimeout = 30 * time.Second

// Config configures a Client. APIBase overrides DefaultAPIBase, for tests
// against stripe-mock. SecretKey is a secret: never log it.
type Config struct {
	SecretKey  string
	APIBase    string
	HTTPClient *http.Client
}

// Client is the Stripe gateway. It is safe for concurrent use.
type Client struct {
	api *stripeapi.Client
}

// NewClient returns a Client, or payments.ErrNotConfigured without a
// secret key.
func NewClient(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.SecretKey) == "" {
		return nil, fmt.Errorf("stripe: %w: secret_key is missing", payments.ErrNotConfigured)
	}
	base := cfg.APIBase
	if base == "" {
		base = DefaultAPIBase
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: requestTimeout}
	}
	retries := int64(2)
	backend := stripeapi.GetBackendWithConfig(stripeapi.APIBackend, &stripeapi.BackendConfig{
		URL:               stripeapi.String(strings.TrimRight(base, "/")),
		HTTPClient:        httpClient,
		MaxNetworkRetries: &retries,
		// The library would log request failures itself; errors are
		// returned and logged by the caller instead.
		LeveledLogger: &stripeapi.LeveledLogger{Level: stripeapi.LevelNull},
	})
	backends := &stripeapi.Backends{API: backend, Connect: backend, Uploads: backend, MeterEvents: backend}
	return &Client{api: stripeapi.NewClient(cfg.SecretKey, stripeapi.WithBackends(backends))}, nil
}

// Name returns "stripe".
func (*Client) Name() string { return Name }

// StartCheckout creates a Checkout Session in payment mode with one line
// item of the order's total in the currency's minor unit. The order id is
// the client reference, the metadata order_id of the session and of its
// PaymentIntent, and the idempotency key ("checkout-<order id>" unless ctx
// carries another), so a repeated call returns the same session.
func (c *Client) StartCheckout(ctx context.Context, req payments.CheckoutRequest) (payments.Checkout, error) {
	params := &stripeapi.CheckoutSessionCreateParams{
		Mode:              stripeapi.String(string(stripeapi.CheckoutSessionModePayment)),
		ClientReferenceID: stripeapi.String(req.OrderID),
		SuccessURL:        stripeapi.String(req.ReturnURL),
		CancelURL:         stripeapi.String(req.CancelURL),
		Metadata:          map[string]string{"order_id": req.OrderID},
		PaymentIntentData: &stripeapi.CheckoutSessionCreatePaymentIntentDataParams{
			Metadata: map[string]string{"order_id": req.OrderID},
		},
		LineItems: []*stripeapi.CheckoutSessionCreateLineItemParams{{
			Quantity: stripeapi.Int64(1),
			PriceData: &stripeapi.CheckoutSessionCreateLineItemPriceDataParams{
				Currency:   stripeapi.String(strings.ToLower(req.Amount.Currency)),
				UnitAmount: stripeapi.Int64(req.Amount.MinorUnits()),
				ProductData: &stripeapi.CheckoutSessionCreateLineItemPriceDataProductDataParams{
					Name: stripeapi.String(req.Description),
				},
			},
		}},
	}
	if req.CustomerEmail != "" {
		params.CustomerEmail = stripeapi.String(req.CustomerEmail)
	}
	params.SetIdempotencyKey(payments.IdempotencyKeyFrom(ctx, "checkout-"+req.OrderID))
	session, err := c.api.V1CheckoutSessions.Create(ctx, params)
	if err != nil {
		return payments.Checkout{}, fmt.Errorf("create stripe checkout session for order %s: %w", req.OrderID, describe(err))
	}
	return payments.Checkout{RedirectURL: session.URL, Reference: session.ID}, nil
}

// Refund refunds req.Amount, in the currency's minor unit, of the
// PaymentIntent req.PaymentReference. The idempotency key is
// "refund-<order id>-<minor units>" unless ctx carries another.
func (c *Client) Refund(ctx context.Context, req payments.RefundRequest) (payments.Refund, error) {
	minor := req.Amount.MinorUnits()
	params := &stripeapi.RefundCreateParams{
		PaymentIntent: stripeapi.String(req.PaymentReference),
		Amount:        stripeapi.Int64(minor),
		Metadata:      map[string]string{"order_id": req.OrderID},
	}
	params.SetIdempotencyKey(payments.IdempotencyKeyFrom(ctx, fmt.Sprintf("refund-%s-%d", req.OrderID, minor)))
	refund, err := c.api.V1Refunds.Create(ctx, params)
	if err != nil {
		return payments.Refund{}, fmt.Errorf("create stripe refund for order %s: %w", req.OrderID, describe(err))
	}
	return payments.Refund{Reference: refund.ID, Amount: req.Amount}, nil
}

// ExpireCheckout expires the open Checkout Session reference, so that the
// buyer can no longer pay it. The idempotency key is "expire-<session id>".
func (c *Client) ExpireCheckout(ctx context.Context, reference string) error {
	params := &stripeapi.CheckoutSessionExpireParams{}
	params.SetIdempotencyKey("expire-" + reference)
	if _, err := c.api.V1CheckoutSessions.Expire(ctx, reference, params); err != nil {
		return fmt.Errorf("expire stripe checkout session %s: %w", reference, describe(err))
	}
	return nil
}

var _ payments.CheckoutExpirer = (*Client)(nil)

// describe turns an authentication failure into payments.ErrNotConfigured,
// because only a wrong secret key causes it.
func describe(err error) error {
	var apiErr *stripeapi.Error
	if errors.As(err, &apiErr) && apiErr.HTTPStatusCode == http.StatusUnauthorized {
		return fmt.Errorf("%w: stripe rejected the secret key", payments.ErrNotConfigured)
	}
	return err
}
