package app

import (
	"context"
	"fmt"

	"esimscan/backend/internal/orders/domain"
)

// CustomerAccounts is the customers application as orders placed by a
// signed-in customer use it. The customers application's Service
// implements it.
type CustomerAccounts interface {
	// SealOrderEmail encrypts the email of order orderID with the data key
	// of customerID.
	SealOrderEmail(ctx context.Context, customerID, orderID, email string) (string, error)
	// LinkOrder makes orderID part of the customer's account. Linking twice
	// appends nothing.
	LinkOrder(ctx context.Context, customerID, orderID string) error
}

// UseCustomerAccounts lets PlaceOrder accept a CustomerID. Call it before
// serving. Without it an order with a CustomerID is rejected.
func (s *Service) UseCustomerAccounts(accounts CustomerAccounts) {
	s.customers = accounts
}

// customerOrderPlaced is OrderPlaced for an order placed by a signed-in
// customer: "email" stays empty, "email_sealed" holds the email sealed with
// the customer's data key, and "customer_id" names the account. Erasing the
// customer deletes that key, so the email of the order becomes unreadable.
type customerOrderPlaced struct {
	domain.OrderPlaced
	CustomerID  string `json:"customer_id"`
	EmailSealed string `json:"email_sealed"`
}

// EventType returns the type stored in the log.
func (customerOrderPlaced) EventType() string { return domain.EventOrderPlaced }

// sealForCustomer turns the OrderPlaced of a signed-in customer's order
// into customerOrderPlaced.
func (s *Service) sealForCustomer(ctx context.Context, customerID string, event domain.OrderPlaced) (customerOrderPlaced, error) {
	accounts := s.customers
	if accounts == nil {
		return customerOrderPlaced{}, fmt.Errorf("place order for customer %s: customer accounts are not wired", customerID)
	}
	sealed, err := accounts.SealOrderEmail(ctx, customerID, event.OrderID, event.Email)
	if err != nil {
		return customerOrderPlaced{}, fmt.Errorf("seal email of order %s: %w", event.OrderID, err)
	}
	event.Email = ""
	return customerOrderPlaced{OrderPlaced: event, CustomerID: customerID, EmailSealed: sealed}, nil
}

// linkToCustomer links a placed order to its customer. The order already
// names its customer in OrderPlaced, which the read models follow, so a
// failure is logged rather than returned.
func (s *Service) linkToCustomer(ctx context.Context, customerID, orderID string) {
	if err := s.customers.LinkOrder(ctx, customerID, orderID); err != nil {
		s.logger.Error().Err(err).Str("order_id", orderID).Str("customer_id", customerID).
			Msg("link order to customer failed; OrderPlaced still names the customer")
	}
}

// CustomerSessions is the part of the customers application that the
// order routes use to find the signed-in customer and to show the email
// of a customer's order.
type CustomerSessions interface {
	// SessionCustomer returns the customer signed in with the session
	// token, or "" when the token is empty, unknown or expired. A session
	// whose CSRF token differs from csrfHeader is a Forbidden error.
	SessionCustomer(ctx context.Context, token, csrfHeader string) (string, error)
	// OpenOrderEmail decrypts the sealed email of a customer's order, or
	// returns "erased" once the customer is erased.
	OpenOrderEmail(ctx context.Context, customerID, orderID, sealed string) (string, error)
}

// SessionCustomer returns the customer of a session token through the
// accounts that UseCustomerAccounts set, or "" without them.
func (s *Service) SessionCustomer(ctx context.Context, token, csrfHeader string) (string, error) {
	sessions, ok := s.customers.(CustomerSessions)
	if !ok || token == "" {
		return "", nil
	}
	return sessions.SessionCustomer(ctx, token, csrfHeader)
}

// OpenOrderEmail decrypts the sealed email of a customer's order through
// the accounts that UseCustomerAccounts set.
func (s *Service) OpenOrderEmail(ctx context.Context, customerID, orderID, sealed string) (string, error) {
	sessions, ok := s.customers.(CustomerSessions)
	if !ok {
		return "", fmt.Errorf("open email of order %s: customer accounts are not wired", orderID)
	}
	return sessions.OpenOrderEmail(ctx, customerID, orderID, sealed)
}
