package ports_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/eventstore/memstore"
	ordersapp "esimscan/backend/internal/orders/app"
	"esimscan/backend/internal/orders/domain"
	ordersports "esimscan/backend/internal/orders/ports"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/platform/web"
	"esimscan/backend/money"
	orderviews "esimscan/projections/orders"
)

// refusal is the admin's failure message of a rejected order: it names the
// wholesaler, its code, the store's credit and an API path.
const refusal = `airalo refused the order with code 11 "Insufficient Airalo Credit". ` +
	"Top up the Airalo credit, then retry the order (HTTP 422, POST /v2/orders)"

type failureFixture struct {
	url            string
	order, topUp   string
	token, topUpTk string
}

// newFailureFixture serves the public and admin order routes over loopback
// with one failed order and one failed top-up, whose streams record
// OrderFailed with the cause "rejected".
func newFailureFixture(t *testing.T) failureFixture {
	t.Helper()
	f := failureFixture{
		order: uuid.NewString(), topUp: uuid.NewString(),
		token: "order-token-" + uuid.NewString(), topUpTk: "order-token-" + uuid.NewString(),
	}
	store := memstore.New()
	t.Cleanup(func() { store.Close() })
	repo := &esrepo.Repository{Store: store}
	failure := &orderviews.Failure{Message: refusal, Cause: domain.FailureRejected}
	views := fakeViews{orders: map[string]orderviews.OrderView{}}
	for _, order := range []struct {
		id, token string
		topUpOf   *orderviews.TopUpOf
	}{
		{f.order, f.token, nil},
		{f.topUp, f.topUpTk, &orderviews.TopUpOf{OrderID: f.order}},
	} {
		views.orders[order.id] = orderviews.OrderView{
			ID: order.id, Status: "failed", Total: money.New(720, "USD"), Failure: failure,
			AccessTokenHash: ordersapp.HashToken(order.token), TopUpOf: order.topUpOf,
		}
		_, err := repo.Append(context.Background(), "order-"+order.id, eventstore.NoStream(),
			domain.OrderFailed{OrderID: order.id, Reason: "an earlier failure", Cause: "bad_response"},
			domain.OrderFailed{OrderID: order.id, Reason: refusal, Cause: domain.FailureRejected})
		if err != nil {
			t.Fatal(err)
		}
	}
	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler(zerolog.Nop())})
	deps := ordersports.Deps{
		Views: views, Store: store, Logger: zerolog.Nop(),
		SignQR: func(orderID, iccid string) string { return "sig" },
	}
	ordersports.PublicRoutes(app.Group("/api"), deps)
	ordersports.AdminRoutes(app.Group("/api/admin"), deps)
	server := httptest.NewServer(adaptor(app))
	t.Cleanup(server.Close)
	f.url = server.URL
	return f
}

type failureBody struct {
	Failure *struct {
		Message string `json:"message"`
		Cause   string `json:"cause"`
	} `json:"failure"`
}

func (f failureFixture) get(t *testing.T, path, token string) (failureBody, string) {
	t.Helper()
	request, err := http.NewRequest(http.MethodGet, f.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		request.Header.Set(ordersports.OrderTokenHeader, token)
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
	if response.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %s", path, response.StatusCode, body)
	}
	var decoded failureBody
	if err := json.Unmarshal(body, &decoded); err != nil || decoded.Failure == nil {
		t.Fatalf("GET %s: body %s has no failure (%v)", path, body, err)
	}
	return decoded, string(body)
}

// Customers see a generic failure text: the admin's message names the
// wholesaler, the store's credit and API paths.
func TestGetOrder_failureIsGeneric(t *testing.T) {
	f := newFailureFixture(t)
	for _, tc := range []struct{ id, token, want string }{
		{f.order, f.token, ordersports.PublicFailureMessage},
		{f.topUp, f.topUpTk, ordersports.PublicTopUpFailureMessage},
	} {
		got, body := f.get(t, "/api/orders/"+tc.id, tc.token)
		if got.Failure.Message != tc.want || got.Failure.Cause != "" {
			t.Errorf("public failure = %+v, want %q and no cause", *got.Failure, tc.want)
		}
		for _, secret := range []string{"airalo", "Credit", "/v2/orders", "rejected"} {
			if strings.Contains(body, secret) {
				t.Errorf("public order view contains %q: %s", secret, body)
			}
		}
	}
}

// The admin view keeps the provider's message and shows the cause of the
// last OrderFailed.
func TestAdminGetOrder_failureKeepsMessageAndCause(t *testing.T) {
	f := newFailureFixture(t)
	got, _ := f.get(t, "/api/admin/orders/"+f.order, "")
	if got.Failure.Message != refusal || got.Failure.Cause != domain.FailureRejected {
		t.Errorf("admin failure = %+v, want the provider's message and cause %q", *got.Failure, domain.FailureRejected)
	}
}
