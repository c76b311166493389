package stripe

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
)

// EventStripeEventReceived is the type of the event that reserves a Stripe
// event id in the stream stripe-event-<id>, so each event is handled once.
const EventStripeEventReceived = "StripeEventReceived"

// StripeEventReceived records that a verified Stripe event was handled.
type StripeEventReceived struct {
	EventID    string    `json:"event_id"`
	Type       string    `json:"type"`
	OrderID    string    `json:"order_id,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
}

// EventType returns the type stored in the log.
func (StripeEventReceived) EventType() string { return EventStripeEventReceived }

// PaymentRecorder records a confirmed payment on its order, deciding on
// the event store. Recording the same gateway reference again succeeds and
// appends nothing, and a payment the order cannot take is refunded and
// recorded as returned. Errors of kind apperr.KindConflict or KindInvalid
// are final, such as an order id no order can have. Every other error may
// pass on a retry, such as an unknown order or a refund that failed.
type PaymentRecorder interface {
	RecordPayment(ctx context.Context, gateway string, payment payments.Payment) error
}

// RefundRecorder records a refund a gateway reports on its order, once per
// refund reference, deciding on the event store. Errors of kind
// apperr.KindConflict or KindInvalid are final. Every other error may pass
// on a retry, such as an unknown order or one whose payment is not
// recorded yet.
type RefundRecorder interface {
	RecordRefund(ctx context.Context, gateway string, refund payments.ReportedRefund) error
}

// Webhook handles Stripe webhook deliveries. It is safe for concurrent use.
type Webhook struct {
	// Secret returns the configured webhook signing secret.
	Secret   func(ctx context.Context) (string, error)
	Payments PaymentRecorder
	Refunds  RefundRecorder
	// Lookup returns the Stripe API client that reads what a refund event
	// lacks: the refunds of a charge, the order id of a PaymentIntent.
	Lookup func(ctx context.Context) (ChargeLookup, error)
	Repo   *esrepo.Repository
	Logger zerolog.Logger
	Now    func() time.Time
}

// Handle verifies payload against the Stripe-Signature header before it
// reads it, then records a paid checkout.session.completed and a
// checkout.session.async_payment_succeeded as OrderPaid, and each
// succeeded refund of a refund event as OrderRefunded, once per Stripe
// event id. It returns an error wrapping ErrInvalidSignature
// for a bad signature, which the sender must not retry; any other error
// means the event is not recorded yet and should be sent again.
func (w *Webhook) Handle(ctx context.Context, payload []byte, header string) error {
	secret, err := w.Secret(ctx)
	if err != nil {
		return fmt.Errorf("load stripe webhook secret: %w", err)
	}
	if err := VerifySignature(payload, header, secret, w.Now()); err != nil {
		return err
	}
	event, err := ParseEvent(payload)
	if err != nil {
		// A signed body that is not an event cannot pass on a retry.
		return fmt.Errorf("%w: %w", ErrInvalidSignature, err)
	}
	logger := w.Logger.With().Str("stripe_event", event.ID).Str("event_type", event.Type).Logger()
	stream := "stripe-event-" + event.ID
	seen, err := w.seen(ctx, stream)
	if err != nil || seen {
		return err
	}
	if err := w.apply(ctx, logger, event); err != nil {
		return err
	}
	orderID := event.Session.OrderID
	if orderID == "" {
		orderID = event.Charge.OrderID
	}
	_, err = w.Repo.Append(ctx, stream, eventstore.NoStream(), StripeEventReceived{
		EventID: event.ID, Type: event.Type, OrderID: orderID, ReceivedAt: w.Now().UTC(),
	})
	if errors.Is(err, esrepo.ErrConflict) {
		// A concurrent delivery of the same event reserved it first, and
		// the payment itself is idempotent by its reference.
		return nil
	}
	if err != nil {
		return fmt.Errorf("reserve stripe event %s: %w", event.ID, err)
	}
	return nil
}

func (w *Webhook) seen(ctx context.Context, stream string) (bool, error) {
	_, err := w.Repo.Store.ReadStream(ctx, stream, 0)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read stream %s: %w", stream, err)
	}
	return true, nil
}

// apply records the payment of a paid Checkout Session and the refunds of
// a refund event. Other events are acknowledged and reserved without
// effect.
func (w *Webhook) apply(ctx context.Context, logger zerolog.Logger, event Event) error {
	if isRefundEvent(event.Type) {
		return w.applyRefunds(ctx, logger, event.Charge)
	}
	session := event.Session
	switch {
	case event.Type == EventCheckoutSessionCompleted && session.PaymentStatus == "paid":
	case event.Type == EventCheckoutSessionAsyncPaymentSucceed:
		// Stripe sends it once a delayed payment method has paid the
		// session, which then has payment_status "paid".
	case event.Type == EventCheckoutSessionAsyncPaymentFailed:
		logger.Warn().Str("order_id", session.OrderID).Str("session", session.ID).
			Msg("delayed stripe payment failed; the order stays payable")
		return nil
	default:
		logger.Debug().Msg("stripe event ignored")
		return nil
	}
	if session.OrderID == "" || session.PaymentIntentID == "" || !session.HasPaymentDetails {
		logger.Error().Str("session", session.ID).Msg("paid stripe checkout session lacks an order id, payment intent or amount; check it in the Stripe dashboard")
		return nil
	}
	amount, err := session.Amount()
	if err != nil {
		logger.Error().Err(err).Str("order_id", session.OrderID).Msg("paid stripe checkout session has an unreadable amount")
		return nil
	}
	payment := payments.Payment{OrderID: session.OrderID, Reference: session.PaymentIntentID, Amount: amount}
	err = w.Payments.RecordPayment(ctx, Name, payment)
	if appErr, ok := apperr.As(err); ok && (appErr.Kind == apperr.KindConflict || appErr.Kind == apperr.KindInvalid) {
		// A retry would meet the same rule, such as an order id that no
		// order can have, so there is no order to record the payment on.
		logger.Error().Err(err).Str("order_id", session.OrderID).Str("payment_intent", session.PaymentIntentID).
			Msg("stripe payment cannot be recorded on an order; acknowledged, refund it in the Stripe dashboard")
		return nil
	}
	if err != nil {
		logger.Warn().Err(err).Str("order_id", session.OrderID).Msg("stripe payment not recorded yet; stripe retries")
		return fmt.Errorf("record stripe payment of order %s: %w", session.OrderID, err)
	}
	return nil
}
