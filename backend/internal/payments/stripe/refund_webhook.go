package stripe

import (
	"context"
	"errors"
	"fmt"

	"github.com/rs/zerolog"

	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/platform/apperr"
)

// errNoLookup reports a refund event that needs the Stripe API while no
// Stripe client is configured.
var errNoLookup = errors.New("stripe refund event needs the stripe api, which is not configured")

// applyRefunds records each succeeded refund of charge on its order,
// reading the order id and the refunds from the Stripe API when the event
// lacks them. A refund whose order cannot take it (cancelled, another
// currency, more than remains) is logged and skipped, because a retry
// would meet the same rule. Any other failure returns an error, so Stripe
// delivers the event again, and refunds recorded before it are skipped
// then by their id.
func (w *Webhook) applyRefunds(ctx context.Context, logger zerolog.Logger, charge Charge) error {
	logger = logger.With().Str("charge", charge.ID).Str("payment_intent", charge.PaymentIntentID).Logger()
	if w.Refunds == nil {
		return errors.New("stripe webhook has no refund recorder")
	}
	orderID, err := w.refundOrderID(ctx, charge)
	if err != nil {
		logger.Warn().Err(err).Msg("stripe refund not recorded yet; stripe retries")
		return err
	}
	if orderID == "" {
		logger.Error().Msg("stripe refund of a payment without an esimScan order id; check it in the Stripe dashboard")
		return nil
	}
	logger = logger.With().Str("order_id", orderID).Logger()
	refunds, err := w.chargeRefunds(ctx, charge)
	if err != nil {
		logger.Warn().Err(err).Msg("stripe refunds not read yet; stripe retries")
		return err
	}
	for _, refund := range refunds {
		if err := w.recordRefund(ctx, logger, orderID, refund); err != nil {
			return err
		}
	}
	return nil
}

func (w *Webhook) recordRefund(ctx context.Context, logger zerolog.Logger, orderID string, refund ChargeRefund) error {
	logger = logger.With().Str("refund", refund.ID).Logger()
	if refund.Status != RefundSucceeded {
		// A pending refund is recorded by the refund.updated or
		// charge.refund.updated event that reports its success.
		logger.Info().Str("status", refund.Status).Msg("stripe refund not succeeded; not recorded")
		return nil
	}
	amount, err := refund.Money()
	if err != nil {
		logger.Error().Err(err).Msg("stripe refund has an unreadable amount; check it in the Stripe dashboard")
		return nil
	}
	err = w.Refunds.RecordRefund(ctx, Name, payments.ReportedRefund{
		OrderID: orderID, Reference: refund.ID, Amount: amount, At: refund.Created,
	})
	if appErr, ok := apperr.As(err); ok && (appErr.Kind == apperr.KindConflict || appErr.Kind == apperr.KindInvalid) {
		logger.Error().Err(err).Str("amount", amount.String()).
			Msg("stripe refund cannot be recorded on its order; check the order and the Stripe dashboard")
		return nil
	}
	if err != nil {
		logger.Warn().Err(err).Msg("stripe refund not recorded yet; stripe retries")
		return fmt.Errorf("record stripe refund %s of order %s: %w", refund.ID, orderID, err)
	}
	return nil
}

// refundOrderID returns the order id the event carries, else the metadata
// order_id of the charge's PaymentIntent, which the refund of a charge
// made in the Stripe dashboard needs.
func (w *Webhook) refundOrderID(ctx context.Context, charge Charge) (string, error) {
	if charge.OrderID != "" || charge.PaymentIntentID == "" {
		return charge.OrderID, nil
	}
	lookup, err := w.lookup(ctx)
	if err != nil {
		return "", err
	}
	return lookup.PaymentIntentOrderID(ctx, charge.PaymentIntentID)
}

// chargeRefunds returns the refunds the event carries, or lists them from
// the Stripe API when its refunds list is missing or cut short.
func (w *Webhook) chargeRefunds(ctx context.Context, charge Charge) ([]ChargeRefund, error) {
	if charge.RefundsComplete || charge.ID == "" {
		return charge.Refunds, nil
	}
	lookup, err := w.lookup(ctx)
	if err != nil {
		return nil, err
	}
	return lookup.ChargeRefunds(ctx, charge.ID)
}

func (w *Webhook) lookup(ctx context.Context) (ChargeLookup, error) {
	if w.Lookup == nil {
		return nil, errNoLookup
	}
	lookup, err := w.Lookup(ctx)
	if err != nil {
		return nil, fmt.Errorf("stripe api for a refund event: %w", err)
	}
	return lookup, nil
}
