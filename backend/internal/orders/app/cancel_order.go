package app

import (
	"context"
	"errors"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/platform/esrepo"
)

// CancelOrder cancels an unpaid order. Any other status is a Conflict
// error with code "order_not_cancellable", and an order a payment capture
// holds one with code "payment_capture_in_progress". After the cancel it
// expires the order's open checkout at a gateway that can (a Stripe
// Checkout Session), so the buyer can no longer pay it. That step is best
// effort: a payment that still arrives is refunded by RecordPayment.
func (s *Service) CancelOrder(ctx context.Context, orderID string) (eventstore.AppendResult, error) {
	if !validOrderID(orderID) {
		return eventstore.AppendResult{}, errOrderNotFound()
	}
	var checkout domain.CheckoutStarted
	result, err := s.update(ctx, orderID, func(order *domain.Order) ([]esrepo.Event, error) {
		if !order.Exists() {
			return nil, errOrderNotFound()
		}
		event, err := order.Cancel(s.now())
		if err != nil {
			return nil, commandError(err)
		}
		checkout = order.Checkout()
		return []esrepo.Event{event}, nil
	})
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	s.logger.Info().Str("order_id", orderID).Msg("order cancelled")
	s.expireCheckout(ctx, orderID, checkout)
	return result, nil
}

// expireCheckout closes checkout at its gateway when the gateway supports
// it, and logs a failure.
func (s *Service) expireCheckout(ctx context.Context, orderID string, checkout domain.CheckoutStarted) {
	if checkout.Gateway == "" || checkout.Reference == "" {
		return
	}
	logger := s.logger.With().Str("order_id", orderID).Str("gateway", checkout.Gateway).
		Str("checkout", checkout.Reference).Logger()
	gateway, err := s.gateway(ctx, checkout.Gateway)
	if err != nil {
		logger.Warn().Err(err).Msg("checkout of the cancelled order not expired; a payment that still arrives is refunded")
		return
	}
	expirer, ok := gateway.(payments.CheckoutExpirer)
	if !ok {
		// PayPal orders need no expiry: a cancelled order is never captured.
		return
	}
	if err := expirer.ExpireCheckout(ctx, checkout.Reference); err != nil {
		if errors.Is(err, context.Canceled) {
			return
		}
		logger.Warn().Err(err).Msg("checkout of the cancelled order not expired; a payment that still arrives is refunded")
		return
	}
	logger.Info().Msg("checkout of the cancelled order expired")
}
