package ports

import (
	"context"

	"github.com/gofiber/fiber/v2"

	orderviews "esimscan/projections/orders"
)

// CustomerSessionCookie is the customers context's session cookie, apart
// from the admin's.
const CustomerSessionCookie = "esimscan_customer_session"

// CustomerCSRFHeader carries a signed-in customer's CSRF token.
const CustomerCSRFHeader = "X-CSRF-Token"

// customerIDLocal is the fiber.Ctx local where optionalCustomer puts the
// signed-in customer's id.
const customerIDLocal = "orders.customer_id"

// CustomerSessions finds the signed-in customer of a request and opens the
// sealed email of a customer's order. The orders application's Service
// implements it once the customers application is wired in.
type CustomerSessions interface {
	SessionCustomer(ctx context.Context, token, csrfHeader string) (string, error)
	OpenOrderEmail(ctx context.Context, customerID, orderID, sealed string) (string, error)
}

// customerSessions returns deps.Customers, or the Service when it
// implements CustomerSessions, or nil.
func (d Deps) customerSessions() CustomerSessions {
	if d.Customers != nil {
		return d.Customers
	}
	sessions, _ := d.Service.(CustomerSessions)
	return sessions
}

// optionalCustomer signs the request in as the customer of its session
// cookie, if any: a missing, unknown or expired session leaves the request
// a guest's, and a valid session without its CSRF token is refused.
func optionalCustomer(sessions CustomerSessions) fiber.Handler {
	return func(c *fiber.Ctx) error {
		token := c.Cookies(CustomerSessionCookie)
		if sessions == nil || token == "" {
			return c.Next()
		}
		customerID, err := sessions.SessionCustomer(c.UserContext(), token, c.Get(CustomerCSRFHeader))
		if err != nil {
			return err
		}
		if customerID != "" {
			c.Locals(customerIDLocal, customerID)
		}
		return c.Next()
	}
}

// signedInCustomer returns the customer id optionalCustomer found, or "".
func signedInCustomer(c *fiber.Ctx) string {
	customerID, _ := c.Locals(customerIDLocal).(string)
	return customerID
}

// revealingViews is Views that fills in the email of signed-in customers'
// orders.
type revealingViews struct {
	Views
	sessions CustomerSessions
}

// withCustomers returns deps whose Views reveal customers' order emails.
func (d Deps) withCustomers() Deps {
	if sessions := d.customerSessions(); sessions != nil && d.Views != nil {
		d.Views = revealingViews{Views: d.Views, sessions: sessions}
	}
	return d
}

func (v revealingViews) Order(ctx context.Context, id string) (orderviews.OrderView, error) {
	order, err := v.Views.Order(ctx, id)
	if err != nil {
		return order, err
	}
	return order, v.reveal(ctx, &order)
}

func (v revealingViews) List(ctx context.Context, filter orderviews.ListFilter) ([]orderviews.OrderView, int, error) {
	orders, total, err := v.Views.List(ctx, filter)
	if err != nil {
		return nil, 0, err
	}
	for i := range orders {
		if err := v.reveal(ctx, &orders[i]); err != nil {
			return nil, 0, err
		}
	}
	return orders, total, nil
}

// reveal fills in the email of an order that the read model holds sealed
// only, with the key of its customer or guest, or "erased" after erasure.
func (v revealingViews) reveal(ctx context.Context, order *orderviews.OrderView) error {
	holder := order.CustomerID
	if holder == "" {
		holder = order.GuestID
	}
	if order.Email != "" || order.EmailSealed == "" || holder == "" {
		return nil
	}
	email, err := v.sessions.OpenOrderEmail(ctx, holder, order.ID, order.EmailSealed)
	if err != nil {
		return err
	}
	order.Email = email
	return nil
}
