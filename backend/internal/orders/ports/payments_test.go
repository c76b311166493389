package ports_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/rs/zerolog"

	ordersapp "esimscan/backend/internal/orders/app"
	ordersports "esimscan/backend/internal/orders/ports"
	"esimscan/backend/internal/platform/web"
)

// checkoutRecorder is an orders Service that records the store URL of
// the checkout it is asked to start. Other methods panic through the nil
// embedded interface.
type checkoutRecorder struct {
	ordersports.Service
	storeURL string
}

func (r *checkoutRecorder) StartCheckout(_ context.Context, cmd ordersapp.StartCheckout) (ordersapp.Checkout, error) {
	r.storeURL = cmd.StoreURL
	return ordersapp.Checkout{RedirectURL: "https://gateway.example/pay"}, nil
}

// checkoutStoreURL starts a checkout through the routes, behind
// web.PublicURL(publicURL), with forged X-Forwarded-* headers, and returns
// the store URL the gateway would send the buyer back to.
func checkoutStoreURL(t *testing.T, publicURL string) string {
	t.Helper()
	service := &checkoutRecorder{}
	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler(zerolog.Nop())})
	app.Use(web.PublicURL(publicURL))
	ordersports.PublicRoutes(app.Group("/api"), ordersports.Deps{Service: service, Views: fakeViews{}, Logger: zerolog.Nop()})
	server := httptest.NewServer(adaptor(app))
	t.Cleanup(server.Close)

	request, err := http.NewRequest(http.MethodPost, server.URL+"/api/orders/order-1/checkout", strings.NewReader(`{"gateway":"paypal"}`))
	if err != nil {
		t.Fatal(err)
	}
	request.Header.Set("Content-Type", "application/json")
	request.Header.Set(ordersports.OrderTokenHeader, "order-token")
	request.Header.Set("X-Forwarded-Host", "evil.example")
	request.Header.Set("X-Forwarded-Proto", "https")
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(response.Body).Decode(&body); err != nil || response.StatusCode != http.StatusOK {
		t.Fatalf("checkout: status %d, body %v, %v", response.StatusCode, body, err)
	}
	return service.storeURL
}

func TestCheckout_returnURLIgnoresForwardedHost(t *testing.T) {
	if got := checkoutStoreURL(t, "https://shop.example.com"); got != "https://shop.example.com" {
		t.Errorf("with a public URL the buyer returns to %q; want https://shop.example.com", got)
	}
	if got := checkoutStoreURL(t, ""); strings.Contains(got, "evil.example") || !strings.HasPrefix(got, "http://127.0.0.1:") {
		t.Errorf("without a public URL the buyer returns to %q; want the request's own host", got)
	}
}
