package app

import (
	"context"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/platform/esrepo"
)

// manualGateway is the gateway name of bank transfers that an admin marks
// paid.
const manualGateway = "manual"

// MarkPaid records that the bank transfer of an order arrived: OrderPaid
// with gateway "manual", the order's total and reference
// "manual-<order id>". Marking it again appends nothing.
func (s *Service) MarkPaid(ctx context.Context, orderID string) (eventstore.AppendResult, error) {
	reference := manualGateway + "-" + orderID
	return s.recordPayment(ctx, manualGateway, orderID, reference, func(order *domain.Order) payments.Payment {
		return payments.Payment{OrderID: orderID, Reference: reference, Amount: order.Total()}
	})
}

func (s *Service) recordPayment(
	ctx context.Context,
	gateway, orderID, reference string,
	paymentOf func(*domain.Order) payments.Payment,
) (eventstore.AppendResult, error) {
	if !validOrderID(orderID) {
		return eventstore.AppendResult{}, errOrderNotFound()
	}
	paid := false
	result, err := s.update(ctx, orderID, func(order *domain.Order) ([]esrepo.Event, error) {
		if !order.Exists() {
			return nil, errOrderNotFound()
		}
		payment := paymentOf(order)
		event, err := order.Pay(gateway, reference, payment.Amount, s.now())
		if err != nil {
			return nil, commandError(err)
		}
		paid = event != nil
		if !paid {
			return nil, nil
		}
		return []esrepo.Event{*event}, nil
	})
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if paid {
		s.logger.Info().Str("order_id", orderID).Str("gateway", gateway).Msg("order paid")
	}
	return result, nil
}
