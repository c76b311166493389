package app_test

import (
	"context"
	"testing"

	customersapp "esimscan/backend/internal/customers/app"
)

// A sign-in whose password check straddles an erasure opens a session that
// never authenticates.
func TestLogin_straddlingErasureRevoked(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	address := f.verified(t)
	erased := false
	customersapp.SetPasswordCheckedHook(f.service, func(customerID string) {
		if erased {
			return
		}
		erased = true
		if _, err := f.service.Erase(ctx, customerID); err != nil {
			t.Errorf("erase during sign-in: %v", err)
		}
	})

	session, err := f.service.Login(ctx, address, f.password)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if !erased {
		t.Fatal("the hook did not run")
	}
	if _, err := f.service.Authenticate(ctx, session.Token); err == nil {
		t.Error("a session opened across the erasure authenticates")
	}
	if _, err := f.service.Authenticate(ctx, session.Token); err == nil {
		t.Error("a revoked session authenticates on its second use")
	}
}

// A sign-in with the old password whose check straddles a password reset
// opens a session that never authenticates, while a sign-in with the new
// password afterwards works.
func TestLogin_straddlingPasswordResetRevoked(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	address := f.verified(t)
	if err := f.service.RequestPasswordReset(ctx, address); err != nil {
		t.Fatal(err)
	}
	resetToken := f.tokenFrom(t, address, 2)
	const newPassword = "a brand new password"
	reset := false
	customersapp.SetPasswordCheckedHook(f.service, func(string) {
		if reset {
			return
		}
		reset = true
		if err := f.service.ConfirmPasswordReset(ctx, resetToken, newPassword); err != nil {
			t.Errorf("reset during sign-in: %v", err)
		}
	})

	stale, err := f.service.Login(ctx, address, f.password)
	if err != nil {
		t.Fatalf("login with the old password: %v", err)
	}
	if _, err := f.service.Authenticate(ctx, stale.Token); err == nil {
		t.Error("a session opened with the old password across the reset authenticates")
	}
	fresh, err := f.service.Login(ctx, address, newPassword)
	if err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
	authenticated, err := f.service.Authenticate(ctx, fresh.Token)
	if err != nil {
		t.Fatalf("session opened after the reset: %v", err)
	}
	if authenticated.CustomerID != fresh.CustomerID {
		t.Errorf("session customer = %s, want %s", authenticated.CustomerID, fresh.CustomerID)
	}
}
