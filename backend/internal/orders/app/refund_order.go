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
// Invalid error naming "amount", checked before the gateway is called.
//
// Refunds of one order run one at a time in this process (check, gateway,
// append), so the check always sees the refunds before it. The gateway's
// idempotency key is "refund-<order id>-<minor units>-<number of refunds
// when the request arrived>": requests for the same amount that arrive
// together, such as a double click, share a key and refund once, while a
// refund requested after the first one is recorded gets a new key. When the
// gateway's webhook recorded the refund first, or a request with the same
// key did, RefundOrder appends nothing and returns the order's current
// revision.
func (s *Service) RefundOrder(ctx context.Context, cmd RefundOrder) (eventstore.AppendResult, error) {
	if err := apperr.Validate(cmd); err != nil {
		return eventstore.AppendResult{}, err
	}
	if !validOrderID(cmd.OrderID) {
		return eventstore.AppendResult{}, errOrderNotFound()
	}
	arrived, err := s.loadOrder(ctx, cmd.OrderID)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if !arrived.order.Exists() {
		return eventstore.AppendResult{}, errOrderNotFound()
	}
	amount, err := refundAmount(arrived.order, cmd.Amount)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	key := fmt.Sprintf("refund-%s-%d-%d", cmd.OrderID, amount.MinorUnits(), arrived.order.Refunds())

	unlock, err := s.locks.lock(ctx, cmd.OrderID)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	defer unlock()
	loaded, err := s.loadOrder(ctx, cmd.OrderID)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	order := loaded.order
	if order.HasRefundKey(key) {
		// A request that arrived together with this one refunded already.
		return loaded.current, nil
	}
	if err := order.CheckRefund(amount); err != nil {
		return eventstore.AppendResult{}, commandError(err)
	}
	gateway, err := s.gateway(ctx, order.Gateway())
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	refund, err := gateway.Refund(payments.WithIdempotencyKey(ctx, key), payments.RefundRequest{
		OrderID: order.ID(), PaymentReference: order.PaymentReference(), Amount: amount,
	})
	if err != nil {
		return eventstore.AppendResult{}, gatewayError(order.Gateway(), err)
	}
	return s.appendRefund(ctx, cmd.OrderID, order.Gateway(), key, refund, amount)
}

// appendRefund records a refund the gateway accepted under key.
func (s *Service) appendRefund(
	ctx context.Context,
	orderID, gateway, key string,
	refund payments.Refund,
	amount money.Money,
) (eventstore.AppendResult, error) {
	recordedFirst := false
	result, err := s.update(ctx, orderID, func(order *domain.Order) ([]esrepo.Event, error) {
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
		event.IdempotencyKey = key
		return []esrepo.Event{event}, nil
	})
	if err != nil {
		// NOTE: the gateway refunded but the order changed meanwhile; the
		// admin gets the error, and RecordRefund records the refund when
		// the gateway delivers its refund webhook.
		s.logger.Error().Err(err).Str("order_id", orderID).Str("refund", refund.Reference).
			Msg("gateway refunded but the refund was not recorded")
		return eventstore.AppendResult{}, err
	}
	if recordedFirst {
		s.logger.Info().Str("order_id", orderID).Str("refund", refund.Reference).
			Msg("refund was recorded before, by the gateway webhook or a request with the same key")
		return result, nil
	}
	s.logger.Info().Str("order_id", orderID).Str("gateway", gateway).Str("amount", amount.String()).
		Str("refund", refund.Reference).Msg("order refunded")
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
