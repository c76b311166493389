package app_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	customersapp "esimscan/backend/internal/customers/app"
	"esimscan/backend/internal/customers/domain"
	"esimscan/backend/internal/eventstore"
	ordersapp "esimscan/backend/internal/orders/app"
	"esimscan/backend/internal/platform/apperr"
)

// eventsOrNone returns every event in the log.
func (f *fixture) eventsOrNone(t *testing.T) []eventstore.RecordedEvent {
	t.Helper()
	events, err := f.store.ReadAll(context.Background(), 0, 100000)
	if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatal(err)
	}
	return events
}

// countEvents returns how many events of type eventType the log has.
func (f *fixture) countEvents(t *testing.T, eventType string) int {
	t.Helper()
	count := 0
	for _, event := range f.eventsOrNone(t) {
		if event.Type == eventType {
			count++
		}
	}
	return count
}

// verified registers and verifies a new customer and returns the address.
func (f *fixture) verified(t *testing.T) string {
	t.Helper()
	address, token := f.register(t)
	if err := f.service.Verify(context.Background(), token); err != nil {
		t.Fatal(err)
	}
	return address
}

func wantInvalidEmail(t *testing.T, what string, err error) {
	t.Helper()
	appErr, ok := apperr.As(err)
	if !ok || appErr.Kind != apperr.KindInvalid || appErr.Field != "email" {
		t.Errorf("%s: error %v; want an invalid error naming email", what, err)
	}
}

func TestLogin_successesDoNotCount(t *testing.T) {
	f := newFixture(t)
	address := f.verified(t)
	for signIn := 1; signIn <= customersapp.LoginLimits.PerAccount; signIn++ {
		if _, err := f.service.LoginFrom(context.Background(), address, f.password, "198.51.100.20"); err != nil {
			t.Fatalf("sign-in %d: %v", signIn, err)
		}
	}
	if _, err := f.service.LoginFrom(context.Background(), address, f.password, "198.51.100.20"); err != nil {
		t.Errorf("sign-in after %d successes: %v; want a session", customersapp.LoginLimits.PerAccount, err)
	}
}

func TestLogin_failuresLockTheAddress(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	address := f.verified(t)
	for range customersapp.LoginLimits.PerClient {
		_, err := f.service.LoginFrom(ctx, address, "wrong password!", "203.0.113.7")
		if appErr, ok := apperr.As(err); !ok || appErr.Code != "invalid_credentials" {
			t.Fatalf("wrong password: %v, want invalid_credentials", err)
		}
	}
	_, err := f.service.LoginFrom(ctx, address, f.password, "203.0.113.7")
	if appErr, ok := apperr.As(err); !ok || appErr.Code != "too_many_attempts" || appErr.RetryAfter <= 0 {
		t.Errorf("right password after %d failures: %v; want too_many_attempts with a wait", customersapp.LoginLimits.PerClient, err)
	}
	if _, err := f.service.LoginFrom(ctx, address, f.password, "198.51.100.20"); err != nil {
		t.Errorf("the customer from another address: %v", err)
	}
}

func TestPasswordReset_emailsPerAddressLimited(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	address := f.verified(t)
	limit := customersapp.DefaultMailLimits.PerAddress
	for i := range limit + 3 {
		// A new client address each time: only the address's limit applies.
		if err := f.service.RequestPasswordResetFrom(ctx, address, fmt.Sprintf("192.0.2.%d", i)); err != nil {
			t.Fatalf("request %d: %v, want nil over the limit too", i+1, err)
		}
	}
	f.service.Wait()
	if got := len(f.mailpit.MessagesTo(t, address)); got != 1+limit {
		t.Errorf("%d emails to the address; want the verification and %d reset links", got, limit)
	}
	if got := f.countEvents(t, domain.EventPasswordResetRequested); got != limit {
		t.Errorf("%d resets recorded; want %d, one per email sent", got, limit)
	}
}

func TestRegister_existingAddressNoticesLimited(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	address, _ := f.register(t)
	limit := customersapp.DefaultMailLimits.PerAddress
	for i := range limit + 3 {
		err := f.service.RegisterFrom(ctx, customersapp.Register{Email: address, Password: f.password}, fmt.Sprintf("192.0.2.%d", i))
		if err != nil {
			t.Fatalf("registration %d: %v, want nil over the limit too", i+2, err)
		}
	}
	f.service.Wait()
	if got := len(f.mailpit.MessagesTo(t, address)); got != 1+limit {
		t.Errorf("%d emails to the address; want the verification and %d notices", got, limit)
	}
}

func TestPasswordReset_emailsPerClientLimited(t *testing.T) {
	f := newFixture(t)
	deps := f.deps(nil, nil)
	deps.MailLimits = customersapp.MailLimits{PerAddress: 3, PerClient: 2, Window: customersapp.DefaultMailLimits.Window}
	f.service = customersapp.NewService(deps)
	t.Cleanup(f.service.Wait)
	ctx := context.Background()
	first, second := f.verified(t), f.verified(t)
	for _, address := range []string{first, second, second} {
		if err := f.service.RequestPasswordResetFrom(ctx, address, "203.0.113.7"); err != nil {
			t.Fatal(err)
		}
	}
	f.service.Wait()
	if got := len(f.mailpit.MessagesTo(t, second)); got != 2 {
		t.Errorf("%d emails to the second address; want the verification and 1 reset link", got)
	}
	if err := f.service.RequestPasswordResetFrom(ctx, second, "198.51.100.20"); err != nil {
		t.Fatal(err)
	}
	f.service.Wait()
	if got := len(f.mailpit.MessagesTo(t, second)); got != 3 {
		t.Errorf("another client's request sent %d emails in all; want 3", got)
	}
}

func TestRegister_composedAndDecomposedAreOneAccount(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	local := "zo\u00eb-" + uuid.NewString()[:8]
	composed := local + "@example.com"
	decomposed := strings.Replace(composed, "\u00eb", "e\u0308", 1)
	if err := f.service.Register(ctx, customersapp.Register{Email: decomposed, Password: f.password}); err != nil {
		t.Fatal(err)
	}
	if err := f.service.Register(ctx, customersapp.Register{Email: composed, Password: f.password}); err != nil {
		t.Fatal(err)
	}
	if got := f.countEvents(t, domain.EventCustomerRegistered); got != 1 {
		t.Errorf("%d accounts registered for two spellings of one address; want 1", got)
	}
	// The verification and the notice of the second registration.
	f.mailpit.WaitForMessages(t, composed, 2, waitTimeout)
	if got := customersapp.NormalizeEmail(decomposed); got != composed {
		t.Errorf("NormalizeEmail(%+q) = %+q; want %+q", decomposed, got, composed)
	}
}

func TestEmailRules_rejectHiddenAndQuotedForms(t *testing.T) {
	f := newFixture(t)
	orders, _ := f.withOrders(t)
	ctx := context.Background()
	before := len(f.eventsOrNone(t))
	for _, address := range []string{
		"carol@example.test\u200b",
		"car\u200bol@example.test",
		"carol@example.test\u0000",
		`"carol"@example.test`,
		`"<img src=x onerror=alert(1)>"@example.test`,
	} {
		wantInvalidEmail(t, fmt.Sprintf("register %+q", address),
			f.service.Register(ctx, customersapp.Register{Email: address, Password: f.password}))
		wantInvalidEmail(t, fmt.Sprintf("password reset %+q", address), f.service.RequestPasswordReset(ctx, address))
		_, err := f.service.Login(ctx, address, f.password)
		wantInvalidEmail(t, fmt.Sprintf("login %+q", address), err)
		_, err = orders.PlaceOrder(ctx, ordersapp.PlaceOrder{PackageID: "pkg-jp", Email: address})
		wantInvalidEmail(t, fmt.Sprintf("order %+q", address), err)
	}
	if after := len(f.eventsOrNone(t)); after != before {
		t.Errorf("rejected emails appended %d events", after-before)
	}
}

func TestRegister_linkStartsWithPublicURL(t *testing.T) {
	f := newFixture(t)
	deps := f.deps(nil, nil)
	deps.BaseURL = "https://shop.example.com/"
	f.service = customersapp.NewService(deps)
	t.Cleanup(f.service.Wait)
	address := "customer-" + uuid.NewString()[:8] + "@example.com"
	if err := f.service.Register(context.Background(), customersapp.Register{Email: address, Password: f.password}); err != nil {
		t.Fatal(err)
	}
	messages := f.mailpit.WaitForMessages(t, address, 1, waitTimeout)
	if !strings.Contains(messages[0].Text, "https://shop.example.com/account/verify?token=") {
		t.Errorf("verification email does not link to the public URL:\n%s", messages[0].Text)
	}
}
