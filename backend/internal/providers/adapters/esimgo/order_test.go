package esimgo_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/esimgo"
	sim "esimscan/backend/internal/simulators/esimgo"
)

func reference() string {
	return "esc-" + uuid.NewString()
}

func japan5GB(t *testing.T) adapters.OrderRequest {
	return adapters.OrderRequest{
		Reference:         reference(),
		ProviderPackageID: "esim_5GB_30D_JP_V2",
		Quantity:          1,
		Wholesale:         usd(t, "7.35"),
	}
}

func requireFakeESIM(t *testing.T, esim adapters.ESIM) {
	t.Helper()
	require.True(t, strings.HasPrefix(esim.ICCID, "8999"), esim.ICCID)
	require.Len(t, esim.ICCID, 19)
	require.Equal(t, "rsp.esimscan.invalid", esim.SMDPAddress)
	require.Regexp(t, `^[0-9A-F]{4}(-[0-9A-F]{4}){3}$`, esim.ActivationCode)
	require.Equal(t, "LPA:1$rsp.esimscan.invalid$"+esim.ActivationCode, esim.LPA)
}

func TestClient_Order_validatesThenBuysOnce(t *testing.T) {
	f := newFixture(t, sim.Options{})
	req := japan5GB(t)

	result, err := f.client(t).Order(context.Background(), req)

	require.NoError(t, err)
	require.False(t, result.Pending)
	require.Len(t, result.ESIMs, 1)
	requireFakeESIM(t, result.ESIMs[0])
	orders := f.sim.Orders()
	require.Len(t, orders, 1)
	require.Equal(t, orders[0].OrderReference, result.ProviderOrderID)
	require.Equal(t, []sim.OrderLine{{Item: "esim_5GB_30D_JP_V2", Quantity: 1, PricePerUnit: "7.35", SubTotal: "7.35"}},
		orders[0].Lines)
	require.True(t, orders[0].Assign)
	require.Equal(t, 1, f.sim.Validations())
	require.Equal(t, amount(t, "3118.25"), f.sim.Balance(), "charged once")
}

func TestClient_Order_sameReferenceBuysOnce(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	req := japan5GB(t)

	first, err := client.Order(context.Background(), req)
	require.NoError(t, err)
	second, err := client.Order(context.Background(), req)
	require.NoError(t, err)

	require.Equal(t, first, second)
	require.Len(t, f.sim.Orders(), 1)
}

func TestClient_Order_concurrentSameReferenceBuysOnce(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	req := japan5GB(t)
	results := make([]adapters.OrderResult, 5)
	var wg sync.WaitGroup

	for i := range results {
		wg.Go(func() {
			result, err := client.Order(context.Background(), req)
			require.NoError(t, err)
			results[i] = result
		})
	}
	wg.Wait()

	require.Len(t, f.sim.Orders(), 1)
	for _, result := range results {
		require.Equal(t, results[0].ProviderOrderID, result.ProviderOrderID)
	}
}

// The transaction is charged but its response arrives after the client's
// deadline: the lookup finds the order, and nothing is bought again.
func TestClient_Order_timeoutThenLookupBuysOnce(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailSlow, DelayMS: 3000, Path: sim.PathOrders, OrderType: "transaction"})
	client := f.client(t, esimgo.WithTimeouts(300*time.Millisecond, time.Second))
	req := japan5GB(t)

	result, err := client.Order(context.Background(), req)

	require.NoError(t, err)
	orders := f.sim.Orders()
	require.Len(t, orders, 1)
	require.Equal(t, orders[0].OrderReference, result.ProviderOrderID)
	require.Len(t, result.ESIMs, 1)
	require.Equal(t, orders[0].ESIMs[0].ICCID, result.ESIMs[0].ICCID)
	lookups := f.requestsTo("GET", sim.PathOrders)
	require.Len(t, lookups, 1)
	require.Contains(t, lookups[0].Query, "includeIccids=true")
	require.Contains(t, lookups[0].Query, "createdAt=gte%3A")
}

// A 500 before the order is processed: the lookup finds nothing, so the
// transaction is tried again and buys once.
func TestClient_Order_serverErrorRetriedAfterLookup(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Path: sim.PathOrders, OrderType: "transaction"})

	result, err := f.client(t).Order(context.Background(), japan5GB(t))

	require.NoError(t, err)
	require.Len(t, f.sim.Orders(), 1)
	require.Len(t, result.ESIMs, 1)
	require.Len(t, f.requestsTo("GET", sim.PathOrders), 1, "one lookup before the retry")
	require.Len(t, f.requestsTo("POST", sim.PathOrders), 3, "validate, failed transaction, transaction")
}

// Another reference's order of the same bundle is never taken as this
// one's.
func TestClient_Order_lookupSkipsOtherReferences(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	earlier, err := client.Order(context.Background(), japan5GB(t))
	require.NoError(t, err)
	f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Path: sim.PathOrders, OrderType: "transaction"})

	result, err := client.Order(context.Background(), japan5GB(t))

	require.NoError(t, err)
	require.NotEqual(t, earlier.ProviderOrderID, result.ProviderOrderID)
	require.Len(t, f.sim.Orders(), 2)
}

// Every transaction times out after being charged: the lookup still
// settles the order, and the call after that returns it.
func TestClient_Order_unknownOutcomeLookedUpOnNextCall(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t, esimgo.WithTimeouts(300*time.Millisecond, time.Second))
	req := japan5GB(t)
	f.sim.Fail(sim.Failure{Mode: sim.FailSlow, DelayMS: 3000, Path: sim.PathOrders, OrderType: "transaction"})
	f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Method: "GET", Path: sim.PathOrders, Count: 3})

	_, err := client.Order(context.Background(), req)
	failure := f.requireFailure(t, err, adapters.CauseServerError)
	require.Contains(t, err.Error(), "order outcome unknown")
	require.Contains(t, failure.Message, "after 3 attempts")
	require.Len(t, f.sim.Orders(), 1, "the slow transaction was charged")

	result, err := client.Order(context.Background(), req)

	require.NoError(t, err)
	require.Len(t, f.sim.Orders(), 1, "not bought again")
	require.Equal(t, f.sim.Orders()[0].OrderReference, result.ProviderOrderID)
}

func TestClient_Order_rateLimitedTransactionRetried(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailRateLimited, Path: sim.PathOrders, OrderType: "transaction", RetryAfter: 1})

	_, err := f.client(t).Order(context.Background(), japan5GB(t))

	require.NoError(t, err)
	require.Len(t, f.sim.Orders(), 1)
	require.Empty(t, f.requestsTo("GET", sim.PathOrders), "a 429 needs no lookup")
}

func TestClient_Order_priceRose(t *testing.T) {
	f := newFixture(t, sim.Options{})
	req := japan5GB(t)
	req.Wholesale = usd(t, "7.00")

	_, err := f.client(t).Order(context.Background(), req)

	failure := f.requireFailure(t, err, adapters.CauseServerError)
	require.Contains(t, failure.Message, "rose from 7.00 to 7.35")
	require.Empty(t, f.sim.Orders())
}

func TestClient_Order_otherCurrency(t *testing.T) {
	f := newFixture(t, sim.Options{Currency: "EUR"})

	_, err := f.client(t).Order(context.Background(), japan5GB(t))

	failure := f.requireFailure(t, err, adapters.CauseServerError)
	require.Contains(t, failure.Message, "priced in EUR, not USD")
	require.Empty(t, f.sim.Orders())
}

func TestClient_Order_unknownBundle(t *testing.T) {
	f := newFixture(t, sim.Options{})
	req := japan5GB(t)
	req.ProviderPackageID = "esim_5GB_30D_XX_V2"

	_, err := f.client(t).Order(context.Background(), req)

	failure := f.requireFailure(t, err, adapters.CauseRejected)
	require.Contains(t, failure.Message, `esim-go refused the order with HTTP 400 "Bundle esim_5GB_30D_XX_V2 not found in catalogue"`)
	require.Len(t, f.requestsTo("POST", sim.PathOrders), 1, "a 400 is not retried")
	require.Empty(t, f.sim.Orders())
}

func TestClient_Order_insufficientBalance(t *testing.T) {
	f := newFixture(t, sim.Options{Balance: "5"})

	_, err := f.client(t).Order(context.Background(), japan5GB(t))

	failure := f.requireFailure(t, err, adapters.CauseRejected)
	require.Contains(t, failure.Message, "Insufficient balance")
	require.Contains(t, failure.Message, "Top up the eSIM Go organisation balance")
	require.NotContains(t, err.Error(), "outcome unknown")
	require.Empty(t, f.requestsTo("GET", sim.PathOrders))
}

func TestClient_Order_rejectedKey(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailForbidden, Path: sim.PathOrders, OrderType: "transaction"})

	_, err := f.client(t).Order(context.Background(), japan5GB(t))

	f.requireFailure(t, err, adapters.CauseCredentials)
	require.Empty(t, f.sim.Orders())
}

func TestClient_Order_invalidRequest(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	cases := map[string]adapters.OrderRequest{
		"empty reference": {ProviderPackageID: "esim_5GB_30D_JP_V2", Quantity: 1},
		"no bundle":       {Reference: reference(), Quantity: 1},
		"zero quantity":   {Reference: reference(), ProviderPackageID: "esim_5GB_30D_JP_V2"},
	}

	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := client.Order(context.Background(), req)
			require.Error(t, err)
		})
	}
	require.Empty(t, f.sim.Requests())
}

func TestClient_QueryOrder_pendingThenIssued(t *testing.T) {
	f := newFixture(t, sim.Options{AsyncOrders: true, AssignmentPolls: 1})
	client := f.client(t)
	req := japan5GB(t)
	req.Quantity = 2

	placed, err := client.Order(context.Background(), req)
	require.NoError(t, err)
	first, err := client.QueryOrder(context.Background(), placed.ProviderOrderID)
	require.NoError(t, err)
	second, err := client.QueryOrder(context.Background(), placed.ProviderOrderID)
	require.NoError(t, err)

	require.True(t, placed.Pending)
	require.Empty(t, placed.ESIMs)
	require.NotEmpty(t, placed.ProviderOrderID)
	require.True(t, first.Pending)
	require.Empty(t, first.ESIMs)
	require.False(t, second.Pending)
	require.Len(t, second.ESIMs, 2)
	for _, esim := range second.ESIMs {
		requireFakeESIM(t, esim)
	}
	queries := f.requestsTo("GET", sim.PathAssignments)
	require.Len(t, queries, 2)
	require.Equal(t, "reference="+placed.ProviderOrderID, queries[0].Query)
}

func TestClient_QueryOrder_unknownOrder(t *testing.T) {
	f := newFixture(t, sim.Options{})

	_, err := f.client(t).QueryOrder(context.Background(), uuid.NewString())

	failure := f.requireFailure(t, err, adapters.CauseRejected)
	require.Contains(t, failure.Message, "not found")
	require.Contains(t, failure.Message, "Check the order in the eSIM Go portal")
}

// No failure mode puts the API key into an error, although GET
// /organisation echoes it in its body.
func TestClient_errorsNeverContainKey(t *testing.T) {
	modes := []string{sim.FailForbidden, sim.FailUnauthorized, sim.FailRateLimited, sim.FailServerError,
		sim.FailUnavailable, sim.FailMalformed, sim.FailHTML, sim.FailSlow}
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			f := newFixture(t, sim.Options{})
			f.sim.Fail(sim.Failure{Mode: mode, Count: 20, DelayMS: 2000})
			client := f.client(t, esimgo.WithTimeouts(100*time.Millisecond, 100*time.Millisecond))

			_, balanceErr := client.Balance(context.Background())
			listErr := client.ListPackages(context.Background(), func(adapters.Package) error { return nil })
			_, orderErr := client.Order(context.Background(), japan5GB(t))
			_, queryErr := client.QueryOrder(context.Background(), uuid.NewString())

			for _, err := range []error{balanceErr, listErr, orderErr, queryErr} {
				require.Error(t, err)
				require.NotContains(t, err.Error(), f.apiKey)
			}
		})
	}
}
