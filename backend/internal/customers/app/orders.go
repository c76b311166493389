package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"esimscan/backend/internal/customers/domain"
	"esimscan/backend/internal/platform/apperr"
	customerviews "esimscan/projections/customers"
	orderviews "esimscan/projections/orders"
)

// OrderViews is the orders read model as a customer's order list reads it.
type OrderViews interface {
	Order(ctx context.Context, id string) (orderviews.OrderView, error)
}

// ErrErased reports personal data of an erased customer, which can no
// longer be decrypted.
var ErrErased = errors.New("the customer is erased")

// ListedCustomer is one row of the admin customer list. Email reads
// ErasedEmail after erasure.
type ListedCustomer struct {
	ID           string    `json:"id"`
	Email        string    `json:"email"`
	Verified     bool      `json:"verified"`
	Erased       bool      `json:"erased"`
	RegisteredAt time.Time `json:"registered_at"`
	OrderCount   int       `json:"order_count"`
}

func orderEmailAssociatedData(customerID, orderID string) string {
	return "customer:" + customerID + ":order:" + orderID + ":email"
}

// SealOrderEmail encrypts the email of order orderID with the data key of
// customerID, for OrderPlaced. An erased or unknown customer is a NotFound
// error.
func (s *Service) SealOrderEmail(ctx context.Context, customerID, orderID, email string) (string, error) {
	if !validID(customerID) {
		return "", errCustomerNotFound()
	}
	key, _, err := s.dataKey(ctx, customerID)
	if err != nil {
		return "", err
	}
	if key == nil {
		return "", errCustomerNotFound()
	}
	return sealWith(key, email, orderEmailAssociatedData(customerID, orderID))
}

// OpenOrderEmail decrypts what SealOrderEmail or SealGuestOrderEmail
// sealed, or returns ErasedEmail once the customer or guest is erased.
func (s *Service) OpenOrderEmail(ctx context.Context, customerID, orderID, sealed string) (string, error) {
	email, err := s.OrderEmail(ctx, customerID, orderID, sealed)
	if errors.Is(err, ErrErased) {
		return ErasedEmail, nil
	}
	return email, err
}

// OrderEmail is OpenOrderEmail for senders of email: once the customer is
// erased it returns an error wrapping ErrErased. customerID may also be
// the guest id of a guest order.
func (s *Service) OrderEmail(ctx context.Context, customerID, orderID, sealed string) (string, error) {
	if domain.IsGuestID(customerID) {
		return s.guestOrderEmail(ctx, customerID, orderID, sealed)
	}
	if !validID(customerID) {
		return "", fmt.Errorf("email of order %s: %w", orderID, ErrErased)
	}
	key, _, err := s.dataKey(ctx, customerID)
	if err != nil {
		return "", err
	}
	if key == nil {
		return "", fmt.Errorf("email of order %s: %w", orderID, ErrErased)
	}
	email, err := openWith(key, sealed, orderEmailAssociatedData(customerID, orderID))
	if err != nil {
		return "", fmt.Errorf("open email of order %s: %w", orderID, err)
	}
	return email, nil
}

// SessionCustomer returns the customer signed in with token, or "" when
// the token is empty, unknown or expired, so that the caller goes on as a
// guest. A session whose CSRF token differs from csrfHeader is a Forbidden
// error with code "csrf_token_invalid".
func (s *Service) SessionCustomer(ctx context.Context, token, csrfHeader string) (string, error) {
	session, err := s.Authenticate(ctx, token)
	var appErr *apperr.Error
	if errors.As(err, &appErr) && appErr.Kind == apperr.KindUnauthorized {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if err := s.CheckCSRF(session, csrfHeader); err != nil {
		return "", err
	}
	return session.CustomerID, nil
}

// CustomerOrders returns the customer's orders from the orders read model,
// newest first, with their email decrypted. Orders the read model does not
// hold yet are left out.
func (s *Service) CustomerOrders(ctx context.Context, customerID string) ([]orderviews.OrderView, error) {
	if s.views == nil || s.orders == nil {
		return nil, errors.New("list customer orders: read models are not wired")
	}
	ids, err := s.views.OrderIDs(ctx, customerID)
	if err != nil {
		return nil, err
	}
	out := make([]orderviews.OrderView, 0, len(ids))
	for _, id := range ids {
		order, err := s.orders.Order(ctx, id)
		if errors.Is(err, orderviews.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if order.CustomerID != customerID {
			continue
		}
		if order.Email == "" && order.EmailSealed != "" {
			if order.Email, err = s.OpenOrderEmail(ctx, customerID, id, order.EmailSealed); err != nil {
				return nil, err
			}
		}
		out = append(out, order)
	}
	return out, nil
}

// ListCustomers returns a page of customers, newest first, with each email
// decrypted with the customer's data key, or ErasedEmail, and the number
// of customers.
func (s *Service) ListCustomers(ctx context.Context, offset, limit int) ([]ListedCustomer, int, error) {
	if s.views == nil {
		return nil, 0, errors.New("list customers: read model is not wired")
	}
	customers, total, err := s.views.List(ctx, offset, limit)
	if err != nil {
		return nil, 0, err
	}
	out := make([]ListedCustomer, 0, len(customers))
	for _, customer := range customers {
		listed, err := s.listed(ctx, customer)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, listed)
	}
	return out, total, nil
}

// listed decrypts one customer's email. The data key comes from the log,
// not the read model, so a customer reads as erased as soon as
// CustomerErased is appended.
func (s *Service) listed(ctx context.Context, customer customerviews.Customer) (ListedCustomer, error) {
	listed := ListedCustomer{
		ID: customer.ID, Email: ErasedEmail, Verified: customer.Verified, Erased: customer.Erased,
		RegisteredAt: customer.RegisteredAt, OrderCount: customer.OrderCount,
	}
	key, keyState, err := s.dataKey(ctx, customer.ID)
	if err != nil {
		return ListedCustomer{}, err
	}
	listed.Erased = listed.Erased || keyState.Erased
	if key == nil || customer.EmailSealed == "" {
		return listed, nil
	}
	if listed.Email, err = openWith(key, customer.EmailSealed, emailAssociatedData(customer.ID)); err != nil {
		return ListedCustomer{}, fmt.Errorf("open email of customer %s: %w", customer.ID, err)
	}
	return listed, nil
}
