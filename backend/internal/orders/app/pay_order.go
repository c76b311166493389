package app

import (
	"context"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
)

// testGateway is the gateway name the test payment gateway records.
const testGateway = "test"

// PayWithTestGateway pays an order in full through the test gateway, with
// reference "test-<order id>". It returns a NotFound error with code
// "test_payments_disabled" unless Deps.TestPayments is set, and code
// "order_not_found" for an unknown order and for a wrong token alike. A
// second call appends nothing and returns the order's current revision, and
// two concurrent calls append one OrderPaid.
func (s *Service) PayWithTestGateway(ctx context.Context, orderID, accessToken string) (eventstore.AppendResult, error) {
	if !s.testPayments {
		return eventstore.AppendResult{}, &apperr.Error{
			Kind:    apperr.KindNotFound,
			Code:    "test_payments_disabled",
			Message: "the test payment gateway is disabled (set ESIMSCAN_TEST_PAYMENTS=1 to enable it)",
		}
	}
	if !validOrderID(orderID) || accessToken == "" {
		return eventstore.AppendResult{}, errOrderNotFound()
	}
	paid := false
	result, err := s.update(ctx, orderID, func(order *domain.Order) ([]esrepo.Event, error) {
		if !order.Exists() || !TokenMatches(order.AccessTokenHash(), accessToken) {
			return nil, errOrderNotFound()
		}
		event, err := order.Pay(testGateway, testGateway+"-"+orderID, order.Total(), s.now())
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
		s.logger.Info().Str("order_id", orderID).Str("gateway", testGateway).Msg("order paid")
	}
	return result, nil
}
