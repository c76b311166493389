package ports_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	ordersapp "esimscan/backend/internal/orders/app"
	ordersports "esimscan/backend/internal/orders/ports"
	"esimscan/backend/internal/orders/usage"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/web"
	"esimscan/backend/internal/providers/adapters"
	orderviews "esimscan/projections/orders"
)

// fakeUsage returns the same usage, or err, for every eSIM, counting calls.
type fakeUsage struct {
	calls    atomic.Int64
	provider atomic.Value
	err      error
}

func (f *fakeUsage) Usage(_ context.Context, provider, iccid string) (adapters.Usage, error) {
	f.calls.Add(1)
	f.provider.Store(provider)
	if f.err != nil {
		return adapters.Usage{}, f.err
	}
	total, used, remaining := int64(3072), int64(700), int64(2372)
	expires := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	return adapters.Usage{
		TotalMB: &total, UsedMB: &used, RemainingMB: &remaining, ExpiresAt: &expires,
		Status: adapters.UsageStatusActive, AsOf: time.Date(2026, 6, 13, 6, 0, 0, 0, time.UTC),
	}, nil
}

type usageFixture struct {
	url                                   string
	source                                *fakeUsage
	order, token, iccid                   string
	demoOrder, demoToken, demoICCID       string
	refunded, refundedToken               string
	ownerSession, otherSession, erasedSes string
}

func newUsageFixture(t *testing.T, source *fakeUsage) usageFixture {
	t.Helper()
	f := usageFixture{
		source: source,
		order:  uuid.NewString(), token: "order-token-" + uuid.NewString(), iccid: "8999" + uuid.NewString()[:15],
		demoOrder: uuid.NewString(), demoToken: "order-token-" + uuid.NewString(), demoICCID: "8999" + uuid.NewString()[:15],
		refunded: uuid.NewString(), refundedToken: "order-token-" + uuid.NewString(),
		ownerSession: "session-" + uuid.NewString(), otherSession: "session-" + uuid.NewString(),
		erasedSes: "session-" + uuid.NewString(),
	}
	owner, erasedCustomer := uuid.NewString(), uuid.NewString()
	customers := fakeCustomers{
		sessions: map[string]string{f.ownerSession: owner, f.otherSession: uuid.NewString(), f.erasedSes: erasedCustomer},
		erased:   map[string]bool{erasedCustomer: true},
	}
	issued := orderviews.OrderView{
		ID: f.order, Status: orderviews.StatusIssued, CustomerID: owner,
		Package:         orderviews.OrderPackage{Provider: "esim-access"},
		ESIMs:           []orderviews.ESIM{{ICCID: f.iccid}},
		AccessTokenHash: ordersapp.HashToken(f.token),
	}
	erasedOrder := issued
	erasedOrder.ID, erasedOrder.CustomerID = "erased-"+f.order, erasedCustomer
	demo := orderviews.OrderView{
		ID: f.demoOrder, Status: orderviews.StatusIssued,
		Package:         orderviews.OrderPackage{Provider: "esim-access"},
		ESIMs:           []orderviews.ESIM{{ICCID: f.demoICCID, Demo: true}},
		AccessTokenHash: ordersapp.HashToken(f.demoToken),
	}
	refunded := issued
	refunded.ID, refunded.Status, refunded.CustomerID = f.refunded, "refunded", ""
	refunded.AccessTokenHash = ordersapp.HashToken(f.refundedToken)
	views := fakeViews{orders: map[string]orderviews.OrderView{
		f.order: issued, erasedOrder.ID: erasedOrder, f.demoOrder: demo, f.refunded: refunded,
	}}

	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler(zerolog.Nop())})
	deps := ordersports.Deps{Views: views, Logger: zerolog.Nop(), Customers: customers}
	ordersports.UsageRoutes(app.Group("/api"), deps, source)
	server := httptest.NewServer(adaptor(app))
	t.Cleanup(server.Close)
	f.url = server.URL
	return f
}

func (f usageFixture) get(t *testing.T, orderID, iccid, token, session string) answer {
	t.Helper()
	request, err := http.NewRequest(http.MethodGet, f.url+"/api/orders/"+orderID+"/esims/"+iccid+"/usage", nil)
	require.NoError(t, err)
	if token != "" {
		request.Header.Set(ordersports.OrderTokenHeader, token)
	}
	if session != "" {
		request.AddCookie(&http.Cookie{Name: ordersports.CustomerSessionCookie, Value: session})
	}
	response, err := http.DefaultClient.Do(request)
	require.NoError(t, err)
	defer response.Body.Close()
	body, err := io.ReadAll(response.Body)
	require.NoError(t, err)
	return answer{status: response.StatusCode, body: string(body)}
}

func errorCode(t *testing.T, body string) string {
	t.Helper()
	var decoded struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &decoded), body)
	return decoded.Error.Code
}

func TestUsage_withOrderToken(t *testing.T) {
	f := newUsageFixture(t, &fakeUsage{})

	got := f.get(t, f.order, f.iccid, f.token, "")

	require.Equal(t, http.StatusOK, got.status, got.body)
	require.JSONEq(t, `{"iccid":"`+f.iccid+`","total_mb":3072,"used_mb":700,"remaining_mb":2372,
		"expires_at":"2026-07-01T00:00:00Z","status":"active","as_of":"2026-06-13T06:00:00Z"}`, got.body)
	require.Equal(t, "esim-access", f.source.provider.Load())
}

func TestUsage_ownerSessionOpensWithoutToken(t *testing.T) {
	f := newUsageFixture(t, &fakeUsage{})

	got := f.get(t, f.order, f.iccid, "", f.ownerSession)

	require.Equal(t, http.StatusOK, got.status, got.body)
}

func TestUsage_deniedLikeAWrongToken(t *testing.T) {
	f := newUsageFixture(t, &fakeUsage{})
	wrongToken := f.get(t, f.order, f.iccid, "order-token-"+uuid.NewString(), "")
	cases := map[string]answer{
		"no token":                   f.get(t, f.order, f.iccid, "", ""),
		"another customer's session": f.get(t, f.order, f.iccid, "", f.otherSession),
		"an erased customer":         f.get(t, "erased-"+f.order, f.iccid, "", f.erasedSes),
		"an ICCID of another order":  f.get(t, f.order, f.demoICCID, f.token, ""),
		"an unknown order":           f.get(t, uuid.NewString(), f.iccid, f.token, ""),
	}

	require.Equal(t, http.StatusNotFound, wrongToken.status)
	require.Equal(t, "order_not_found", errorCode(t, wrongToken.body))
	for name, got := range cases {
		require.Equal(t, wrongToken, got, name)
	}
	require.Zero(t, f.source.calls.Load())
}

func TestUsage_demoESIMIsNotSupported(t *testing.T) {
	f := newUsageFixture(t, &fakeUsage{})

	got := f.get(t, f.demoOrder, f.demoICCID, f.demoToken, "")

	require.Equal(t, http.StatusConflict, got.status, got.body)
	require.Equal(t, usage.CodeNotSupported, errorCode(t, got.body))
	require.Zero(t, f.source.calls.Load(), "no provider call for a demo eSIM")
}

func TestUsage_orderNotIssued(t *testing.T) {
	f := newUsageFixture(t, &fakeUsage{})

	got := f.get(t, f.refunded, f.iccid, f.refundedToken, "")

	require.Equal(t, http.StatusConflict, got.status, got.body)
	require.Zero(t, f.source.calls.Load())
}

func TestUsage_providerUnavailable(t *testing.T) {
	f := newUsageFixture(t, &fakeUsage{err: &apperr.Error{
		Kind: apperr.KindUnavailable, Code: usage.CodeUnavailable, Message: "try again later",
	}})

	got := f.get(t, f.order, f.iccid, f.token, "")

	require.Equal(t, http.StatusServiceUnavailable, got.status, got.body)
	require.Equal(t, usage.CodeUnavailable, errorCode(t, got.body))
}
