package ports

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	customersapp "esimscan/backend/internal/customers/app"
	ordersapp "esimscan/backend/internal/orders/app"
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
// Erasure ends the customer's sessions, but a session read just before
// the erasure must not act for the erased account either.
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

// readAccess returns what a read request shows to open an order: the
// X-Order-Token header and the customer of a valid session cookie, with no
// CSRF check because a read changes nothing.
func (h handlers) readAccess(c *fiber.Ctx) (ordersapp.Access, error) {
	access := ordersapp.Access{Token: c.Get(OrderTokenHeader)}
	customerID, err := h.sessionCustomer(c)
	if err != nil || customerID == "" {
		return access, err
	}
	active, err := h.customerActive(c.UserContext(), customerID)
	if err != nil || !active {
		return access, err
	}
	access.CustomerID = customerID
	return access, nil
}

// commandAccess returns what a command shows to act on an order: the
// X-Order-Token header when it is sent, else the signed-in customer of
// the session cookie, whose CSRF token must then come as X-CSRF-Token. A
// request with the order's token never needs the session, so a signed-in
// buyer holding the private link is not asked for the CSRF token.
func (h handlers) commandAccess(c *fiber.Ctx) (ordersapp.Access, error) {
	if token := c.Get(OrderTokenHeader); token != "" {
		return ordersapp.Access{Token: token}, nil
	}
	sessions := h.customerSessions()
	cookie := c.Cookies(CustomerSessionCookie)
	if sessions == nil || cookie == "" {
		return ordersapp.Access{}, nil
	}
	customerID, err := sessions.SessionCustomer(c.UserContext(), cookie, c.Get(CustomerCSRFHeader))
	if err != nil || customerID == "" {
		return ordersapp.Access{}, err
	}
	if h.customerAuthenticator() != nil {
		active, err := h.customerActive(c.UserContext(), customerID)
		if err != nil || !active {
			return ordersapp.Access{}, err
		}
	}
	return ordersapp.Access{CustomerID: customerID}, nil
}
