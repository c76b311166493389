package app_test

import (
	"context"
	"testing"

	customersapp "esimscan/backend/internal/customers/app"
	"esimscan/backend/internal/customers/domain"
)

func TestRegister_afterErasureOpensNewAccount(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	address, old := f.signIn(t)
	if _, err := f.service.Erase(ctx, old.CustomerID); err != nil {
		t.Fatal(err)
	}
	keysBefore := f.countEvents(t, domain.EventCustomerKeyIssued)

	if err := f.service.Register(ctx, customersapp.Register{Email: address, Password: "a second password"}); err != nil {
		t.Fatalf("register again: %v", err)
	}
	messages := f.mailpit.WaitForMessages(t, address, 2, waitTimeout)
	if messages[0].Subject != "Confirm your email address" {
		t.Fatalf("second registration sent %q; want a verification link", messages[0].Subject)
	}
	if err := f.service.Verify(ctx, f.tokenFrom(t, address, 2)); err != nil {
		t.Fatalf("verify the new account: %v", err)
	}
	session, err := f.service.Login(ctx, address, "a second password")
	if err != nil {
		t.Fatalf("sign in to the new account: %v", err)
	}
	if session.CustomerID == old.CustomerID {
		t.Error("the new account reuses the erased customer's id")
	}
	if got := f.countEvents(t, domain.EventCustomerKeyIssued); got != keysBefore+1 {
		t.Errorf("CustomerKeyIssued events = %d; want %d, one new data key", got, keysBefore+1)
	}
	if _, err := f.service.Login(ctx, address, f.password); err == nil {
		t.Error("the erased account's password signs in")
	}
	erased, err := f.service.Customer(ctx, old.CustomerID)
	if err != nil {
		t.Fatal(err)
	}
	if !erased.Erased || erased.Email != customersapp.ErasedEmail {
		t.Errorf("erased customer after the new registration: %+v; want it still erased", erased)
	}
	fresh, err := f.service.Customer(ctx, session.CustomerID)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Email != address || !fresh.Verified {
		t.Errorf("new customer: %+v; want the address, verified", fresh)
	}
	f.assertNoPlaintext(t, address)
}

func TestRegister_liveAccountNotReplaced(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	address, first := f.signIn(t)
	reservations := f.countEvents(t, domain.EventCustomerEmailReserved)

	if err := f.service.Register(ctx, customersapp.Register{Email: address, Password: "another password"}); err != nil {
		t.Fatal(err)
	}
	messages := f.mailpit.WaitForMessages(t, address, 2, waitTimeout)
	if messages[0].Subject != "You already have an account" {
		t.Errorf("registration of a live account sent %q; want the existing-account notice", messages[0].Subject)
	}
	if got := f.countEvents(t, domain.EventCustomerEmailReserved); got != reservations {
		t.Errorf("CustomerEmailReserved events = %d; want %d, nothing new", got, reservations)
	}
	session, err := f.service.Login(ctx, address, f.password)
	if err != nil {
		t.Fatalf("sign in to the live account: %v", err)
	}
	if session.CustomerID != first.CustomerID {
		t.Errorf("sign-in reached customer %s; want %s", session.CustomerID, first.CustomerID)
	}
}

// Two registrations of an erased customer's address at once open one
// account: the second append of the reservation conflicts.
func TestRegister_afterErasureConcurrentOneAccount(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	address, old := f.signIn(t)
	if _, err := f.service.Erase(ctx, old.CustomerID); err != nil {
		t.Fatal(err)
	}
	reservations := f.countEvents(t, domain.EventCustomerEmailReserved)
	errs := make(chan error, 4)
	for i := 0; i < cap(errs); i++ {
		go func() {
			errs <- f.service.Register(ctx, customersapp.Register{Email: address, Password: "a second password"})
		}()
	}
	for i := 0; i < cap(errs); i++ {
		if err := <-errs; err != nil {
			t.Errorf("register: %v", err)
		}
	}
	if got := f.countEvents(t, domain.EventCustomerEmailReserved); got != reservations+1 {
		t.Errorf("CustomerEmailReserved events = %d; want %d", got, reservations+1)
	}
	if got := f.countEvents(t, domain.EventCustomerRegistered); got != 2 {
		t.Errorf("CustomerRegistered events = %d; want 2, the erased account and one new one", got)
	}
}
