package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	ordersapp "esimscan/backend/internal/orders/app"
	"esimscan/backend/internal/orders/domain"
)

// returnRoute serves the fixture's PayPal routes on a loopback port and
// returns a function that follows the return link of order with token and
// returns the redirect's Location.
func (f *paypalRefundFixture) returnRoute(t *testing.T) func(orderID, token string) string {
	t.Helper()
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	f.server.paypalRoutes(app.Group("/api"))
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(listener) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := "http://" + listener.Addr().String() + paypalReturnPath
	return func(orderID, token string) string {
		t.Helper()
		query := url.Values{"order": {orderID}, "token": {token}}
		response, err := client.Get(base + "?" + query.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer response.Body.Close()
		if response.StatusCode != http.StatusFound {
			t.Fatalf("return route answered %d, want 302", response.StatusCode)
		}
		return response.Header.Get("Location")
	}
}

// placeWithCheckout places an order and, when gateway is not empty, starts
// its checkout through the store; it returns the order id and the
// checkout's reference.
func (f *paypalRefundFixture) placeWithCheckout(t *testing.T, gateway string) (string, string) {
	t.Helper()
	ctx := context.Background()
	placed, err := f.server.orders.PlaceOrder(ctx, ordersapp.PlaceOrder{PackageID: "pkg-jp", Email: "buyer@example.com"})
	if err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	if gateway == "" {
		return placed.ID, ""
	}
	if _, err := f.server.orders.StartCheckout(ctx, ordersapp.StartCheckout{
		OrderID: placed.ID, AccessToken: placed.AccessToken, Gateway: gateway, StoreURL: "http://127.0.0.1:1",
	}); err != nil {
		t.Fatalf("StartCheckout: %v", err)
	}
	events, err := f.store.ReadStream(ctx, "order-"+placed.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if last.Type != domain.EventCheckoutStarted {
		t.Fatalf("last event = %s, want CheckoutStarted", last.Type)
	}
	var started domain.CheckoutStarted
	if err := json.Unmarshal(last.Data, &started); err != nil {
		t.Fatal(err)
	}
	return placed.ID, started.Reference
}

func (f *paypalRefundFixture) types(t *testing.T, orderID string) string {
	t.Helper()
	events, err := f.store.ReadStream(context.Background(), "order-"+orderID, 0)
	if err != nil {
		t.Fatal(err)
	}
	types := make([]string, 0, len(events))
	for _, event := range events {
		types = append(types, event.Type)
	}
	return strings.Join(types, ",")
}

// The unauthenticated return link holds and captures only for a token that
// is one of the order's PayPal checkouts: a made-up, overlong or other
// order's token, or an order that never chose PayPal, is redirected with
// ?checkout=failed and appends nothing.
func TestPayPalReturn_onlyTheOrdersCheckoutCaptures(t *testing.T) {
	f := newPayPalRefundFixture(t)
	follow := f.returnRoute(t)
	mine, reference := f.placeWithCheckout(t, "paypal")
	other, otherReference := f.placeWithCheckout(t, "paypal")
	never, _ := f.placeWithCheckout(t, "")
	f.sim.Approve(otherReference)

	for _, tc := range []struct{ name, orderID, token string }{
		{"made-up token", mine, "FAKE1"},
		{"made-up token again", mine, "FAKE1"},
		{"overlong token", mine, strings.Repeat("A", 2000)},
		{"token with other characters", mine, reference + "\n"},
		{"another order's token", mine, otherReference},
		{"order without a PayPal checkout", never, otherReference},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := f.types(t, tc.orderID)
			location := follow(tc.orderID, tc.token)
			if want := "/orders/" + tc.orderID + "?checkout=failed"; location != want {
				t.Errorf("Location = %q, want %q", location, want)
			}
			if after := f.types(t, tc.orderID); after != before {
				t.Errorf("events = %s, want %s unchanged", after, before)
			}
		})
	}
	if got := f.types(t, other); strings.Contains(got, domain.EventPaymentCaptureStarted) {
		t.Errorf("events of the token's own order = %s, want no hold", got)
	}

	f.sim.Approve(reference)
	if location := follow(mine, reference); location != "/orders/"+mine+"?checkout=success" {
		t.Errorf("Location for the order's own token = %q, want success", location)
	}
	if got := f.types(t, mine); !strings.HasSuffix(got, "PaymentCaptureStarted,OrderPaid") {
		t.Errorf("events = %s, want the hold and OrderPaid", got)
	}
}

func TestValidPayPalToken(t *testing.T) {
	for token, want := range map[string]bool{
		"5O190127TN364715T":     true,
		"":                      false,
		strings.Repeat("A", 64): true,
		strings.Repeat("A", 65): false,
		"PP 1":                  false,
		"PP-1%0A":               false,
		"../../etc":             false,
		"ÄPP":                   false,
	} {
		if got := validPayPalToken(token); got != want {
			t.Errorf("validPayPalToken(%.20q) = %v, want %v", token, got, want)
		}
	}
}
