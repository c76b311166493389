package app

import (
	"context"

	"esimscan/backend/internal/orders/domain"
)

// PaymentStatus returns the order's status as the event store has it, ""
// for an unknown order, and whether it waits for payment. It only reads:
// a capture must hold the order with CapturePayment instead of checking
// here first, because the status can change before the capture.
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
