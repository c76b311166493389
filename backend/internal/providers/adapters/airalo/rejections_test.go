package airalo_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/adaptertest"
	"esimscan/backend/internal/providers/adapters/airalo"
	sim "esimscan/backend/internal/simulators/airalo"
)

func TestClient_Order_insufficientBalanceFailure(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailInsufficientBalance, Count: 10})
	client := f.client(t)
	req := adapters.OrderRequest{Reference: reference(), ProviderPackageID: "hanami-mobile-7days-1gb", Quantity: 1}

	_, err := client.Order(context.Background(), req)

	failure := f.requireFailure(t, err, adapters.CauseRejected)
	require.Equal(t, `airalo refused the order with code 11 "Insufficient Airalo Credit: the balance is lower than `+
		`the order total.". Top up the Airalo credit, then retry the order (HTTP 422, POST `+sim.PathOrders+")",
		failure.Message)
	var methods []string
	for _, request := range f.requestsTo(sim.PathOrders) {
		methods = append(methods, request.Method)
	}
	require.Equal(t, []string{"GET", "POST"}, methods, "one lookup, one refused purchase, no retry")
	require.Empty(t, f.sim.Orders())

	f.sim.ClearFailures()
	placed, err := client.Order(context.Background(), req)
	require.NoError(t, err)
	require.Len(t, placed.ESIMs, 1)
	require.Len(t, f.sim.Orders(), 1)
}

// airaloRefusing serves a token to any client and responds to every other call
// with status and body.
func airaloRefusing(t *testing.T, status int, body string) *httptest.Server {
	t.Helper()
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/token") {
			_, _ = fmt.Fprint(w, `{"data":{"token_type":"Bearer","expires_in":86400,"access_token":"token-1"}}`)
			return
		}
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/orders") {
			_, _ = fmt.Fprint(w, `{"data":[],"meta":{"last_page":1}}`)
			return
		}
		w.WriteHeader(status)
		_, _ = fmt.Fprint(w, body)
	}))
	t.Cleanup(server.Close)
	return server
}

func TestClient_Order_businessCodes(t *testing.T) {
	cases := []struct {
		status int
		body   string
		cause  adapters.Cause
		advice string
	}{
		{422, `{"code":33,"reason":"Insufficient stock of eSIMs remaining: 0."}`, adapters.CauseRejected, "wait until it is restocked"},
		{422, `{"code":34,"reason":"The requested eSIM package is invalid or it is currently out of stock."}`,
			adapters.CauseRejected, "sync the catalog"},
		{400, `{"code":"43","reason":"Bad request."}`, adapters.CauseRejected, "Check the package and the quantity"},
		{422, `{"data":{"quantity":"The quantity may not be greater than 50."},"meta":{"message":"the parameter is invalid"}}`,
			adapters.CauseRejected, "quantity: The quantity may not be greater than 50."},
		{422, `{"code":13,"reason":"The requested operator is currently undergoing maintenance."}`, adapters.CauseServerError, "maintenance"},
		{422, `{"code":53,"reason":"Something unexpected happened."}`, adapters.CauseServerError, "unexpected"},
		{409, `{"code":11,"reason":"Insufficient Airalo Credit"}`, adapters.CauseServerError, "HTTP 409"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d %s", tc.status, tc.body), func(t *testing.T) {
			server := airaloRefusing(t, tc.status, tc.body)
			client, err := airalo.New(adapters.Settings{
				BaseURL:     server.URL + "/v2",
				Credentials: map[string]string{"client_id": "id-1", "client_secret": "secret-1"},
			}, airalo.WithRetry(adaptertest.FastRetry()))
			require.NoError(t, err)

			_, err = client.Order(context.Background(), adapters.OrderRequest{
				Reference: reference(), ProviderPackageID: "hanami-mobile-7days-1gb", Quantity: 1,
			})

			providerErr := adaptertest.RequireCause(t, err, tc.cause)
			require.Contains(t, providerErr.Message, tc.advice)
		})
	}
}
