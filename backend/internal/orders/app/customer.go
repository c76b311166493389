package app

import (
	"context"
	"fmt"

	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/platform/esrepo"
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
	// SealGuestOrderEmail encrypts the email of guest order orderID with
	// the data key of the guest who buys with that email.
	// It returns the guest id that names the key.
	SealGuestOrderEmail(ctx context.Context, orderID, email string) (guestID, sealed string, err error)
	// EmailHash returns the keyed hash that finds orders by email.
	EmailHash(ctx context.Context, email string) (string, error)
}

// UseCustomerAccounts lets PlaceOrder accept a CustomerID. Call it before
// serving. Without it an order with a CustomerID is rejected.
func (s *Service) UseCustomerAccounts(accounts CustomerAccounts) {
	s.customers = accounts
}

// sealedOrderPlaced is OrderPlaced with the email sealed: "email" stays
// empty and "email_sealed" holds the address sealed with the data key of
// the signed-in customer named by "customer_id", or of the guest named by
// "guest_id". "email_hash" is the keyed hash that finds the order by
// email. Erasing the customer or guest deletes that key, so the email of
// the order becomes unreadable while the log keeps the event.
type sealedOrderPlaced struct {
	domain.OrderPlaced
	CustomerID  string `json:"customer_id,omitempty"`
	GuestID     string `json:"guest_id,omitempty"`
	EmailHash   string `json:"email_hash,omitempty"`
	EmailSealed string `json:"email_sealed"`
}

// EventType returns the type stored in the log.
func (sealedOrderPlaced) EventType() string { return domain.EventOrderPlaced }

// sealEmail turns OrderPlaced into sealedOrderPlaced: for the account of
// customerID, or for a guest when customerID is empty. Without customer
// accounts wired, a guest order keeps its email as it is and an account
// order is refused.
func (s *Service) sealEmail(ctx context.Context, customerID string, event domain.OrderPlaced) (esrepo.Event, error) {
	accounts := s.customers
	if accounts == nil {
		if customerID == "" {
			return event, nil
		}
		return nil, fmt.Errorf("place order for customer %s: customer accounts are not wired", customerID)
	}
	hash, err := accounts.EmailHash(ctx, event.Email)
	if err != nil {
		return nil, fmt.Errorf("hash email of order %s: %w", event.OrderID, err)
	}
	sealed := sealedOrderPlaced{CustomerID: customerID, EmailHash: hash}
	if customerID != "" {
		sealed.EmailSealed, err = accounts.SealOrderEmail(ctx, customerID, event.OrderID, event.Email)
	} else {
		sealed.GuestID, sealed.EmailSealed, err = accounts.SealGuestOrderEmail(ctx, event.OrderID, event.Email)
	}
	if err != nil {
		return nil, fmt.Errorf("seal email of order %s: %w", event.OrderID, err)
	}
	event.Email = ""
	sealed.OrderPlaced = event
	return sealed, nil
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

// customersErasedEmail is what OpenOrderEmail returns for an erased
// customer or guest.
const customersErasedEmail = "erased"

// EmailHash returns the keyed hash that finds orders with a sealed email,
// or "" when customer accounts are not wired and every email is in the
// clear.
func (s *Service) EmailHash(ctx context.Context, email string) (string, error) {
	if s.customers == nil || email == "" {
		return "", nil
	}
	return s.customers.EmailHash(ctx, email)
}
