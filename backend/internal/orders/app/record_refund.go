package app

import (
	"context"
	"errors"
	"time"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/money"
)

// maxRefundReference bounds the gateway refund ids the log stores.
const maxRefundReference = 255

// RecordRefund is a refund that a gateway reports through its signed
// webhook: one the admin started here, or one made in the gateway's
// dashboard. RefundReference is the gateway's id of the refund (Stripe
// re_…, PayPal refund id) and Amount is what it returned.
type RecordRefund struct {
	OrderID         string
	Gateway         string
	RefundReference string
	Amount          money.Money
	At              time.Time
}

// RecordRefund appends OrderRefunded once per RefundReference, deciding on
// the order's stream. A reference the order already recorded appends
// nothing and succeeds. Errors tell a webhook whether a retry can help:
//   - Invalid (code invalid_order_id) for an id no order can have, which
//     no retry can record;
//   - NotFound for an order the log does not have, and Unavailable
//     (code refund_before_payment) for an order whose payment is not
//     recorded yet, because the payment event may still arrive;
//   - Invalid for an empty reference, an amount that is not positive, in
//     another currency than the payment, or over what is still refundable;
//   - Conflict for a cancelled or wholly refunded order and for a refund
//     reported by another gateway than the payment's.
func (s *Service) RecordRefund(ctx context.Context, cmd RecordRefund) (eventstore.AppendResult, error) {
	if !validOrderID(cmd.OrderID) {
		return eventstore.AppendResult{}, errMalformedOrderID(cmd.OrderID)
	}
	if cmd.RefundReference == "" || len(cmd.RefundReference) > maxRefundReference {
		return eventstore.AppendResult{}, apperr.Invalid("refund_reference", "invalid_refund_reference",
			"the gateway's refund id must be 1 to 255 characters")
	}
	at := cmd.At
	if at.IsZero() {
		at = s.now()
	}
	var recorded *domain.OrderRefunded
	result, err := s.update(ctx, cmd.OrderID, func(order *domain.Order) ([]esrepo.Event, error) {
		if !order.Exists() {
			return nil, errOrderNotFound()
		}
		if order.Status() == domain.StatusPendingPayment {
			return nil, &apperr.Error{Kind: apperr.KindUnavailable, Code: "refund_before_payment",
				Message: "the order's payment is not recorded yet; the gateway should deliver the refund again"}
		}
		event, err := order.RecordRefund(cmd.Gateway, cmd.RefundReference, cmd.Amount, at)
		if err != nil {
			return nil, refundError(err)
		}
		recorded = event
		if event == nil {
			return nil, nil
		}
		return []esrepo.Event{*event}, nil
	})
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if recorded != nil {
		s.logger.Info().Str("order_id", cmd.OrderID).Str("gateway", cmd.Gateway).
			Str("refund", cmd.RefundReference).Str("amount", cmd.Amount.String()).
			Msg("gateway refund recorded")
	}
	return result, nil
}

// refundError is commandError plus the rule only a reported refund can
// break: a gateway other than the payment's.
func refundError(err error) error {
	if errors.Is(err, domain.ErrRefundGatewayMismatch) {
		return &apperr.Error{Kind: apperr.KindConflict, Code: "refund_gateway_mismatch", Message: err.Error(), Err: err}
	}
	return commandError(err)
}
