package server

import (
	"context"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/rs/zerolog"

	accountsports "esimscan/backend/internal/accounts/ports"
	ordersapp "esimscan/backend/internal/orders/app"
	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/payments/manual"
	paymentsports "esimscan/backend/internal/payments/ports"
	"esimscan/backend/internal/payments/settings"
	"esimscan/backend/internal/payments/stripe"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/platform/secrets"
)

// newPaymentSettings returns the payment settings service.
func newPaymentSettings(repo *esrepo.Repository, keys *secrets.Keyring, logger zerolog.Logger) *settings.Service {
	return settings.NewService(settings.Deps{Repo: repo, Keys: keys, Logger: logger})
}

// paymentGateways builds each gateway from the settings stored at the time
// of the call, so a saved change applies to the next checkout. It
// implements ordersapp.Gateways.
type paymentGateways struct {
	settings      *settings.Service
	stripeAPIBase string
	testPayments  bool
	// PayPal builds the PayPal gateway; nil reports it not configured.
	PayPal func(ctx context.Context) (payments.Gateway, error)
}

var _ ordersapp.Gateways = paymentGateways{}

// Gateway returns the named gateway, or an error wrapping
// payments.ErrNotConfigured when it is disabled or lacks settings.
func (g paymentGateways) Gateway(ctx context.Context, name string) (payments.Gateway, error) {
	switch name {
	case stripe.Name:
		credentials, err := g.settings.Stripe(ctx)
		if err != nil {
			return nil, err
		}
		if !credentials.Enabled {
			return nil, fmt.Errorf("stripe: %w", payments.ErrNotConfigured)
		}
		return stripe.NewClient(stripe.Config{SecretKey: credentials.SecretKey, APIBase: g.stripeAPIBase})
	case manual.Name:
		view, err := g.settings.Manual(ctx)
		if err != nil {
			return nil, err
		}
		if !view.Enabled {
			return nil, fmt.Errorf("manual: %w", payments.ErrNotConfigured)
		}
		return manual.Gateway{Instructions: view.Instructions}, nil
	case settings.GatewayPayPal:
		if g.PayPal == nil {
			return nil, fmt.Errorf("paypal: %w", payments.ErrNotConfigured)
		}
		return g.PayPal(ctx)
	case testGatewayName:
		if !g.testPayments {
			return nil, fmt.Errorf("test: %w", payments.ErrNotConfigured)
		}
		return testGateway{}, nil
	}
	return nil, fmt.Errorf("%s: %w", name, payments.ErrNotConfigured)
}

// testGatewayName is the gateway the development-only test payments record.
const testGatewayName = "test"

// testGateway refunds orders paid through the test payments, which moved
// no money. It exists only with ESIMSCAN_TEST_PAYMENTS=1.
type testGateway struct{}

func (testGateway) Name() string { return testGatewayName }

func (testGateway) StartCheckout(context.Context, payments.CheckoutRequest) (payments.Checkout, error) {
	return payments.Checkout{}, fmt.Errorf("test checkout: %w", payments.ErrNotConfigured)
}

func (testGateway) Refund(ctx context.Context, req payments.RefundRequest) (payments.Refund, error) {
	fallback := fmt.Sprintf("test-refund-%s-%d", req.OrderID, req.Amount.MinorUnits())
	return payments.Refund{Reference: payments.IdempotencyKeyFrom(ctx, fallback), Amount: req.Amount}, nil
}

// paymentRoutes registers the payment settings under admin and the Stripe
// webhook under api.
func (s *Server) paymentRoutes(api, admin fiber.Router, paymentSettings *settings.Service) {
	// Which gateways the storefront offers, so the order page shows only
	// those: no secrets, only whether each one is switched on.
	api.Get("/payments/gateways", func(c *fiber.Ctx) error {
		view, err := paymentSettings.Views(c.UserContext())
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{
			"stripe": view.Stripe.Enabled,
			"paypal": view.PayPal.Enabled,
			"manual": view.Manual.Enabled,
			"test":   s.cfg.TestPayments,
		})
	})
	paymentsports.AdminRoutes(admin, paymentSettings, accountsports.AdminID, s.runner, s.logger)
	webhook := &stripe.Webhook{
		Secret: func(ctx context.Context) (string, error) {
			credentials, err := paymentSettings.Stripe(ctx)
			return credentials.WebhookSecret, err
		},
		Payments: s.orders,
		Refunds:  orderRefunds{s.orders},
		Lookup: func(ctx context.Context) (stripe.ChargeLookup, error) {
			credentials, err := paymentSettings.Stripe(ctx)
			if err != nil {
				return nil, err
			}
			return stripe.NewClient(stripe.Config{SecretKey: credentials.SecretKey, APIBase: s.cfg.StripeAPIBase})
		},
		Repo:   &esrepo.Repository{Store: s.store},
		Logger: s.logger.With().Str("component", "stripe-webhook").Logger(),
		Now:    time.Now,
	}
	paymentsports.WebhookRoutes(api, webhook, s.logger.With().Str("component", "stripe-webhook").Logger())
}

// orderRefunds records the refunds that gateway webhooks report through
// the orders service.
type orderRefunds struct{ orders *ordersapp.Service }

func (r orderRefunds) RecordRefund(ctx context.Context, gateway string, refund payments.ReportedRefund) error {
	_, err := r.orders.RecordRefund(ctx, ordersapp.RecordRefund{
		OrderID: refund.OrderID, Gateway: gateway, RefundReference: refund.Reference, Amount: refund.Amount, At: refund.At,
	})
	return err
}
