package app

import (
	"context"

	"esimscan/backend/internal/orders/domain"
)

// PaymentStatus returns the order's status as the event store has it, ""
// for an unknown order, and whether it waits for payment. Gateways that
// capture money in a separate step (PayPal) call it first, so that money is
// never captured for an order that cannot be paid: unknown, cancelled or
// already paid.
func (s *Service) PaymentStatus(ctx context.Context, orderID string) (status string, awaiting bool, err error) {
	if !validOrderID(orderID) {
		return "", false, nil
	}
	loaded, err := s.loadOrder(ctx, orderID)
	if err != nil {
		return "", false, err
	}
	status = string(loaded.order.Status())
	return status, loaded.order.Status() == domain.StatusPendingPayment, nil
}
