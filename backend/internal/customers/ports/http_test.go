package ports_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/rs/zerolog"

	customersapp "esimscan/backend/internal/customers/app"
	"esimscan/backend/internal/customers/ports"
	ordersports "esimscan/backend/internal/orders/ports"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/web"
	orderviews "esimscan/projections/orders"
)

// sessions is a fake Customers with one live session. Calls to methods it
// does not override panic through the nil embedded interface.
type sessions struct {
	ports.Customers
	live  customersapp.Session
	ended bool
}

func (s *sessions) Authenticate(_ context.Context, token string) (customersapp.Session, error) {
	if token != s.live.Token || s.ended {
		return customersapp.Session{}, &apperr.Error{Kind: apperr.KindUnauthorized, Code: "unauthenticated"}
	}
	return s.live, nil
}

func (s *sessions) CheckCSRF(session customersapp.Session, header string) error {
	if header != session.CSRFToken {
		return &apperr.Error{Kind: apperr.KindForbidden, Code: "csrf_token_invalid"}
	}
	return nil
}

func (s *sessions) Logout(_ context.Context, token string) error {
	s.ended = s.ended || token == s.live.Token
	return nil
}

func TestLogout_requiresCSRFToken(t *testing.T) {
	for _, tc := range []struct {
		name, cookie, header string
		status               int
		ended                bool
	}{
		{name: "no header", cookie: "session-1", status: http.StatusForbidden},
		{name: "wrong header", cookie: "session-1", header: "csrf-2", status: http.StatusForbidden},
		{name: "right header", cookie: "session-1", header: "csrf-1", status: http.StatusNoContent, ended: true},
		{name: "no cookie", status: http.StatusNoContent},
		{name: "unknown session", cookie: "session-9", status: http.StatusNoContent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			customers := &sessions{live: customersapp.Session{Token: "session-1", CSRFToken: "csrf-1"}}
			app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler(zerolog.Nop())})
			ports.PublicRoutes(app.Group("/api"), customers, false)
			request := httptest.NewRequest(http.MethodPost, "/api/customers/logout", nil)
			if tc.cookie != "" {
				request.AddCookie(&http.Cookie{Name: ports.SessionCookie, Value: tc.cookie})
			}
			if tc.header != "" {
				request.Header.Set("X-CSRF-Token", tc.header)
			}
			response, err := app.Test(request)
			if err != nil {
				t.Fatal(err)
			}
			if response.StatusCode != tc.status {
				t.Errorf("status %d; want %d", response.StatusCode, tc.status)
			}
			if customers.ended != tc.ended {
				t.Errorf("session ended = %v; want %v", customers.ended, tc.ended)
			}
		})
	}
}

// withOrders is sessions whose customer has orders.
type withOrders struct {
	*sessions
	orders []orderviews.OrderView
}

func (w withOrders) CustomerOrders(context.Context, string) ([]orderviews.OrderView, error) {
	return w.orders, nil
}

func TestMyOrders_showPublicFailureText(t *testing.T) {
	customers := withOrders{
		sessions: &sessions{live: customersapp.Session{Token: "session-1", CSRFToken: "csrf-1", CustomerID: "c-1"}},
		orders: []orderviews.OrderView{{
			ID: "o-1", Status: "failed", ProviderOrderID: "B24120400001",
			Failure: &orderviews.Failure{Message: `airalo refused the order with code 11 "Insufficient Airalo Credit"`, Cause: "rejected"},
		}},
	}
	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler(zerolog.Nop())})
	ports.PublicRoutes(app.Group("/api"), customers, false)
	request := httptest.NewRequest(http.MethodGet, "/api/customers/me/orders", nil)
	request.AddCookie(&http.Cookie{Name: ports.SessionCookie, Value: "session-1"})

	response, err := app.Test(request)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(response.Body)
	if response.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", response.StatusCode, body)
	}
	for _, secret := range []string{"airalo", "Credit", "rejected", "B24120400001"} {
		if strings.Contains(string(body), secret) {
			t.Errorf("my orders show %q: %s", secret, body)
		}
	}
	if !strings.Contains(string(body), ordersports.PublicFailureMessage) {
		t.Errorf("my orders lack the public failure text: %s", body)
	}
}
