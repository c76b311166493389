package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/eventstore"
	ordersapp "esimscan/backend/internal/orders/app"
	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/payments/paypal"
	"esimscan/backend/internal/payments/settings"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
)

// paypalReturnPath is the store's route that PayPal sends the customer's
// browser back to after approval: it captures the payment on the server,
// then redirects to the order page.
const paypalReturnPath = "/api/checkout/paypal/return"

// paypalGateways builds the PayPal gateway from the stored settings and
// keeps it while they stay the same, because the gateway caches its OAuth
// token.
type paypalGateways struct {
	settings *settings.Service
	apiBase  string
	logger   zerolog.Logger

	mu      sync.Mutex
	key     [32]byte
	gateway *paypal.Gateway
}

// Gateway returns the configured PayPal gateway, wrapped so that checkouts
// return through the store's capture route.
func (p *paypalGateways) Gateway(ctx context.Context) (payments.Gateway, error) {
	gateway, err := p.current(ctx)
	if err != nil {
		return nil, err
	}
	return paypalCheckout{gateway}, nil
}

func (p *paypalGateways) current(ctx context.Context) (*paypal.Gateway, error) {
	credentials, err := p.settings.PayPal(ctx)
	if err != nil {
		return nil, err
	}
	if !credentials.Enabled {
		return nil, fmt.Errorf("paypal: %w", payments.ErrNotConfigured)
	}
	// A digest of the settings, so the cache holds no second copy of the
	// secret in a comparable string.
	key := sha256.Sum256([]byte(credentials.ClientID + "\x00" + credentials.ClientSecret + "\x00" +
		credentials.WebhookID + "\x00" + credentials.Mode + "\x00" + p.apiBase))
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gateway != nil && p.key == key {
		return p.gateway, nil
	}
	gateway, err := paypal.New(paypal.Config{
		ClientID:     credentials.ClientID,
		ClientSecret: credentials.ClientSecret,
		WebhookID:    credentials.WebhookID,
		Mode:         credentials.Mode,
		APIBase:      p.apiBase,
		Logger:       p.logger,
	})
	if err != nil {
		return nil, fmt.Errorf("paypal: %w", err)
	}
	p.gateway, p.key = gateway, key
	return gateway, nil
}

// paypalCheckout sends the customer back to the capture route instead of
// straight to the order page.
type paypalCheckout struct{ *paypal.Gateway }

func (g paypalCheckout) StartCheckout(ctx context.Context, req payments.CheckoutRequest) (payments.Checkout, error) {
	if page, err := url.Parse(req.ReturnURL); err == nil && page.Host != "" {
		returnURL := url.URL{Scheme: page.Scheme, Host: page.Host, Path: paypalReturnPath,
			RawQuery: url.Values{"order": {req.OrderID}}.Encode()}
		req.ReturnURL = returnURL.String()
	}
	return g.Gateway.StartCheckout(ctx, req)
}

// paypalRoutes registers the capture route of the customer's return and
// the webhook that captures approved orders of customers who closed the
// tab.
func (s *Server) paypalRoutes(api fiber.Router) {
	logger := s.logger.With().Str("component", "paypal").Logger()
	api.Get(paypalReturnPath[len("/api"):], func(c *fiber.Ctx) error {
		orderID, token := c.Query("order"), c.Query("token")
		if orderID == "" || token == "" {
			return apperr.Invalid("token", "invalid_required", "the PayPal return link lacks its order or token")
		}
		page := "/orders/" + url.PathEscape(orderID)
		gateway, err := s.paypal.current(c.UserContext())
		if err != nil {
			return err
		}
		status, awaiting, err := s.orders.PaymentStatus(c.UserContext(), orderID)
		if err != nil {
			return err
		}
		if !awaiting {
			// A repeated return of a paid order shows success; an unknown
			// or cancelled order captures nothing.
			if status == "" || status == "cancelled" {
				return c.Redirect(page+"?checkout=failed", http.StatusFound)
			}
			return c.Redirect(page+"?checkout=success", http.StatusFound)
		}
		payment, err := gateway.Capture(c.UserContext(), token)
		if errors.Is(err, paypal.ErrCaptureNotCompleted) {
			// The PAYMENT.CAPTURE.COMPLETED webhook records it later.
			return c.Redirect(page+"?checkout=pending", http.StatusFound)
		}
		if err != nil {
			logger.Error().Err(err).Str("order_id", orderID).Msg("capturing an approved PayPal order failed")
			return c.Redirect(page+"?checkout=failed", http.StatusFound)
		}
		if payment.OrderID != orderID {
			logger.Error().Str("order_id", orderID).Str("paypal_order_for", payment.OrderID).Msg("PayPal return names another order")
			return c.Redirect(page+"?checkout=failed", http.StatusFound)
		}
		if err := s.orders.RecordPayment(c.UserContext(), "paypal", payment); err != nil {
			return err
		}
		return c.Redirect(page+"?checkout=success", http.StatusFound)
	})
	api.Post("/webhooks/paypal", func(c *fiber.Ctx) error {
		return s.handlePayPalWebhook(c, logger)
	})
}

// handlePayPalWebhook verifies the delivery with PayPal over the raw body,
// records each event once, and returns 5xx whenever the event could not be
// recorded, so PayPal delivers it again.
func (s *Server) handlePayPalWebhook(c *fiber.Ctx, logger zerolog.Logger) error {
	ctx := c.UserContext()
	gateway, err := s.paypal.current(ctx)
	if err != nil {
		return &apperr.Error{Kind: apperr.KindUnavailable, Code: "paypal_not_configured", Message: "PayPal is not configured"}
	}
	headers := http.Header{}
	c.Request().Header.VisitAll(func(key, value []byte) { headers.Add(string(key), string(value)) })
	body := append([]byte(nil), c.Body()...)
	event, err := gateway.VerifyWebhook(ctx, headers, body)
	if errors.Is(err, paypal.ErrInvalidWebhook) {
		return apperr.BadRequest("invalid_webhook", "the webhook could not be verified with PayPal")
	}
	if err != nil {
		logger.Warn().Err(err).Msg("verifying a PayPal webhook failed; PayPal will deliver it again")
		return &apperr.Error{Kind: apperr.KindUnavailable, Code: "webhook_not_verified", Message: "try again later"}
	}
	repo := &esrepo.Repository{Store: s.store}
	stream := "paypal-event-" + event.ID
	if _, err := s.store.ReadStream(ctx, stream, 0); err == nil {
		return c.JSON(fiber.Map{"received": true, "duplicate": true})
	} else if !errors.Is(err, eventstore.ErrStreamNotFound) {
		return err
	}
	if err := s.applyPayPalEvent(ctx, gateway, event); err != nil {
		logger.Error().Err(err).Str("event_id", event.ID).Str("type", event.Type).Msg("recording a PayPal webhook failed")
		return &apperr.Error{Kind: apperr.KindUnavailable, Code: "webhook_not_recorded", Message: "try again later"}
	}
	_, err = repo.Append(esrepo.WithActor(ctx, "paypal"), stream, eventstore.NoStream(), paypalEventRecorded{ID: event.ID, Type: event.Type})
	if err != nil && !errors.Is(err, esrepo.ErrConflict) {
		return err
	}
	return c.JSON(fiber.Map{"received": true})
}

func (s *Server) applyPayPalEvent(ctx context.Context, gateway *paypal.Gateway, event paypal.Event) error {
	switch event.Type {
	case paypal.EventOrderApproved:
		_, awaiting, err := s.orders.PaymentStatus(ctx, event.CustomID)
		if err != nil {
			return err
		}
		if !awaiting {
			// Unknown, cancelled or already paid: capturing would take money
			// the store cannot deliver for, and a retry would not change it.
			s.logger.Warn().Str("paypal_order_id", event.OrderID).Str("order_id", event.CustomID).
				Msg("PayPal approval for an order that does not wait for payment; not captured")
			return nil
		}
		payment, err := gateway.Capture(ctx, event.OrderID)
		if err != nil {
			return err
		}
		return s.orders.RecordPayment(ctx, "paypal", payment)
	case paypal.EventCaptureCompleted:
		if event.CustomID == "" {
			s.logger.Warn().Str("capture_id", event.CaptureID).Msg("PayPal capture without the store's order id; nothing to record")
			return nil
		}
		return s.orders.RecordPayment(ctx, "paypal", payments.Payment{
			OrderID: event.CustomID, Reference: event.CaptureID, Amount: event.Amount,
		})
	case paypal.EventCaptureRefunded:
		return s.recordPayPalRefund(ctx, gateway, event)
	}
	// Other types carry nothing the store reads.
	return nil
}

// recordPayPalRefund records the refund of a PAYMENT.CAPTURE.REFUNDED
// event, whether the admin started it here or in PayPal's dashboard. A
// refund without custom_id, as from the dashboard, finds its order through
// the capture's custom_id, read from PayPal. A refund the order cannot
// take is logged and acknowledged, because a retry would meet the same
// rule. An order the log does not have yet, or whose payment is not
// recorded yet, returns an error, so the webhook returns 503 and PayPal
// delivers the event again.
func (s *Server) recordPayPalRefund(ctx context.Context, gateway *paypal.Gateway, event paypal.Event) error {
	logger := s.logger.With().Str("component", "paypal").Str("refund", event.RefundID).
		Str("capture_id", event.CaptureID).Logger()
	orderID := event.CustomID
	if orderID == "" && event.CaptureID != "" {
		found, err := gateway.CaptureOrderID(ctx, event.CaptureID)
		if err != nil {
			return fmt.Errorf("find the order of paypal refund %s: %w", event.RefundID, err)
		}
		orderID = found
	}
	if orderID == "" {
		logger.Error().Msg("PayPal refund of a capture without an esimScan order id; check it in the PayPal dashboard")
		return nil
	}
	_, err := s.orders.RecordRefund(ctx, ordersapp.RecordRefund{
		OrderID: orderID, Gateway: paypal.Name, RefundReference: event.RefundID, Amount: event.Amount, At: event.CreatedAt,
	})
	if appErr, ok := apperr.As(err); ok && (appErr.Kind == apperr.KindConflict || appErr.Kind == apperr.KindInvalid) {
		logger.Error().Err(err).Str("order_id", orderID).Str("amount", event.Amount.String()).
			Msg("PayPal refund cannot be recorded on its order; check the order and the PayPal dashboard")
		return nil
	}
	if err != nil {
		return fmt.Errorf("record paypal refund %s of order %s: %w", event.RefundID, orderID, err)
	}
	return nil
}

// paypalEventRecorded marks a PayPal webhook event as handled; its stream
// is the event's id, appended with "no stream" expected.
type paypalEventRecorded struct {
	ID   string `json:"event_id"`
	Type string `json:"type"`
}

func (paypalEventRecorded) EventType() string { return "PayPalEventRecorded" }
