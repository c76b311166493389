package app

import (
	"context"
	"fmt"
	"time"

	"esimscan/backend/internal/customers/domain"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/apperr"
)

// Customer is a customer as admins and the customer see it. Email reads
// ErasedEmail after erasure.
type Customer struct {
	ID           string    `json:"id"`
	Email        string    `json:"email"`
	Verified     bool      `json:"verified"`
	Erased       bool      `json:"erased"`
	RegisteredAt time.Time `json:"registered_at"`
	Orders       []string  `json:"orders"`
}

// Erase appends one CustomerErased to the customer's key stream, which
// makes the data key, and so every sealed personal field, unreadable. It
// appends nothing else and changes no other stream. An unknown customer is
// a NotFound error, and erasing twice is a Conflict with code "already_erased".
func (s *Service) Erase(ctx context.Context, customerID string) (eventstore.AppendResult, error) {
	if !validID(customerID) {
		return eventstore.AppendResult{}, errCustomerNotFound()
	}
	var key domain.Key
	expected, err := s.repo.Load(ctx, domain.KeyStream(customerID), func(event eventstore.RecordedEvent) error {
		return key.Apply(event.Type, event.Data)
	})
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("load data key of customer %s: %w", customerID, err)
	}
	if key.SealedKey == "" {
		return eventstore.AppendResult{}, errCustomerNotFound()
	}
	if key.Erased {
		return eventstore.AppendResult{}, apperr.Conflict("already_erased", "the customer is already erased")
	}
	result, err := s.repo.Append(ctx, domain.KeyStream(customerID), expected,
		domain.CustomerErased{CustomerID: customerID, ErasedAt: s.now().UTC()})
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("erase customer %s: %w", customerID, err)
	}
	if err := s.revokeSessions(ctx, customerID); err != nil {
		s.logger.Error().Err(err).Str("customer_id", customerID).Msg("end sessions of erased customer failed")
	}
	s.logger.Info().Str("customer_id", customerID).Msg("customer erased")
	return result, nil
}

// Customer returns one customer with the email decrypted, or ErasedEmail
// after erasure.
func (s *Service) Customer(ctx context.Context, customerID string) (Customer, error) {
	if !validID(customerID) {
		return Customer{}, errCustomerNotFound()
	}
	customer, _, err := s.loadCustomer(ctx, customerID)
	if err != nil {
		return Customer{}, err
	}
	if !customer.Exists() {
		return Customer{}, errCustomerNotFound()
	}
	key, keyState, err := s.dataKey(ctx, customerID)
	if err != nil {
		return Customer{}, err
	}
	view := Customer{
		ID: customerID, Email: ErasedEmail, Verified: customer.Verified, Erased: keyState.Erased,
		RegisteredAt: customer.RegisteredAt, Orders: append([]string{}, customer.Orders...),
	}
	if key != nil {
		if view.Email, err = openWith(key, customer.EmailSealed, emailAssociatedData(customerID)); err != nil {
			return Customer{}, fmt.Errorf("open email of customer %s: %w", customerID, err)
		}
	}
	return view, nil
}

// LinkOrder makes orderID part of the customer's account. Linking an
// order twice appends nothing.
func (s *Service) LinkOrder(ctx context.Context, customerID, orderID string) error {
	if !validID(customerID) || !validID(orderID) {
		return errCustomerNotFound()
	}
	customer, expected, err := s.loadCustomer(ctx, customerID)
	if err != nil {
		return err
	}
	if !customer.Exists() {
		return errCustomerNotFound()
	}
	if customer.HasOrder(orderID) {
		return nil
	}
	_, err = s.repo.Append(ctx, domain.CustomerStream(customerID), expected,
		domain.CustomerOrderLinked{CustomerID: customerID, OrderID: orderID, LinkedAt: s.now().UTC()})
	if err != nil {
		return fmt.Errorf("link order %s to customer %s: %w", orderID, customerID, err)
	}
	return nil
}

func errCustomerNotFound() error {
	return apperr.NotFound("customer_not_found", "customer not found")
}
