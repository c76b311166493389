package ports_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	customersapp "esimscan/backend/internal/customers/app"
	ordersapp "esimscan/backend/internal/orders/app"
	ordersports "esimscan/backend/internal/orders/ports"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/web"
	"esimscan/backend/money"
	orderviews "esimscan/projections/orders"
)

// The customers application is what the server passes as Deps.Customers.
var (
	_ ordersports.CustomerSessions      = (*customersapp.Service)(nil)
	_ ordersports.CustomerAuthenticator = (*customersapp.Service)(nil)
)

// fakeViews is the orders read model as a map of order views.
type fakeViews struct {
	orders map[string]orderviews.OrderView
}

func (v fakeViews) Order(_ context.Context, id string) (orderviews.OrderView, error) {
	order, ok := v.orders[id]
	if !ok {
		return orderviews.OrderView{}, orderviews.ErrNotFound
	}
	return order, nil
}

func (v fakeViews) List(context.Context, orderviews.ListFilter) ([]orderviews.OrderView, int, error) {
	return nil, 0, nil
}

// fakeCustomers keeps sessions by token and behaves like the customers
// application: an unknown token is Unauthorized, an unknown customer
// NotFound.
type fakeCustomers struct {
	sessions map[string]string // session token → customer id
	erased   map[string]bool
}

func (f fakeCustomers) Authenticate(_ context.Context, token string) (customersapp.Session, error) {
	customerID, ok := f.sessions[token]
	if !ok {
		return customersapp.Session{}, &apperr.Error{Kind: apperr.KindUnauthorized, Code: "unauthenticated", Message: "sign in first"}
	}
	return customersapp.Session{Token: token, CustomerID: customerID}, nil
}

func (f fakeCustomers) Customer(_ context.Context, customerID string) (customersapp.Customer, error) {
	for _, id := range f.sessions {
		if id == customerID {
			return customersapp.Customer{ID: customerID, Erased: f.erased[customerID]}, nil
		}
	}
	return customersapp.Customer{}, apperr.NotFound("customer_not_found", "customer not found")
}

func (f fakeCustomers) SessionCustomer(ctx context.Context, token, _ string) (string, error) {
	session, err := f.Authenticate(ctx, token)
	if err != nil {
		return "", nil
	}
	return session.CustomerID, nil
}

func (f fakeCustomers) OpenOrderEmail(_ context.Context, customerID, _, _ string) (string, error) {
	if f.erased[customerID] {
		return customersapp.ErasedEmail, nil
	}
	return "ada@example.com", nil
}

// accessFixture serves the public order routes over a loopback HTTP server,
// with one customer order, one guest order and three signed-in sessions.
type accessFixture struct {
	url                                string
	customerOrder, guestOrder          string
	customerToken, guestToken          string
	ownerSession, otherSession, erased string
}

// newAccessFixture starts the server. With authenticate false, its
// customers implement CustomerSessions only, as the orders application
// does, so no cookie can stand in for the access token.
func newAccessFixture(t *testing.T, authenticate bool) accessFixture {
	t.Helper()
	f := accessFixture{
		customerOrder: uuid.NewString(), guestOrder: uuid.NewString(),
		customerToken: "order-token-" + uuid.NewString(), guestToken: "order-token-" + uuid.NewString(),
		ownerSession: "session-" + uuid.NewString(), otherSession: "session-" + uuid.NewString(),
		erased: "session-" + uuid.NewString(),
	}
	owner, erasedCustomer := uuid.NewString(), uuid.NewString()
	fake := fakeCustomers{
		sessions: map[string]string{f.ownerSession: owner, f.otherSession: uuid.NewString(), f.erased: erasedCustomer},
		erased:   map[string]bool{erasedCustomer: true},
	}
	total := money.New(720, "USD")
	customerOrder := orderviews.OrderView{
		ID: f.customerOrder, Status: "issued", Total: total, CustomerID: owner, EmailSealed: "sealed",
		AccessTokenHash: ordersapp.HashToken(f.customerToken),
	}
	// The erased customer placed an order too: erasure must close it.
	erasedOrder := customerOrder
	erasedOrder.ID, erasedOrder.CustomerID = "erased-"+f.customerOrder, erasedCustomer
	views := fakeViews{orders: map[string]orderviews.OrderView{
		f.customerOrder: customerOrder,
		erasedOrder.ID:  erasedOrder,
		f.guestOrder: {
			ID: f.guestOrder, Status: "pending_payment", Total: total, Email: "guest@example.com",
			AccessTokenHash: ordersapp.HashToken(f.guestToken),
		},
	}}
	var customers ordersports.CustomerSessions = fake
	if !authenticate {
		customers = onlySessions{fake}
	}

	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler(zerolog.Nop())})
	ordersports.PublicRoutes(app.Group("/api"), ordersports.Deps{
		Views:     views,
		Logger:    zerolog.Nop(),
		SignQR:    func(orderID, iccid string) string { return "sig" },
		Customers: customers,
	})
	server := httptest.NewServer(adaptor(app))
	t.Cleanup(server.Close)
	f.url = server.URL
	return f
}

// adaptor serves a Fiber app from a net/http server, so that the tests
// talk real HTTP on loopback.
func adaptor(app *fiber.App) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		response, err := app.Test(r, -1)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer response.Body.Close()
		for key, values := range response.Header {
			w.Header()[key] = values
		}
		w.WriteHeader(response.StatusCode)
		_, _ = io.Copy(w, response.Body)
	})
}

type answer struct {
	status int
	body   string
}

// getOrder sends GET /api/orders/{id} with the order token and session
// cookie when they are not empty, and no CSRF header.
func (f accessFixture) getOrder(t *testing.T, orderID, orderToken, session string) answer {
	t.Helper()
	request, err := http.NewRequest(http.MethodGet, f.url+"/api/orders/"+orderID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if orderToken != "" {
		request.Header.Set(ordersports.OrderTokenHeader, orderToken)
	}
	if session != "" {
		request.AddCookie(&http.Cookie{Name: ordersports.CustomerSessionCookie, Value: session})
	}
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: response.StatusCode, body: string(body)}
}

func orderIDOf(t *testing.T, got answer) string {
	t.Helper()
	var order struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(got.body), &order); err != nil {
		t.Fatalf("decode order %q: %v", got.body, err)
	}
	return order.ID
}

func TestGetOrder_ownerSessionOpensOrder(t *testing.T) {
	f := newAccessFixture(t, true)

	got := f.getOrder(t, f.customerOrder, "", f.ownerSession)

	if got.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", got.status, got.body)
	}
	if id := orderIDOf(t, got); id != f.customerOrder {
		t.Errorf("order id = %q, want %q", id, f.customerOrder)
	}
}

func TestGetOrder_ownerSessionWithWrongToken(t *testing.T) {
	f := newAccessFixture(t, true)

	got := f.getOrder(t, f.customerOrder, "wrong-token", f.ownerSession)

	if got.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", got.status, got.body)
	}
	if id := orderIDOf(t, got); id != f.customerOrder {
		t.Errorf("order id = %q, want %q", id, f.customerOrder)
	}
}

func TestGetOrder_tokenStillOpensOrder(t *testing.T) {
	f := newAccessFixture(t, true)

	for name, got := range map[string]answer{
		"customer order, no session":    f.getOrder(t, f.customerOrder, f.customerToken, ""),
		"customer order, other session": f.getOrder(t, f.customerOrder, f.customerToken, f.otherSession),
		"guest order, owner session":    f.getOrder(t, f.guestOrder, f.guestToken, f.ownerSession),
	} {
		if got.status != http.StatusOK {
			t.Errorf("%s: status = %d, want 200; body %s", name, got.status, got.body)
		}
	}
}

// TestGetOrder_deniedLikeWrongToken checks that every request the session
// does not authorize gets the status and body of a wrong token, byte for
// byte, so the answer tells nothing about whether the order exists.
func TestGetOrder_deniedLikeWrongToken(t *testing.T) {
	f := newAccessFixture(t, true)
	wrongToken := f.getOrder(t, f.customerOrder, "wrong-token", "")
	if wrongToken.status != http.StatusNotFound {
		t.Fatalf("wrong token: status = %d, want 404; body %s", wrongToken.status, wrongToken.body)
	}

	cases := map[string]answer{
		"no token, no session":          f.getOrder(t, f.customerOrder, "", ""),
		"other customer's session":      f.getOrder(t, f.customerOrder, "", f.otherSession),
		"other session and wrong token": f.getOrder(t, f.customerOrder, "wrong-token", f.otherSession),
		"unknown session":               f.getOrder(t, f.customerOrder, "", "session-unknown"),
		"guest order with a session":    f.getOrder(t, f.guestOrder, "", f.ownerSession),
		"erased customer's own order":   f.getOrder(t, "erased-"+f.customerOrder, "", f.erased),
		"unknown order with a session":  f.getOrder(t, uuid.NewString(), "", f.ownerSession),
	}
	for name, got := range cases {
		if got.status != wrongToken.status {
			t.Errorf("%s: status = %d, want %d", name, got.status, wrongToken.status)
		}
		if got.body != wrongToken.body {
			t.Errorf("%s: body = %s, want %s", name, got.body, wrongToken.body)
		}
	}
}

// onlySessions implements CustomerSessions but not CustomerAuthenticator:
// its Authenticate has another signature.
type onlySessions struct{ fakeCustomers }

func (onlySessions) Authenticate() {}

func TestGetOrder_sessionIgnoredWithoutAuthenticator(t *testing.T) {
	f := newAccessFixture(t, false)

	got := f.getOrder(t, f.customerOrder, "", f.ownerSession)

	if got.status != http.StatusNotFound {
		t.Errorf("status = %d, want 404; body %s", got.status, got.body)
	}
	if got := f.getOrder(t, f.customerOrder, f.customerToken, f.ownerSession); got.status != http.StatusOK {
		t.Errorf("with token: status = %d, want 200; body %s", got.status, got.body)
	}
}
