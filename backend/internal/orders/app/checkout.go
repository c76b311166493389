package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
)

// Gateways returns the payment gateway with a name ("stripe", "paypal",
// "manual", "test"), or an error wrapping payments.ErrNotConfigured when it
// is disabled or lacks settings.
type Gateways interface {
	Gateway(ctx context.Context, name string) (payments.Gateway, error)
}

// StartCheckout is a request for the checkout of a pending order through Gateway.
// StoreURL is the scheme and host of the store, such as
// "https://shop.example", to which the gateway returns the buyer.
type StartCheckout struct {
	OrderID     string `json:"-"`
	AccessToken string `json:"-"`
	CustomerID  string `json:"-"` // the signed-in customer, who may pay the account's orders without the token
	Gateway     string `json:"gateway" validate:"required,oneof=stripe paypal manual"`
	StoreURL    string `json:"-"`
}

// Checkout is a started checkout: the gateway's RedirectURL, or the
// Instructions of a bank transfer.
type Checkout struct {
	RedirectURL  string                  `json:"redirect_url,omitempty"`
	Instructions string                  `json:"instructions,omitempty"`
	Result       eventstore.AppendResult `json:"-"`
}

// StartCheckout starts the payment of a pending order and records
// CheckoutStarted. It needs the order's token, or the signed-in customer
// whose account placed the order. An unknown order and a wrong token are a NotFound error
// with code "order_not_found"; a gateway that is disabled or not
// configured is an Invalid error naming "gateway"; a paid or cancelled
// order is a Conflict error. Starting again returns a new checkout from the
// gateway, which Stripe deduplicates by the order id.
func (s *Service) StartCheckout(ctx context.Context, cmd StartCheckout) (Checkout, error) {
	if err := apperr.Validate(cmd); err != nil {
		return Checkout{}, err
	}
	access := Access{Token: cmd.AccessToken, CustomerID: cmd.CustomerID}
	if !validOrderID(cmd.OrderID) || access.empty() {
		return Checkout{}, errOrderNotFound()
	}
	loaded, err := s.loadOrder(ctx, cmd.OrderID)
	if err != nil {
		return Checkout{}, err
	}
	order := loaded.order
	if !order.Exists() || !access.opens(order.AccessTokenHash(), loaded.customerID) {
		return Checkout{}, errOrderNotFound()
	}
	if err := order.CheckPayable(); err != nil {
		return Checkout{}, commandError(err)
	}
	gateway, err := s.gateway(ctx, cmd.Gateway)
	if err != nil {
		return Checkout{}, err
	}
	started, err := gateway.StartCheckout(ctx, checkoutRequest(order, cmd.StoreURL))
	if err != nil {
		return Checkout{}, gatewayError(cmd.Gateway, err)
	}
	result, err := s.update(ctx, cmd.OrderID, func(order *domain.Order) ([]esrepo.Event, error) {
		event, err := order.StartCheckout(cmd.Gateway, started.Reference, s.now())
		if err != nil {
			return nil, commandError(err)
		}
		return []esrepo.Event{event}, nil
	})
	if err != nil {
		return Checkout{}, err
	}
	s.logger.Info().Str("order_id", cmd.OrderID).Str("gateway", cmd.Gateway).Msg("checkout started")
	return Checkout{RedirectURL: started.RedirectURL, Instructions: started.Instructions, Result: result}, nil
}

func checkoutRequest(order *domain.Order, storeURL string) payments.CheckoutRequest {
	page := strings.TrimRight(storeURL, "/") + "/orders/" + url.PathEscape(order.ID())
	description := order.Package().Name
	if order.Quantity() > 1 {
		description = fmt.Sprintf("%d × %s", order.Quantity(), description)
	}
	return payments.CheckoutRequest{
		OrderID:       order.ID(),
		Amount:        order.Total(),
		Description:   description,
		CustomerEmail: order.Email(),
		ReturnURL:     page + "?checkout=success",
		CancelURL:     page + "?checkout=cancelled",
	}
}

// gateway returns the named gateway, or an Invalid error naming "gateway"
// when it is not available.
func (s *Service) gateway(ctx context.Context, name string) (payments.Gateway, error) {
	if s.gateways == nil {
		return nil, gatewayError(name, payments.ErrNotConfigured)
	}
	gateway, err := s.gateways.Gateway(ctx, name)
	if err != nil {
		return nil, gatewayError(name, err)
	}
	return gateway, nil
}

// gatewayError names the "gateway" field for a gateway that is not
// configured, and wraps other failures, which the HTTP edge hides.
func gatewayError(name string, err error) error {
	if errors.Is(err, payments.ErrNotConfigured) {
		return &apperr.Error{
			Kind: apperr.KindInvalid, Code: "gateway_not_configured", Field: "gateway",
			Message: "payment gateway " + name + " is disabled or not configured", Err: err,
		}
	}
	return fmt.Errorf("payment gateway %s: %w", name, err)
}
