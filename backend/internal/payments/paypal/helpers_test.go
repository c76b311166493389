package paypal

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/providers/adapters/httpx"
	sim "esimscan/backend/internal/simulators/paypal"
	"esimscan/backend/money"
)

const (
	testClientID = "client-id-test"
	testSecret   = "client-secret-7f3a9c51"
)

type fixture struct {
	sim     *sim.Running
	gateway *Gateway
	config  Config
}

func newFixture(t *testing.T, edit func(*Config)) *fixture {
	t.Helper()
	run, err := sim.Start(sim.Options{ClientID: testClientID, ClientSecret: testSecret})
	if err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(run.Close)
	config := Config{
		ClientID:     testClientID,
		ClientSecret: testSecret,
		WebhookID:    "WH-" + uuid.NewString(),
		Mode:         ModeSandbox,
		APIBase:      run.URL,
		Timeout:      2 * time.Second,
		Retry:        httpx.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond},
	}
	if edit != nil {
		edit(&config)
	}
	gateway, err := New(config)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &fixture{sim: run, gateway: gateway, config: config}
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustMoney(t *testing.T, value, currency string) money.Money {
	t.Helper()
	amount, err := money.ParseAmount(value)
	if err != nil {
		t.Fatalf("parse %q: %v", value, err)
	}
	return money.New(amount, currency)
}

func checkoutRequest(t *testing.T, value, currency string) payments.CheckoutRequest {
	return payments.CheckoutRequest{
		OrderID:     "ord-" + uuid.NewString(),
		Amount:      mustMoney(t, value, currency),
		Description: "Japan 5 GB, 30 days",
		ReturnURL:   "http://127.0.0.1:1/api/checkout/paypal/return?order=x",
		CancelURL:   "http://127.0.0.1:1/orders/x",
	}
}

// approve follows the approval link as the payer's browser does and
// returns where PayPal sends the browser back to.
func approve(t *testing.T, redirectURL string) *url.URL {
	t.Helper()
	client := &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Get(redirectURL)
	if err != nil {
		t.Fatalf("open approval link: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("approval link status = %d, want 302", resp.StatusCode)
	}
	location, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatalf("parse approval redirect: %v", err)
	}
	return location
}

// checkNoSecret fails when err's text contains the client secret or an
// access token.
func checkNoSecret(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	text := err.Error()
	if strings.Contains(text, testSecret) || strings.Contains(text, "A21AA") {
		t.Errorf("error reveals a secret: %s", text)
	}
}
