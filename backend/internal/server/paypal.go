package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
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
		return s.handlePayPalReturn(c, logger)
	})
	api.Post("/webhooks/paypal", func(c *fiber.Ctx) error {
		return s.handlePayPalWebhook(c, logger)
	})
}

// handlePayPalReturn captures the approved PayPal order named by the token
// query parameter for the order named by order, when token is one of that
// order's PayPal checkouts (see CapturePayment), then redirects the browser
// to the order page with ?checkout=success, pending or failed. It always
// redirects, whatever fails, because a browser shows no JSON.
func (s *Server) handlePayPalReturn(c *fiber.Ctx, logger zerolog.Logger) error {
	orderID, token := c.Query("order"), c.Query("token")
	page := orderPagePath(orderID)
	if page == "/" || !validPayPalToken(token) {
		// Neither value is logged, because either may be any text of any
		// length.
		logger.Warn().Int("token_length", len(token)).Msg("invalid order id or token in the PayPal return link, nothing captured")
		return c.Redirect(page+"?checkout="+string(ordersapp.CaptureFailed), http.StatusFound)
	}
	logger = logger.With().Str("order_id", orderID).Str("paypal_order_id", token).Logger()
	outcome, err := s.orders.CapturePayment(c.UserContext(), paypal.Name, orderID, token)
	if err != nil {
		logger.Error().Err(err).Str("outcome", string(outcome)).Msg("PayPal capture on the return did not finish")
	}
	return c.Redirect(page+"?checkout="+string(outcome), http.StatusFound)
}

// maxPayPalTokenLength is the longest token the return link accepts.
// PayPal order ids are about 17 characters long (an estimate, not a
// documented limit), so 64 leaves room for a longer format.
const maxPayPalTokenLength = 64

// validPayPalToken reports whether token can be a PayPal order id: 1 to
// maxPayPalTokenLength letters, digits, '-' or '_'. CapturePayment checks
// that it is one of the order's checkouts.
func validPayPalToken(token string) bool {
	if token == "" || len(token) > maxPayPalTokenLength {
		return false
	}
	for _, r := range token {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// orderPagePath returns the SPA's page of the order, or "/" for an id that
// no order can have, so that no other text reaches the redirect.
func orderPagePath(orderID string) string {
	if parsed, err := uuid.Parse(orderID); err != nil || parsed.String() != strings.ToLower(orderID) {
		return "/"
	}
	return "/orders/" + url.PathEscape(orderID)
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

// applyPayPalEvent acts on a verified event. A nil error acknowledges it:
// done, or a retry cannot help (an order id no order can have). Any other
// error makes the webhook return 503, so PayPal delivers the event again.
func (s *Server) applyPayPalEvent(ctx context.Context, gateway *paypal.Gateway, event paypal.Event) error {
	logger := s.logger.With().Str("component", "paypal").Str("event_id", event.ID).Str("event_type", event.Type).
		Str("order_id", event.CustomID).Str("paypal_order_id", event.OrderID).Logger()
	var err error
	switch event.Type {
	case paypal.EventOrderApproved:
		var outcome ordersapp.CaptureOutcome
		outcome, err = s.orders.CapturePayment(ctx, paypal.Name, event.CustomID, event.OrderID)
		if err == nil {
			logger.Info().Str("outcome", string(outcome)).Msg("PayPal approval handled")
		}
		if appErr, ok := apperr.As(err); ok && appErr.Kind == apperr.KindNotFound {
			// The PayPal order is created after the order is placed, so
			// an unknown order cannot appear later.
			logger.Warn().Msg("PayPal approval for an order the store does not have; not captured")
			return nil
		}
	case paypal.EventCaptureCompleted:
		if event.CustomID == "" {
			logger.Warn().Str("capture_id", event.CaptureID).Msg("PayPal capture without the store's order id; nothing to record")
			return nil
		}
		err = s.orders.RecordPayment(ctx, paypal.Name, payments.Payment{
			OrderID: event.CustomID, Reference: event.CaptureID, Amount: event.Amount,
		})
	case paypal.EventCaptureDenied:
		if event.CustomID == "" || event.OrderID == "" {
			logger.Warn().Str("capture_id", event.CaptureID).Msg("denied PayPal capture without the store's order id or PayPal's order id; nothing to release")
			return nil
		}
		err = s.orders.DenyCapture(ctx, paypal.Name, event.CustomID, event.OrderID)
	case paypal.EventCaptureRefunded:
		return s.recordPayPalRefund(ctx, gateway, event)
	default:
		// Other types carry nothing the store reads.
		return nil
	}
	if appErr, ok := apperr.As(err); ok && appErr.Kind == apperr.KindInvalid {
		logger.Error().Err(err).Str("capture_id", event.CaptureID).
			Msg("PayPal event names an order id no order can have; acknowledged, check it in the PayPal dashboard")
		return nil
	}
	return err
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
