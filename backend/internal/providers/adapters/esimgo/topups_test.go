package esimgo_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/esimgo"
	sim "esimscan/backend/internal/simulators/esimgo"
)

// issued orders one eSIM of bundle with client and returns its ICCID.
func issued(t *testing.T, client *esimgo.Client, bundle string) string {
	t.Helper()
	placed, err := client.Order(context.Background(), adapters.OrderRequest{
		Reference: uuid.NewString(), ProviderPackageID: bundle, Quantity: 1,
	})
	require.NoError(t, err)
	require.Len(t, placed.ESIMs, 1)
	return placed.ESIMs[0].ICCID
}

// orderPosts counts the POST /orders calls the simulator received,
// validations and transactions alike.
func (f *fixture) orderPosts() int {
	return len(f.requestsTo(http.MethodPost, sim.PathOrders))
}

func topUpRequest(iccid, bundle string) adapters.TopUpRequest {
	return adapters.TopUpRequest{Reference: uuid.NewString(), ICCID: iccid, ProviderPackageID: bundle}
}

func packageIDs(packages []adapters.Package) []string {
	ids := make([]string, 0, len(packages))
	for _, pkg := range packages {
		ids = append(ids, pkg.ProviderPackageID)
	}
	return ids
}

func TestClient_ListTopUps_sameCountries(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	iccid := issued(t, client, "esim_5GB_30D_JP_V2")

	packages, err := client.ListTopUps(context.Background(), iccid)

	require.NoError(t, err)
	require.ElementsMatch(t, []string{"esim_1GB_7D_JP_V2", "esim_5GB_30D_JP_V2", "esim_UL_7D_JP_V2"}, packageIDs(packages))
	for _, pkg := range packages {
		require.Equal(t, []string{"JP"}, pkg.Countries)
		require.Equal(t, "USD", pkg.Wholesale.Currency)
		if pkg.ProviderPackageID == "esim_1GB_7D_JP_V2" {
			require.Equal(t, int64(1000), pkg.DataMB, "eSIM Go counts 1000 MB per GB")
			require.Equal(t, 7, pkg.ValidityDays)
			require.False(t, pkg.Unlimited)
		}
	}
	require.Len(t, f.requestsTo(http.MethodGet, sim.CompatiblePath(iccid, "esim_1GB_7D_JP_V2")), 1)
}

func TestClient_ListTopUps_regionalBundle(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	iccid := issued(t, client, "esim_10GB_30D_REUP_V2")

	packages, err := client.ListTopUps(context.Background(), iccid)

	require.NoError(t, err)
	require.ElementsMatch(t, []string{"esim_10GB_30D_REUP_V2", "esim_2GB_15D_REUP_V2"}, packageIDs(packages))
}

func TestClient_ListTopUps_leavesOutIncompatible(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	iccid := issued(t, client, "esim_5GB_30D_JP_V2")
	f.sim.MarkIncompatible("esim_1GB_7D_JP_V2")

	packages, err := client.ListTopUps(context.Background(), iccid)

	require.NoError(t, err)
	require.ElementsMatch(t, []string{"esim_5GB_30D_JP_V2", "esim_UL_7D_JP_V2"}, packageIDs(packages))
}

func TestClient_ListTopUps_unknownESIM(t *testing.T) {
	f := newFixture(t, sim.Options{})

	_, err := f.client(t).ListTopUps(context.Background(), "8999000000000000000")

	failure := f.requireFailure(t, err, adapters.CauseRejected)
	require.Contains(t, failure.Message, "HTTP 400")
	require.Contains(t, failure.Message, "8999000000000000000 not found")
}

func TestClient_ListTopUps_invalidICCID(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)

	for _, iccid := range []string{"", "../organisation", "8999?x=1", strings.Repeat("8", 23)} {
		_, err := client.ListTopUps(context.Background(), iccid)
		require.Error(t, err, "ICCID %q", iccid)
	}
	require.Empty(t, f.sim.Requests(), "rejected before any call")
}

func TestClient_ListTopUps_rejectedKey(t *testing.T) {
	f := newFixture(t, sim.Options{})
	iccid := issued(t, f.client(t), "esim_5GB_30D_JP_V2")
	f.sim.Fail(sim.Failure{Mode: sim.FailForbidden, Path: sim.ESIMBundlesPath(iccid)})

	_, err := f.client(t).ListTopUps(context.Background(), iccid)

	f.requireFailure(t, err, adapters.CauseCredentials)
	require.Len(t, f.requestsTo(http.MethodGet, sim.ESIMBundlesPath(iccid)), 1, "a rejected key is not retried")
}

func TestClient_ListTopUps_rateLimitedThenServed(t *testing.T) {
	f := newFixture(t, sim.Options{})
	iccid := issued(t, f.client(t), "esim_5GB_30D_JP_V2")
	compatiblePath := sim.CompatiblePath(iccid, "esim_UL_7D_JP_V2")
	f.sim.Fail(sim.Failure{Mode: sim.FailRateLimited, RetryAfter: 1, Path: compatiblePath})
	started := time.Now()

	packages, err := f.client(t).ListTopUps(context.Background(), iccid)

	require.NoError(t, err)
	require.Len(t, packages, 3)
	require.GreaterOrEqual(t, time.Since(started), time.Second, "waited for Retry-After")
	requests := f.requestsTo(http.MethodGet, compatiblePath)
	require.Len(t, requests, 2)
	require.Equal(t, http.StatusTooManyRequests, requests[0].Status)
}

func TestClient_TopUp_buysOnce(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	iccid := issued(t, client, "esim_5GB_30D_JP_V2")
	before := f.sim.Balance()
	req := topUpRequest(iccid, "esim_1GB_7D_JP_V2")

	first, err := client.TopUp(context.Background(), req)
	require.NoError(t, err)
	second, err := client.TopUp(context.Background(), req)
	require.NoError(t, err)

	require.Equal(t, first, second)
	require.Equal(t, iccid, first.ICCID)
	topUps := f.sim.TopUps()
	require.Len(t, topUps, 1)
	require.Equal(t, topUps[0].OrderReference, first.ProviderReference)
	require.Equal(t, iccid, topUps[0].ICCID)
	require.Equal(t, "esim_1GB_7D_JP_V2", topUps[0].Bundle)
	require.Equal(t, before-amount(t, topUps[0].Price), f.sim.Balance())
}

func TestClient_TopUp_sendsICCIDWithoutReassign(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	iccid := issued(t, client, "esim_5GB_30D_JP_V2")

	_, err := client.TopUp(context.Background(), topUpRequest(iccid, "esim_1GB_7D_JP_V2"))

	require.NoError(t, err)
	orders := f.sim.Orders()
	require.Len(t, orders, 2)
	line := orders[1].Lines[0]
	require.Equal(t, []string{iccid}, line.ICCIDs)
	require.Equal(t, 1, line.Quantity)
	require.Len(t, orders[1].ESIMs, 1, "no new eSIM")
	require.Equal(t, iccid, orders[1].ESIMs[0].ICCID)
}

func TestClient_TopUp_unknownESIM(t *testing.T) {
	f := newFixture(t, sim.Options{})

	_, err := f.client(t).TopUp(context.Background(), topUpRequest("8999000000000000000", "esim_1GB_7D_JP_V2"))

	failure := f.requireFailure(t, err, adapters.CauseRejected)
	require.Contains(t, failure.Message, "8999000000000000000 not found")
	require.Empty(t, f.sim.Orders(), "validation failed, nothing charged")
}

func TestClient_TopUp_incompatibleBundleChargesNothing(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	iccid := issued(t, client, "esim_5GB_30D_JP_V2")

	_, err := client.TopUp(context.Background(), topUpRequest(iccid, "esim_3GB_30D_US_V2"))

	failure := f.requireFailure(t, err, adapters.CauseRejected)
	require.Contains(t, failure.Message, "not compatible")
	require.Empty(t, f.sim.TopUps())
}

func TestClient_TopUp_rateLimitedTransactionRetried(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	iccid := issued(t, client, "esim_5GB_30D_JP_V2")
	f.sim.Fail(sim.Failure{Mode: sim.FailRateLimited, RetryAfter: 1, Method: http.MethodPost,
		Path: sim.PathOrders, OrderType: "transaction"})

	result, err := client.TopUp(context.Background(), topUpRequest(iccid, "esim_1GB_7D_JP_V2"))

	require.NoError(t, err)
	require.Len(t, f.sim.TopUps(), 1)
	require.Equal(t, f.sim.TopUps()[0].OrderReference, result.ProviderReference)
	require.Empty(t, f.requestsTo(http.MethodGet, sim.PathOrders), "a 429 needs no lookup")
}

func TestClient_TopUp_chargedThen500FoundByLookup(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	iccid := issued(t, client, "esim_5GB_30D_JP_V2")
	f.sim.Fail(sim.Failure{Mode: sim.FailServerAfter, Method: http.MethodPost,
		Path: sim.PathOrders, OrderType: "transaction"})
	posts := f.orderPosts()

	result, err := client.TopUp(context.Background(), topUpRequest(iccid, "esim_1GB_7D_JP_V2"))

	require.NoError(t, err)
	topUps := f.sim.TopUps()
	require.Len(t, topUps, 1, "charged once")
	require.Equal(t, topUps[0].OrderReference, result.ProviderReference)
	require.Equal(t, iccid, result.ICCID)
	require.Equal(t, posts+2, f.orderPosts(), "one validation and one transaction")
	require.Len(t, f.requestsTo(http.MethodGet, sim.PathOrders), 1)
}

func TestClient_TopUp_unknownOutcomeNotRetried(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	iccid := issued(t, client, "esim_5GB_30D_JP_V2")
	f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Method: http.MethodPost,
		Path: sim.PathOrders, OrderType: "transaction"})
	req := topUpRequest(iccid, "esim_1GB_7D_JP_V2")
	posts := f.orderPosts()

	_, err := client.TopUp(context.Background(), req)

	f.requireFailure(t, err, adapters.CauseServerError)
	require.Contains(t, err.Error(), "outcome unknown")
	require.Equal(t, posts+2, f.orderPosts(), "the transaction was sent once")
	require.Empty(t, f.sim.TopUps())

	// The next call with the reference looks up first, finds nothing and
	// buys.
	result, err := client.TopUp(context.Background(), req)

	require.NoError(t, err)
	require.Len(t, f.sim.TopUps(), 1)
	require.Equal(t, f.sim.TopUps()[0].OrderReference, result.ProviderReference)
	require.Len(t, f.requestsTo(http.MethodGet, sim.PathOrders), 2, "one lookup per call")
}

func TestClient_TopUp_lookupIgnoresOtherReferences(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	iccid := issued(t, client, "esim_5GB_30D_JP_V2")
	earlier, err := client.TopUp(context.Background(), topUpRequest(iccid, "esim_1GB_7D_JP_V2"))
	require.NoError(t, err)
	f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Method: http.MethodPost,
		Path: sim.PathOrders, OrderType: "transaction"})
	req := topUpRequest(iccid, "esim_1GB_7D_JP_V2")

	_, err = client.TopUp(context.Background(), req)
	require.Error(t, err, "the earlier top-up of the same bundle is not taken as this one")
	result, err := client.TopUp(context.Background(), req)

	require.NoError(t, err)
	require.NotEqual(t, earlier.ProviderReference, result.ProviderReference)
	require.Len(t, f.sim.TopUps(), 2)
}

func TestClient_TopUp_invalidRequests(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)

	for _, req := range []adapters.TopUpRequest{
		{Reference: "", ICCID: "8999000000000000001", ProviderPackageID: "esim_1GB_7D_JP_V2"},
		{Reference: "r", ICCID: "", ProviderPackageID: "esim_1GB_7D_JP_V2"},
		{Reference: "r", ICCID: "8999/../x", ProviderPackageID: "esim_1GB_7D_JP_V2"},
		{Reference: "r", ICCID: "8999000000000000001", ProviderPackageID: ""},
	} {
		_, err := client.TopUp(context.Background(), req)
		require.Error(t, err, "request %+v", req)
	}
	require.Empty(t, f.sim.Requests())
}
