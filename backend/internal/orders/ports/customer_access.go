package ports

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	customersapp "esimscan/backend/internal/customers/app"
	"esimscan/backend/internal/platform/apperr"
	orderviews "esimscan/projections/orders"
)

// CustomerAuthenticator finds the customer of a session cookie without a
// CSRF check, and reports whether that customer is erased. The order page
// needs no CSRF check because a GET changes nothing. The customers
// application's Service implements it.
type CustomerAuthenticator interface {
	// Authenticate returns the session of token, or an Unauthorized error
	// when the token is missing, unknown or expired.
	Authenticate(ctx context.Context, token string) (customersapp.Session, error)
	// Customer returns one customer, or a NotFound error.
	Customer(ctx context.Context, customerID string) (customersapp.Customer, error)
}

// customerAuthenticator returns deps.Customers, or the Service, when it
// implements CustomerAuthenticator, or nil. Without one, only the access
// token opens an order.
func (d Deps) customerAuthenticator() CustomerAuthenticator {
	if authenticator, ok := d.Customers.(CustomerAuthenticator); ok {
		return authenticator
	}
	authenticator, _ := d.Service.(CustomerAuthenticator)
	return authenticator
}

// readableOrder returns the order when the request carries its access
// token, or the session cookie of the customer whose account placed it.
// Any other request gets the error of a wrong token, so a session reveals
// nothing about orders of other accounts or of guests.
func (h handlers) readableOrder(c *fiber.Ctx) (orderviews.OrderView, error) {
	order, err := h.authorizedOrder(c)
	if err == nil || !isOrderNotFound(err) {
		return order, err
	}

	denied := err
	customerID, err := h.sessionCustomer(c)
	if err != nil {
		return orderviews.OrderView{}, err
	}
	if customerID == "" {
		return orderviews.OrderView{}, denied
	}

	order, err = h.Views.Order(c.UserContext(), c.Params("id"))
	if errors.Is(err, orderviews.ErrNotFound) {
		return orderviews.OrderView{}, denied
	}
	if err != nil {
		return orderviews.OrderView{}, err
	}
	if order.CustomerID != customerID {
		return orderviews.OrderView{}, denied
	}

	active, err := h.customerActive(c.UserContext(), customerID)
	if err != nil {
		return orderviews.OrderView{}, err
	}
	if !active {
		return orderviews.OrderView{}, denied
	}
	return order, nil
}

// sessionCustomer returns the customer of the request's session cookie, or
// "" when there is no authenticator, no cookie, or no valid session.
func (h handlers) sessionCustomer(c *fiber.Ctx) (string, error) {
	authenticator := h.customerAuthenticator()
	token := c.Cookies(CustomerSessionCookie)
	if authenticator == nil || token == "" {
		return "", nil
	}
	session, err := authenticator.Authenticate(c.UserContext(), token)
	if appErr, ok := apperr.As(err); ok && appErr.Kind == apperr.KindUnauthorized {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return session.CustomerID, nil
}

// customerActive reports whether the customer exists and is not erased.
// Erasure leaves open sessions in place until they expire, so a session
// alone does not prove the account still exists.
func (h handlers) customerActive(ctx context.Context, customerID string) (bool, error) {
	customer, err := h.customerAuthenticator().Customer(ctx, customerID)
	if appErr, ok := apperr.As(err); ok && appErr.Kind == apperr.KindNotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return !customer.Erased, nil
}

// isOrderNotFound reports whether err is the NotFound error that
// authorizedOrder returns for an unknown order and for a wrong token.
func isOrderNotFound(err error) bool {
	appErr, ok := apperr.As(err)
	return ok && appErr.Kind == apperr.KindNotFound && appErr.Code == "order_not_found"
}
