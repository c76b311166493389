package esimaccess_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/adaptertest"
	"esimscan/backend/internal/providers/adapters/esimaccess"
	sim "esimscan/backend/internal/simulators/esimaccess"
)

func TestClient_Order_insufficientBalanceFailure(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailInsufficientBalance, Count: 10})
	client := f.client(t)
	req := adapters.OrderRequest{Reference: reference(), ProviderPackageID: "P8KQ2JD55", Quantity: 1}

	_, err := client.Order(context.Background(), req)

	failure := f.requireFailure(t, err, adapters.CauseRejected)
	require.Equal(t, `esim-access refused the order with code 200007 "Insufficient account balance". `+
		"Top up the merchant balance at eSIM Access, then retry the order (POST "+sim.PathOrder+")", failure.Message)
	require.Len(t, f.requestsTo(sim.PathOrder), 1, "a refusal is not retried")
	require.Empty(t, f.sim.Orders())

	f.sim.ClearFailures()
	placed, err := client.Order(context.Background(), req)
	require.NoError(t, err)
	require.NotEmpty(t, placed.ProviderOrderID)
	require.Len(t, f.sim.Orders(), 1)
}

func TestClient_Balance_insufficientBalanceFailureSkipsOtherCalls(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailInsufficientBalance})

	_, err := f.client(t).Balance(context.Background())
	require.NoError(t, err)

	_, err = f.client(t).Order(context.Background(), adapters.OrderRequest{
		Reference: reference(), ProviderPackageID: "P8KQ2JD55", Quantity: 1,
	})
	f.requireFailure(t, err, adapters.CauseRejected)
}

func TestClient_Order_businessCodeWinsOverHTTPStatus(t *testing.T) {
	cases := []struct {
		status int
		cause  adapters.Cause
	}{
		{http.StatusBadRequest, adapters.CauseRejected},
		{http.StatusConflict, adapters.CauseRejected},
		{http.StatusBadGateway, adapters.CauseServerError},
	}
	for _, tc := range cases {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			var calls atomic.Int32
			server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(`{"success":false,"errorCode":"200011","errorMsg":"Insufficient profiles","obj":null}`))
			}))
			t.Cleanup(server.Close)
			client, err := esimaccess.New(adapters.Settings{
				BaseURL:     server.URL,
				Credentials: map[string]string{"access_code": "ac-" + reference()},
			}, esimaccess.WithRetry(adaptertest.FastRetry()))
			require.NoError(t, err)

			_, err = client.Order(context.Background(), adapters.OrderRequest{
				Reference: reference(), ProviderPackageID: "P8KQ2JD55", Quantity: 1,
			})

			require.Equal(t, tc.cause, adapters.CauseOf(err))
			if tc.cause == adapters.CauseRejected {
				require.ErrorContains(t, err, "code 200011")
				require.ErrorContains(t, err, "no profiles left for this package")
				require.Equal(t, int32(1), calls.Load(), "a refusal is not retried")
			}
		})
	}
}

func TestClient_Order_unknownCodeStaysServerError(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"success":false,"errorCode":"999999","errorMsg":"Something new","obj":null}`))
	}))
	t.Cleanup(server.Close)
	client, err := esimaccess.New(adapters.Settings{
		BaseURL:     server.URL,
		Credentials: map[string]string{"access_code": "ac-" + reference()},
	})
	require.NoError(t, err)

	_, err = client.Order(context.Background(), adapters.OrderRequest{
		Reference: reference(), ProviderPackageID: "P8KQ2JD55", Quantity: 1,
	})

	require.Equal(t, adapters.CauseServerError, adapters.CauseOf(err))
	require.ErrorContains(t, err, "code 999999: Something new")
}
