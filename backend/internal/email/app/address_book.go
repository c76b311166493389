package app

import (
	"context"
	"fmt"

	"esimscan/backend/internal/email/domain"
)

// erasedAddress is the address an AddressBook returns for an erased customer.
const erasedAddress = "erased"

// AddressBook decrypts the address of an order, which OrderPlaced holds
// sealed with the data key of the signed-in customer or of the guest who
// placed it; customerID is then the guest id. It returns "erased" once the
// customer or guest is erased. The customers
// application's Service implements it.
type AddressBook interface {
	OpenOrderEmail(ctx context.Context, customerID, orderID, sealed string) (string, error)
}

// UseAddressBook lets the delivery reaction email orders of signed-in
// customers. Call it before the reactions run.
func (s *Service) UseAddressBook(book AddressBook) { s.addresses = book }

// resolveAddress fills in delivery.Email for an order whose address is
// sealed. It returns false when its customer or guest is erased, and so
// no email can go.
func (s *Service) resolveAddress(ctx context.Context, delivery *domain.Delivery) (bool, error) {
	if delivery.Email != "" || delivery.EmailSealed == "" {
		return true, nil
	}
	if s.addresses == nil {
		return false, fmt.Errorf("open address of order %s: no address book is wired", delivery.OrderID)
	}
	holder := delivery.CustomerID
	if holder == "" {
		holder = delivery.GuestID
	}
	email, err := s.addresses.OpenOrderEmail(ctx, holder, delivery.OrderID, delivery.EmailSealed)
	if err != nil {
		return false, fmt.Errorf("open address of order %s: %w", delivery.OrderID, err)
	}
	if email == erasedAddress {
		return false, nil
	}
	delivery.Email = email
	return true, nil
}
