package app

import (
	"context"
	"strings"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
)

// maxFailureReason bounds the reason stored in OrderFailed, in bytes.
const maxFailureReason = 500

// FailOrder marks a paid or provisioning order as failed with a reason
// shown to admins and the buyer. Other statuses are a Conflict error with
// code "order_not_failable".
func (s *Service) FailOrder(ctx context.Context, orderID, reason string) (eventstore.AppendResult, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return eventstore.AppendResult{}, apperr.Invalid("reason", "invalid_required", "reason is required")
	}
	if len(reason) > maxFailureReason {
		return eventstore.AppendResult{}, apperr.Invalid("reason", "invalid_max", "reason must be at most 500 bytes")
	}
	if !validOrderID(orderID) {
		return eventstore.AppendResult{}, errOrderNotFound()
	}
	result, err := s.update(ctx, orderID, func(order *domain.Order) ([]esrepo.Event, error) {
		if !order.Exists() {
			return nil, errOrderNotFound()
		}
		event, err := order.Fail(reason, s.now())
		if err != nil {
			return nil, commandError(err)
		}
		return []esrepo.Event{event}, nil
	})
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	s.logger.Warn().Str("order_id", orderID).Str("reason", reason).Msg("order failed")
	return result, nil
}
