package app

import (
	"context"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/platform/esrepo"
)

// CancelOrder cancels an unpaid order. Any other status is a Conflict
// error with code "order_not_cancellable".
func (s *Service) CancelOrder(ctx context.Context, orderID string) (eventstore.AppendResult, error) {
	if !validOrderID(orderID) {
		return eventstore.AppendResult{}, errOrderNotFound()
	}
	result, err := s.update(ctx, orderID, func(order *domain.Order) ([]esrepo.Event, error) {
		if !order.Exists() {
			return nil, errOrderNotFound()
		}
		event, err := order.Cancel(s.now())
		if err != nil {
			return nil, commandError(err)
		}
		return []esrepo.Event{event}, nil
	})
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	s.logger.Info().Str("order_id", orderID).Msg("order cancelled")
	return result, nil
}
