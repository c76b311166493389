package airalo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/airalo"
	sim "esimscan/backend/internal/simulators/airalo"
	"esimscan/backend/money"
)

func reference() string {
	return "esc-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:24]
}

func TestClient_Order_issuesESIMs(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	req := adapters.OrderRequest{
		Reference: reference(), ProviderPackageID: "hanami-mobile-7days-1gb", Quantity: 2, Wholesale: usd(t, "3.2"),
	}

	placed, err := client.Order(context.Background(), req)

	require.NoError(t, err)
	require.False(t, placed.Pending, "Airalo orders are synchronous")
	require.NotEmpty(t, placed.ProviderOrderID)
	require.Len(t, placed.ESIMs, 2)
	for _, esim := range placed.ESIMs {
		require.Regexp(t, `^8999[0-9]{15}$`, esim.ICCID)
		require.Equal(t, "lpa.esimscan.invalid", esim.SMDPAddress)
		require.NotEmpty(t, esim.ActivationCode)
		require.Equal(t, "LPA:1$lpa.esimscan.invalid$"+esim.ActivationCode, esim.LPA)
	}
	orders := f.sim.Orders()
	require.Len(t, orders, 1)
	require.Equal(t, "esimscan order "+req.Reference, orders[0].Description)
	require.Equal(t, 2, orders[0].Quantity)
	wantBalance, err := money.ParseAmount("2473.60")
	require.NoError(t, err)
	require.Equal(t, wantBalance, f.sim.Balance(), "charged 2 × 3.20")

	queried, err := client.QueryOrder(context.Background(), placed.ProviderOrderID)

	require.NoError(t, err)
	require.Equal(t, placed, queried)
}

func TestClient_Order_sameReferenceBuysOnce(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	req := adapters.OrderRequest{Reference: reference(), ProviderPackageID: "orbit-roam-30days-3gb", Quantity: 1}

	first, err := client.Order(context.Background(), req)
	require.NoError(t, err)
	second, err := client.Order(context.Background(), req)
	require.NoError(t, err)

	require.Equal(t, first, second)
	require.Len(t, f.sim.Orders(), 1)
}

func TestClient_Order_referenceIsMatchedExactly(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	long := reference()
	_, err := client.Order(context.Background(), adapters.OrderRequest{
		Reference: long + "-2", ProviderPackageID: "hanami-mobile-7days-1gb", Quantity: 1,
	})
	require.NoError(t, err)

	// The simulator's description filter matches part of a description,
	// so the lookup finds the order above and must not take it.
	_, err = client.Order(context.Background(), adapters.OrderRequest{
		Reference: long, ProviderPackageID: "hanami-mobile-7days-1gb", Quantity: 1,
	})

	require.NoError(t, err)
	require.Len(t, f.sim.Orders(), 2)
}

func TestClient_Order_timeoutDoesNotBuyTwice(t *testing.T) {
	f := newFixture(t, sim.Options{})
	// The provider places the order but responds after the client gave up.
	f.sim.Fail(sim.Failure{Mode: sim.FailSlow, DelayMS: 5000, Path: sim.PathOrders, Method: "POST"})
	client := f.client(t, airalo.WithTimeouts(300*time.Millisecond, time.Second))
	req := adapters.OrderRequest{Reference: reference(), ProviderPackageID: "hanami-mobile-7days-1gb", Quantity: 1}

	placed, err := client.Order(context.Background(), req)

	require.NoError(t, err, "the lookup after the timeout finds the order")
	require.Len(t, placed.ESIMs, 1)
	orders := f.sim.Orders()
	require.Len(t, orders, 1)
	require.Equal(t, placed.ESIMs[0].ICCID, orders[0].SIMs[0].ICCID)

	again, err := client.Order(context.Background(), req)

	require.NoError(t, err)
	require.Equal(t, placed, again)
	require.Len(t, f.sim.Orders(), 1)
}

func TestClient_Order_serverErrorRetriedAfterLookup(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Path: sim.PathOrders, Method: "POST"})
	client := f.client(t)

	placed, err := client.Order(context.Background(), adapters.OrderRequest{
		Reference: reference(), ProviderPackageID: "hanami-mobile-7days-1gb", Quantity: 1,
	})

	require.NoError(t, err)
	require.Len(t, placed.ESIMs, 1)
	require.Len(t, f.sim.Orders(), 1)
	var methods []string
	for _, request := range f.requestsTo(sim.PathOrders) {
		methods = append(methods, request.Method)
	}
	require.Equal(t, []string{"GET", "POST", "GET", "POST"}, methods, "look up, fail, look up, buy")
}

func TestClient_Order_serverErrorEveryTime(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Path: sim.PathOrders, Method: "POST", Count: 100})

	_, err := f.client(t).Order(context.Background(), adapters.OrderRequest{
		Reference: reference(), ProviderPackageID: "hanami-mobile-7days-1gb", Quantity: 1,
	})

	failure := f.requireFailure(t, err, adapters.CauseServerError)
	require.Contains(t, failure.Message, "HTTP 500")
	require.ErrorContains(t, err, "no order with this reference was found yet")
	posts := 0
	for _, request := range f.requestsTo(sim.PathOrders) {
		if request.Method == "POST" {
			posts++
		}
	}
	require.Equal(t, 3, posts, "each POST after a lookup, three in all")
	require.Empty(t, f.sim.Orders())
}

func TestClient_Order_providerRejects(t *testing.T) {
	cases := []struct {
		name    string
		req     adapters.OrderRequest
		balance string
		message string
	}{
		{"unknown package", adapters.OrderRequest{ProviderPackageID: "no-such-package", Quantity: 1}, "",
			"package_id: The selected package is invalid."},
		{"top-up as eSIM", adapters.OrderRequest{ProviderPackageID: "hanami-mobile-7days-1gb-topup", Quantity: 1}, "",
			"package_id: The selected package is invalid."},
		{"insufficient credit", adapters.OrderRequest{ProviderPackageID: "orbit-roam-30days-3gb", Quantity: 1}, "10",
			`code 11 "Insufficient Airalo Credit`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, sim.Options{})
			if tc.balance != "" {
				f.sim.SetBalance(usd(t, tc.balance).Amount)
			}
			tc.req.Reference = reference()

			_, err := f.client(t).Order(context.Background(), tc.req)

			failure := f.requireFailure(t, err, adapters.CauseRejected)
			require.Contains(t, failure.Message, "airalo refused the order")
			require.Contains(t, failure.Message, "HTTP 422")
			require.Contains(t, failure.Message, tc.message)
			require.Empty(t, f.sim.Orders())
			require.Len(t, f.requestsTo(sim.PathOrders), 2, "one lookup, one purchase, no retry")
		})
	}
}

func TestClient_Order_invalidRequest(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	cases := map[string]adapters.OrderRequest{
		"empty reference":   {ProviderPackageID: "hanami-mobile-7days-1gb", Quantity: 1},
		"long reference":    {Reference: strings.Repeat("r", 101), ProviderPackageID: "hanami-mobile-7days-1gb", Quantity: 1},
		"newline reference": {Reference: "a\nb", ProviderPackageID: "hanami-mobile-7days-1gb", Quantity: 1},
		"no package":        {Reference: reference(), Quantity: 1},
		"zero quantity":     {Reference: reference(), ProviderPackageID: "hanami-mobile-7days-1gb"},
		"51 eSIMs":          {Reference: reference(), ProviderPackageID: "hanami-mobile-7days-1gb", Quantity: 51},
	}

	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := client.Order(context.Background(), req)
			require.Error(t, err)
		})
	}
	require.Empty(t, f.sim.Orders())
	require.Empty(t, f.sim.Requests(), "rejected before any call")
}

func TestClient_Order_lookupFailureBuysNothing(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailMalformed, Path: sim.PathOrders})

	_, err := f.client(t).Order(context.Background(), adapters.OrderRequest{
		Reference: reference(), ProviderPackageID: "hanami-mobile-7days-1gb", Quantity: 1,
	})

	failure := f.requireFailure(t, err, adapters.CauseBadResponse)
	require.Contains(t, failure.Message, "order list")
	require.Empty(t, f.sim.Orders())
}

func TestClient_QueryOrder_unknownOrder(t *testing.T) {
	f := newFixture(t, sim.Options{})

	_, err := f.client(t).QueryOrder(context.Background(), "123")

	failure := f.requireFailure(t, err, adapters.CauseRejected)
	require.Contains(t, failure.Message, "Airalo has no order 123")
}

func TestClient_QueryOrder_invalidID(t *testing.T) {
	f := newFixture(t, sim.Options{})

	_, err := f.client(t).QueryOrder(context.Background(), "../balance")

	require.ErrorContains(t, err, "is not a number")
	require.Empty(t, f.sim.Requests())
}
