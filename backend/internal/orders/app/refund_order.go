package app

import (
	"context"
	"fmt"
	"strings"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/money"
)

// RefundOrder is a request for a refund of Amount, a decimal string such as
// "5.00" in the order's currency, or of everything still refundable when
// Amount is empty.
type RefundOrder struct {
	OrderID string `json:"-"`
	Amount  string `json:"amount" validate:"omitempty,max=32"`
}

// RefundOrder refunds a paid order through the gateway of its payment,
// then records OrderRefunded. An amount that is not positive, has more
// decimals than the currency, or exceeds what remains refundable is an
// Invalid error naming "amount", checked before the gateway is called. The
// gateway's idempotency key is "refund-<order id>-<minor units>-<number of
// earlier refunds>", so a retried request never refunds twice. When the
// gateway's webhook recorded the refund first, RefundOrder appends nothing
// and returns the order's current revision.
func (s *Service) RefundOrder(ctx context.Context, cmd RefundOrder) (eventstore.AppendResult, error) {
	if err := apperr.Validate(cmd); err != nil {
		return eventstore.AppendResult{}, err
	}
	if !validOrderID(cmd.OrderID) {
		return eventstore.AppendResult{}, errOrderNotFound()
	}
	loaded, err := s.loadOrder(ctx, cmd.OrderID)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	order := loaded.order
	if !order.Exists() {
		return eventstore.AppendResult{}, errOrderNotFound()
	}
	amount, err := refundAmount(order, cmd.Amount)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if err := order.CheckRefund(amount); err != nil {
		return eventstore.AppendResult{}, commandError(err)
	}
	gateway, err := s.gateway(ctx, order.Gateway())
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	key := fmt.Sprintf("refund-%s-%d-%d", order.ID(), amount.MinorUnits(), order.Refunds())
	refund, err := gateway.Refund(payments.WithIdempotencyKey(ctx, key), payments.RefundRequest{
		OrderID: order.ID(), PaymentReference: order.PaymentReference(), Amount: amount,
	})
	if err != nil {
		return eventstore.AppendResult{}, gatewayError(order.Gateway(), err)
	}
	recordedFirst := false
	result, err := s.update(ctx, cmd.OrderID, func(order *domain.Order) ([]esrepo.Event, error) {
		// The gateway's webhook may have recorded this refund between the
		// gateway call and now; the refund is then already in the log.
		if order.HasRefund(refund.Reference) {
			recordedFirst = true
			return nil, nil
		}
		event, err := order.Refund(refund.Reference, amount, s.now())
		if err != nil {
			return nil, commandError(err)
		}
		return []esrepo.Event{event}, nil
	})
	if err != nil {
		// NOTE: the gateway refunded but the order changed meanwhile; the
		// admin gets the error, and RecordRefund records the refund when
		// the gateway delivers its refund webhook.
		s.logger.Error().Err(err).Str("order_id", cmd.OrderID).Str("refund", refund.Reference).
			Msg("gateway refunded but the refund was not recorded")
		return eventstore.AppendResult{}, err
	}
	if recordedFirst {
		s.logger.Info().Str("order_id", cmd.OrderID).Str("refund", refund.Reference).
			Msg("gateway webhook recorded the refund first")
		return result, nil
	}
	s.logger.Info().Str("order_id", cmd.OrderID).Str("gateway", order.Gateway()).Str("amount", amount.String()).
		Msg("order refunded")
	return result, nil
}

// refundAmount parses text in the order's currency, or returns the whole
// refundable amount when text is empty.
func refundAmount(order *domain.Order, text string) (money.Money, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return order.RefundableAmount(), nil
	}
	parsed, err := money.ParseAmount(text)
	currency := order.Paid().Currency
	if err != nil || parsed <= 0 || money.New(parsed, currency).RoundToMinor().Amount != parsed {
		return money.Money{}, apperr.Invalid("amount", "invalid_amount",
			"amount must be a positive decimal such as 5.00 with at most the currency's decimals")
	}
	return money.New(parsed, currency), nil
}
