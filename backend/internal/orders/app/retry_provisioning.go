package app

import (
	"context"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/platform/esrepo"
)

// RetryProvisioning puts a failed order back into provisioning by
// appending ProvisioningRetried, so that ProvisionESIMOnOrderPaid runs its
// driver again. The live driver then resumes polling the provider order
// already recorded, or orders again with the same reference, so a retry
// never buys a second eSIM. An issued order is a Conflict error with code
// "order_already_issued", another status one with "order_not_retryable",
// and an unknown order a NotFound error with "order_not_found".
func (s *Service) RetryProvisioning(ctx context.Context, orderID string) (eventstore.AppendResult, error) {
	if !validOrderID(orderID) {
		return eventstore.AppendResult{}, errOrderNotFound()
	}
	var driver string
	result, err := s.update(ctx, orderID, func(order *domain.Order) ([]esrepo.Event, error) {
		if !order.Exists() {
			return nil, errOrderNotFound()
		}
		event, err := order.RetryProvisioning(s.driver, s.now())
		if err != nil {
			return nil, commandError(err)
		}
		driver = event.Driver
		return []esrepo.Event{event}, nil
	})
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	s.logger.Info().Str("order_id", orderID).Str("driver", driver).Str("actor", esrepo.ActorFrom(ctx)).
		Msg("provisioning retried")
	return result, nil
}
