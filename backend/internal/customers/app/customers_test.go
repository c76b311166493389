package app_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	customersapp "esimscan/backend/internal/customers/app"
	"esimscan/backend/internal/customers/domain"
	emailapp "esimscan/backend/internal/email/app"
	"esimscan/backend/internal/email/mailpittest"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/eventstore/filestore"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/platform/passwords"
	"esimscan/backend/internal/platform/secrets"
	customerviews "esimscan/projections/customers"
)

const waitTimeout = 20 * time.Second

var tokenPattern = regexp.MustCompile(`token=([^\s]+)`)

type fixture struct {
	store    eventstore.Store
	mailpit  *mailpittest.Mailpit
	service  *customersapp.Service
	password string
	deps     func(*customerviews.Queries, customersapp.OrderViews) customersapp.Deps
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	mailpit := mailpittest.Start(t, 0)
	store, err := filestore.Open(t.TempDir(), filestore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	appKey, _ := secrets.GenerateAppKey()
	keys, err := secrets.ParseAppKey(appKey)
	if err != nil {
		t.Fatal(err)
	}
	repo := &esrepo.Repository{Store: store}
	mail := emailapp.NewService(emailapp.Deps{Repo: repo, Keys: keys, Logger: zerolog.Nop()})
	_, err = mail.ConfigureSMTP(context.Background(), emailapp.ConfigureSMTP{
		Host: "127.0.0.1", Port: mailpit.Port, From: "shop@example.com", Security: "none",
	})
	if err != nil {
		t.Fatal(err)
	}
	redisServer := miniredis.RunT(t)
	f := &fixture{store: store, mailpit: mailpit, password: "correct horse battery"}
	f.deps = func(views *customerviews.Queries, orders customersapp.OrderViews) customersapp.Deps {
		return customersapp.Deps{
			Repo:           repo,
			Redis:          redis.NewClient(&redis.Options{Addr: redisServer.Addr()}),
			Keys:           keys,
			Mailer:         mail,
			BaseURL:        "http://127.0.0.1:8080",
			Logger:         zerolog.Nop(),
			PasswordParams: passwords.PasswordParams{Time: 1, Memory: 8 * 1024, Threads: 1, SaltLen: 16, KeyLen: 32},
			Views:          views,
			Orders:         orders,
		}
	}
	f.service = customersapp.NewService(f.deps(nil, nil))
	t.Cleanup(f.service.Wait)
	return f
}

// tokenFrom waits for the count-th email to address and returns the token
// of its link.
func (f *fixture) tokenFrom(t *testing.T, address string, count int) string {
	t.Helper()
	messages := f.mailpit.WaitForMessages(t, address, count, waitTimeout)
	match := tokenPattern.FindStringSubmatch(messages[0].Text) // newest first
	if match == nil {
		t.Fatalf("email %q has no token link", messages[0].Subject)
	}
	token, err := url.QueryUnescape(match[1])
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func (f *fixture) register(t *testing.T) (string, string) {
	t.Helper()
	address := "customer-" + uuid.NewString()[:8] + "@example.com"
	if err := f.service.Register(context.Background(), customersapp.Register{Email: address, Password: f.password}); err != nil {
		t.Fatal(err)
	}
	token := f.tokenFrom(t, address, 1)
	return address, token
}

func TestCustomer_registerVerifyLogin(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	address, token := f.register(t)

	_, err := f.service.Login(ctx, address, f.password)
	if appErr, ok := apperr.As(err); !ok || appErr.Code != "email_not_verified" {
		t.Errorf("login before verification: error = %v, want email_not_verified", err)
	}
	if err := f.service.Verify(ctx, token); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if err := f.service.Verify(ctx, token); err == nil {
		t.Error("a used verification token was accepted again")
	}
	session, err := f.service.Login(ctx, strings.ToUpper(address), f.password)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if session.CSRFToken == "" || session.Token == "" {
		t.Error("session lacks its tokens")
	}
	if _, err := f.service.Login(ctx, address, "wrong password!"); err == nil {
		t.Error("wrong password accepted")
	}
	authenticated, err := f.service.Authenticate(ctx, session.Token)
	if err != nil || authenticated.CustomerID != session.CustomerID {
		t.Errorf("authenticate: %+v, %v", authenticated, err)
	}
	f.assertNoPlaintext(t, address)
}

func TestCustomer_passwordReset(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	address, token := f.register(t)
	if err := f.service.Verify(ctx, token); err != nil {
		t.Fatal(err)
	}
	if err := f.service.RequestPasswordReset(ctx, "nobody-"+uuid.NewString()[:8]+"@example.com"); err != nil {
		t.Errorf("reset of an unknown email: %v, want nil", err)
	}
	if err := f.service.RequestPasswordReset(ctx, address); err != nil {
		t.Fatal(err)
	}
	resetToken := f.tokenFrom(t, address, 2)
	first, err := f.service.Login(ctx, address, f.password)
	if err != nil {
		t.Fatal(err)
	}
	second, err := f.service.Login(ctx, address, f.password)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.service.ConfirmPasswordReset(ctx, resetToken, "a brand new password"); err != nil {
		t.Fatalf("confirm reset: %v", err)
	}
	for _, old := range []customersapp.Session{first, second} {
		if _, err := f.service.Authenticate(ctx, old.Token); err == nil {
			t.Error("a session opened with the old password survived the reset")
		}
	}
	if err := f.service.ConfirmPasswordReset(ctx, resetToken, "another new password"); err == nil {
		t.Error("a used reset token was accepted again")
	}
	if _, err := f.service.Login(ctx, address, f.password); err == nil {
		t.Error("old password still signs in")
	}
	if _, err := f.service.Login(ctx, address, "a brand new password"); err != nil {
		t.Errorf("new password: %v", err)
	}
}

func TestCustomer_erase(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	address, token := f.register(t)
	if err := f.service.Verify(ctx, token); err != nil {
		t.Fatal(err)
	}
	session, err := f.service.Login(ctx, address, f.password)
	if err != nil {
		t.Fatal(err)
	}
	before, err := f.service.Customer(ctx, session.CustomerID)
	if err != nil || before.Email != address {
		t.Fatalf("customer before erasure: %+v, %v", before, err)
	}
	headBefore, _ := f.store.Head(ctx)

	if _, err := f.service.Erase(ctx, session.CustomerID); err != nil {
		t.Fatal(err)
	}
	headAfter, _ := f.store.Head(ctx)
	events, err := f.store.ReadAll(ctx, headBefore, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Type != domain.EventCustomerErased || headAfter != events[0].Position {
		t.Errorf("erasure appended %d events, want exactly one CustomerErased", len(events))
	}
	if _, err := f.service.Authenticate(ctx, session.Token); err == nil {
		t.Error("the erased customer's session still authenticates")
	}
	after, err := f.service.Customer(ctx, session.CustomerID)
	if err != nil || after.Email != customersapp.ErasedEmail || !after.Erased {
		t.Errorf("customer after erasure: %+v, %v", after, err)
	}
	if _, err := f.service.Login(ctx, address, f.password); err == nil {
		t.Error("an erased customer can still sign in")
	}
	registered, err := f.store.ReadStream(ctx, domain.CustomerStream(session.CustomerID), 0)
	if err != nil || len(registered) == 0 {
		t.Fatalf("the log lost the customer's events: %v", err)
	}
	_, err = f.service.Erase(ctx, session.CustomerID)
	if appErr, ok := apperr.As(err); !ok || appErr.Code != "already_erased" {
		t.Errorf("second erasure: %v", err)
	}
	f.assertNoPlaintext(t, address)
}

// assertNoPlaintext fails when any event in the log contains address.
func (f *fixture) assertNoPlaintext(t *testing.T, address string) {
	t.Helper()
	events, err := f.store.ReadAll(context.Background(), 0, 10000)
	if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatal(err)
	}
	for _, event := range events {
		if strings.Contains(strings.ToLower(string(event.Data)), strings.ToLower(address)) {
			t.Errorf("%s in %s contains the email in plain text", event.Type, event.Stream)
		}
	}
}
