package maya_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/maya"
	sim "esimscan/backend/internal/simulators/maya"
)

func reference() string {
	return "esc-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:24]
}

func orderOf(ref, productID string, quantity int) adapters.OrderRequest {
	return adapters.OrderRequest{Reference: ref, ProviderPackageID: productID, Quantity: quantity}
}

func requireFakeESIM(t *testing.T, esim adapters.ESIM) {
	t.Helper()
	require.True(t, strings.HasPrefix(esim.ICCID, "8999"), esim.ICCID)
	require.Equal(t, "rsp.esimscan.invalid", esim.SMDPAddress)
	require.NotEmpty(t, esim.ActivationCode)
	require.Equal(t, "LPA:1$rsp.esimscan.invalid$"+esim.ActivationCode, esim.LPA)
}

func TestClient_Order_issuesAtOnce(t *testing.T) {
	f := newFixture(t, sim.Options{})
	ref := reference()

	result, err := f.client(t).Order(context.Background(), orderOf(ref, "Jp3xQ7vL2mKa", 1))

	require.NoError(t, err)
	require.False(t, result.Pending)
	require.NotEmpty(t, result.ProviderOrderID)
	require.Len(t, result.ESIMs, 1)
	requireFakeESIM(t, result.ESIMs[0])
	orders := f.sim.Orders()
	require.Len(t, orders, 1)
	require.Equal(t, "Jp3xQ7vL2mKa", orders[0].PlanTypeID)
	require.Equal(t, ref, orders[0].Tag)
	require.Equal(t, result.ProviderOrderID, orders[0].CustomerID)
	require.Equal(t, []string{result.ESIMs[0].ICCID}, orders[0].ICCIDs)
}

func TestClient_QueryOrder_returnsIssuedESIM(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	placed, err := client.Order(context.Background(), orderOf(reference(), "Us5kB2pD9fGh", 1))
	require.NoError(t, err)

	queried, err := client.QueryOrder(context.Background(), placed.ProviderOrderID)

	require.NoError(t, err)
	require.False(t, queried.Pending)
	require.Equal(t, placed.ProviderOrderID, queried.ProviderOrderID)
	require.Equal(t, placed.ESIMs, queried.ESIMs)
}

func TestClient_Order_quantityBuysEach(t *testing.T) {
	f := newFixture(t, sim.Options{})

	result, err := f.client(t).Order(context.Background(), orderOf(reference(), "Th6gH3jK1lPz", 3))

	require.NoError(t, err)
	require.Len(t, result.ESIMs, 3)
	require.Len(t, f.sim.Orders(), 3)
	require.Equal(t, 3, f.sim.ESIMCount())
	iccids := map[string]bool{}
	for _, esim := range result.ESIMs {
		requireFakeESIM(t, esim)
		iccids[esim.ICCID] = true
	}
	require.Len(t, iccids, 3)
}

func TestClient_Order_sameReferenceBuysOnce(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	req := orderOf(reference(), "Jp3xQ7vL2mKa", 1)

	first, err := client.Order(context.Background(), req)
	require.NoError(t, err)
	second, err := client.Order(context.Background(), req)
	require.NoError(t, err)

	require.Equal(t, first, second)
	require.Len(t, f.sim.Orders(), 1)
	require.Len(t, f.requestsTo(http.MethodPost, sim.PathESIM), 1)
}

func TestClient_Order_concurrentSameReferenceBuysOnce(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	req := orderOf(reference(), "Jp3xQ7vL2mKa", 1)
	results := make([]adapters.OrderResult, 4)
	errs := make([]error, 4)

	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() { results[i], errs[i] = client.Order(context.Background(), req) })
	}
	wg.Wait()

	for i := range results {
		require.NoError(t, errs[i])
		require.Equal(t, results[0], results[i])
	}
	require.Len(t, f.sim.Orders(), 1)
}

// The response to POST /esim is lost after Maya issued the eSIM: the client
// times out, finds the eSIM on the customer and does not buy again.
func TestClient_Order_timeoutAfterPurchaseBuysOnce(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailSlowResponse, DelayMS: 3000, Method: http.MethodPost, Path: sim.PathESIM})
	client := f.client(t, maya.WithTimeouts(300*time.Millisecond, time.Second))
	ref := reference()

	result, err := client.Order(context.Background(), orderOf(ref, "Jp3xQ7vL2mKa", 1))

	require.NoError(t, err)
	require.Len(t, result.ESIMs, 1)
	requireFakeESIM(t, result.ESIMs[0])
	orders := f.sim.Orders()
	require.Len(t, orders, 1, "bought once")
	require.Equal(t, orders[0].ICCIDs, []string{result.ESIMs[0].ICCID})
	// The simulator logs the held request once it notices the client left.
	require.Eventually(t, func() bool { return len(f.requestsTo(http.MethodPost, sim.PathESIM)) == 1 },
		5*time.Second, 10*time.Millisecond, "one POST /esim request")
	require.Len(t, f.sim.Orders(), 1, "no second POST /esim")
	require.NotEmpty(t, f.requestsTo(http.MethodGet, sim.PathCustomer+"/"+result.ProviderOrderID), "looked up")
}

// The request times out before Maya acts on it: the lookup finds nothing
// and the client buys once.
func TestClient_Order_timeoutBeforePurchaseRetries(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailSlow, DelayMS: 3000, Method: http.MethodPost, Path: sim.PathESIM})
	client := f.client(t, maya.WithTimeouts(300*time.Millisecond, time.Second))

	result, err := client.Order(context.Background(), orderOf(reference(), "Jp3xQ7vL2mKa", 1))

	require.NoError(t, err)
	require.Len(t, result.ESIMs, 1)
	require.Len(t, f.sim.Orders(), 1)
	// The simulator logs the abandoned request once it notices the client
	// left, which may be after the order returned.
	require.Eventually(t, func() bool { return len(f.requestsTo(http.MethodPost, sim.PathESIM)) == 2 },
		5*time.Second, 10*time.Millisecond, "two POST /esim requests")
}

func TestClient_Order_serverErrorLooksUpThenRetries(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Method: http.MethodPost, Path: sim.PathESIM})

	result, err := f.client(t).Order(context.Background(), orderOf(reference(), "Jp3xQ7vL2mKa", 1))

	require.NoError(t, err)
	require.Len(t, result.ESIMs, 1)
	require.Len(t, f.sim.Orders(), 1)
	requests := f.requestsTo(http.MethodPost, sim.PathESIM)
	require.Len(t, requests, 2)
	require.Equal(t, http.StatusInternalServerError, requests[0].Status)
	require.Equal(t, http.StatusCreated, requests[1].Status)
	require.Len(t, f.requestsTo(http.MethodGet, sim.PathCustomer+"/"+result.ProviderOrderID), 1)
}

func TestClient_Order_serverErrorGivesUp(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Method: http.MethodPost, Path: sim.PathESIM, Count: 10})

	_, err := f.client(t).Order(context.Background(), orderOf(reference(), "Jp3xQ7vL2mKa", 1))

	f.requireFailure(t, err, adapters.CauseServerError)
	require.Empty(t, f.sim.Orders())
	require.Len(t, f.requestsTo(http.MethodPost, sim.PathESIM), 3)
}

func TestClient_Order_unknownProductNotRetried(t *testing.T) {
	f := newFixture(t, sim.Options{})

	_, err := f.client(t).Order(context.Background(), orderOf(reference(), "Zz0000000000", 1))

	failure := f.requireFailure(t, err, adapters.CauseRejected)
	require.Contains(t, failure.Message, "HTTP 404")
	require.Contains(t, failure.Message, "maya refused the order")
	require.Contains(t, failure.Message, "Plan type not found")
	require.Empty(t, f.sim.Orders())
	require.Len(t, f.requestsTo(http.MethodPost, sim.PathESIM), 1)
}

func TestClient_Order_rejectedCredentials(t *testing.T) {
	f := newFixture(t, sim.Options{})
	settings := f.settings()
	settings.Credentials = map[string]string{"api_key": f.apiKey, "api_secret": "secret-wrong"}

	_, err := f.clientWith(t, settings).Order(context.Background(), orderOf(reference(), "Jp3xQ7vL2mKa", 1))

	f.requireFailure(t, err, adapters.CauseCredentials)
	require.Empty(t, f.sim.Orders())
}

func TestClient_Order_invalidRequest(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	cases := map[string]adapters.OrderRequest{
		"empty reference": {ProviderPackageID: "Jp3xQ7vL2mKa", Quantity: 1},
		"no product":      {Reference: reference(), Quantity: 1},
		"zero quantity":   {Reference: reference(), ProviderPackageID: "Jp3xQ7vL2mKa"},
	}

	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := client.Order(context.Background(), req)
			require.Error(t, err)
		})
	}
	require.Empty(t, f.sim.Requests())
}

func TestClient_QueryOrder_unknownCustomer(t *testing.T) {
	f := newFixture(t, sim.Options{})

	_, err := f.client(t).QueryOrder(context.Background(), "NOSUCHCUST00")

	failure := f.requireFailure(t, err, adapters.CauseRejected)
	require.Contains(t, failure.Message, "maya refused the order query")
	require.Contains(t, failure.Message, "Customer not found")
}

func TestClient_QueryOrder_emptyID(t *testing.T) {
	f := newFixture(t, sim.Options{})

	_, err := f.client(t).QueryOrder(context.Background(), " ")

	require.ErrorContains(t, err, "customer id is empty")
	require.Empty(t, f.sim.Requests())
}
