package app

import (
	"context"
	"errors"
	"fmt"

	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
)

// RecordPayment records a payment that a gateway verified (a paid Stripe
// Checkout Session, a PayPal capture) as OrderPaid, deciding on the order's
// stream, never on a read model. Recording the same gateway and reference
// again appends nothing.
//
// A payment the order cannot take (cancelled, refunded, paid with another
// reference, another amount or currency) is refunded in full through its
// gateway, with idempotency key "return-<payment reference>", and recorded
// as PaymentReturned. Such a payment of no money (a Stripe session of 0.00)
// is acknowledged with nothing refunded or appended. Errors tell a webhook whether a retry can help:
//   - Invalid (code invalid_order_id) for an id no order can have: final;
//   - NotFound for an order the log does not have yet;
//   - Unavailable while a capture through another gateway holds the order
//     (code payment_capture_in_progress), and when the refund of a payment
//     the order cannot take failed (code payment_not_returned), after
//     PaymentUnmatched is recorded. The retry refunds again with the same key.
//
// Payments of one order are handled one at a time in this process.
func (s *Service) RecordPayment(ctx context.Context, gateway string, payment payments.Payment) error {
	if !validOrderID(payment.OrderID) {
		return errMalformedOrderID(payment.OrderID)
	}
	unlock, err := s.locks.lock(ctx, payment.OrderID)
	if err != nil {
		return err
	}
	defer unlock()
	return s.acceptPayment(ctx, gateway, payment)
}

// acceptPayment is RecordPayment for a caller that holds the order's lock.
func (s *Service) acceptPayment(ctx context.Context, gateway string, payment payments.Payment) error {
	logger := s.logger.With().Str("order_id", payment.OrderID).Str("gateway", gateway).
		Str("payment_reference", payment.Reference).Logger()
	paid, returned := false, false
	var unmatched error // why the order cannot take the payment
	_, err := s.update(ctx, payment.OrderID, func(order *domain.Order) ([]esrepo.Event, error) {
		paid, returned, unmatched = false, false, nil
		if !order.Exists() {
			return nil, errOrderNotFound()
		}
		if order.HasReturned(payment.Reference) {
			returned = true
			return nil, nil
		}
		event, err := order.Pay(gateway, payment.Reference, payment.Amount, s.now())
		var transition *domain.TransitionError
		switch {
		case errors.Is(err, domain.ErrCaptureInProgress):
			return nil, &apperr.Error{Kind: apperr.KindUnavailable, Code: CodeCaptureInProgress,
				Message: "a capture through another gateway holds the order; deliver the payment again later", Err: err}
		case errors.As(err, &transition), errors.Is(err, domain.ErrAmountMismatch):
			unmatched = err
			return nil, nil
		case err != nil:
			return nil, err
		case event == nil:
			return nil, nil
		}
		paid = true
		return []esrepo.Event{*event}, nil
	})
	switch {
	case err != nil:
		return err
	case paid:
		logger.Info().Str("amount", payment.Amount.String()).Msg("order paid")
	case returned:
		logger.Info().Msg("payment was returned before; nothing to record")
	case unmatched != nil && payment.Amount.Amount <= 0:
		// Nothing was taken, so there is nothing to refund: a refund of 0.00
		// would be refused by the gateway, and the webhook's retries
		// would never end.
		logger.Warn().Str("amount", payment.Amount.String()).Str("reason", unmatched.Error()).
			Msg("zero payment that the order cannot take, nothing to refund or record")
	case unmatched != nil:
		return s.returnPayment(ctx, gateway, payment, unmatched.Error())
	}
	return nil
}

// returnPayment refunds a payment the order cannot take and records
// PaymentReturned, or PaymentUnmatched when the refund fails.
func (s *Service) returnPayment(ctx context.Context, gatewayName string, payment payments.Payment, reason string) error {
	logger := s.logger.With().Str("order_id", payment.OrderID).Str("gateway", gatewayName).
		Str("payment_reference", payment.Reference).Str("amount", payment.Amount.String()).Str("reason", reason).Logger()
	of := domain.PaymentOf{Reference: payment.Reference, Amount: payment.Amount}
	refund, err := s.refundUnmatched(ctx, gatewayName, payment)
	if err != nil {
		logger.Error().Err(err).Msg("refunding a payment the order cannot take failed; the gateway's next delivery tries again")
		_, recordErr := s.update(ctx, payment.OrderID, func(order *domain.Order) ([]esrepo.Event, error) {
			if event := order.RecordUnmatched(gatewayName, of, reason, s.now()); event != nil {
				return []esrepo.Event{*event}, nil
			}
			return nil, nil
		})
		if recordErr != nil {
			logger.Error().Err(recordErr).Msg("recording the unmatched payment failed")
		}
		return &apperr.Error{Kind: apperr.KindUnavailable, Code: "payment_not_returned",
			Message: "the payment cannot be applied to its order and its refund failed; deliver it again later",
			Err:     errors.Join(err, recordErr)}
	}
	_, err = s.update(ctx, payment.OrderID, func(order *domain.Order) ([]esrepo.Event, error) {
		if event := order.ReturnPayment(gatewayName, of, reason, refund.Reference, s.now()); event != nil {
			return []esrepo.Event{*event}, nil
		}
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("record returned payment %s: %w", payment.Reference, err)
	}
	logger.Warn().Str("refund", refund.Reference).Msg("payment the order cannot take was refunded")
	return nil
}

func (s *Service) refundUnmatched(ctx context.Context, gatewayName string, payment payments.Payment) (payments.Refund, error) {
	gateway, err := s.gateway(ctx, gatewayName)
	if err != nil {
		return payments.Refund{}, err
	}
	refund, err := gateway.Refund(payments.WithIdempotencyKey(ctx, "return-"+payment.Reference), payments.RefundRequest{
		OrderID: payment.OrderID, PaymentReference: payment.Reference, Amount: payment.Amount,
	})
	if err != nil {
		return payments.Refund{}, fmt.Errorf("refund %s payment %s: %w", gatewayName, payment.Reference, err)
	}
	return refund, nil
}
