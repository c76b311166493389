package airalo_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/airalo"
	sim "esimscan/backend/internal/simulators/airalo"
	"esimscan/backend/money"
)

// issued orders one eSIM of packageID with client and returns its ICCID.
func issued(t *testing.T, client *airalo.Client, packageID string) string {
	t.Helper()
	placed, err := client.Order(context.Background(), adapters.OrderRequest{
		Reference: reference(), ProviderPackageID: packageID, Quantity: 1,
	})
	require.NoError(t, err)
	require.Len(t, placed.ESIMs, 1)
	return placed.ESIMs[0].ICCID
}

// topUpCalls names the top-up lookups and purchases the simulator received,
// in order. Calls that ordered the eSIM are left out.
func (f *fixture) topUpCalls() []string {
	var calls []string
	for _, request := range f.sim.Requests() {
		switch {
		case request.Path == sim.PathOrders && strings.Contains(request.Query, "top-up"):
			calls = append(calls, "lookup")
		case request.Path == sim.PathTopUpOrders:
			calls = append(calls, "buy")
		}
	}
	return calls
}

func TestClient_ListTopUps_operatorTopUps(t *testing.T) {
	f := newFixture(t, sim.Options{})
	iccid := issued(t, f.client(t), "hanami-mobile-30days-5gb")

	packages, err := f.client(t).ListTopUps(context.Background(), iccid)

	require.NoError(t, err)
	require.Len(t, packages, 1)
	topUp := packages[0]
	require.Equal(t, "hanami-mobile-7days-1gb-topup", topUp.ProviderPackageID)
	require.Equal(t, usd(t, "3.2"), topUp.Wholesale, "net_price, not price")
	require.Equal(t, int64(1024), topUp.DataMB)
	require.False(t, topUp.Unlimited)
	require.Equal(t, 7, topUp.ValidityDays)
	require.NotEmpty(t, topUp.Name)
}

func TestClient_ListTopUps_derivedTopUp(t *testing.T) {
	f := newFixture(t, sim.Options{})
	iccid := issued(t, f.client(t), "orbit-roam-30days-3gb")

	packages, err := f.client(t).ListTopUps(context.Background(), iccid)

	require.NoError(t, err)
	require.Len(t, packages, 1)
	require.Equal(t, "orbit-roam-30days-3gb-topup", packages[0].ProviderPackageID)
	require.Equal(t, int64(3072), packages[0].DataMB)
	require.Equal(t, 30, packages[0].ValidityDays)
}

func TestClient_ListTopUps_unknownESIM(t *testing.T) {
	f := newFixture(t, sim.Options{})

	_, err := f.client(t).ListTopUps(context.Background(), "8999000000000000000")

	failure := f.requireFailure(t, err, adapters.CauseRejected)
	require.Contains(t, failure.Message, "Airalo has no eSIM with ICCID 8999000000000000000")
}

func TestClient_ListTopUps_invalidICCID(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)

	for _, iccid := range []string{"", "../balance", "8999?x=1", strings.Repeat("8", 23)} {
		_, err := client.ListTopUps(context.Background(), iccid)
		require.Error(t, err, "ICCID %q", iccid)
	}
	require.Empty(t, f.sim.Requests(), "rejected before any call")
}

func TestClient_ListTopUps_refreshesRejectedToken(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	iccid := issued(t, client, "hanami-mobile-7days-1gb")
	require.Equal(t, 1, f.sim.RevokeTokens())

	packages, err := client.ListTopUps(context.Background(), iccid)

	require.NoError(t, err)
	require.Len(t, packages, 1)
	var statuses []int
	for _, request := range f.requestsTo(sim.SIMTopUpsPath(iccid)) {
		statuses = append(statuses, request.Status)
	}
	require.Equal(t, []int{http.StatusUnauthorized, http.StatusOK}, statuses)
	require.Len(t, f.requestsTo(sim.PathToken), 2, "the first token, then one after the 401")
	require.Len(t, f.recorder.BearerTokens(), 2)
}

func TestClient_ListTopUps_rateLimitedThenServed(t *testing.T) {
	f := newFixture(t, sim.Options{})
	iccid := issued(t, f.client(t), "hanami-mobile-7days-1gb")
	f.sim.Fail(sim.Failure{Mode: sim.FailRateLimited, RetryAfter: 1, Path: sim.SIMTopUpsPath(iccid)})
	started := time.Now()

	packages, err := f.client(t).ListTopUps(context.Background(), iccid)

	require.NoError(t, err)
	require.Len(t, packages, 1)
	require.GreaterOrEqual(t, time.Since(started), time.Second, "waited for Retry-After")
	requests := f.requestsTo(sim.SIMTopUpsPath(iccid))
	require.Len(t, requests, 2)
	require.Equal(t, http.StatusTooManyRequests, requests[0].Status)
}

func TestClient_ListTopUps_rateLimitedEveryTime(t *testing.T) {
	f := newFixture(t, sim.Options{})
	iccid := issued(t, f.client(t), "hanami-mobile-7days-1gb")
	f.sim.Fail(sim.Failure{Mode: sim.FailRateLimited, Count: 5, Path: sim.SIMTopUpsPath(iccid)})

	_, err := f.client(t).ListTopUps(context.Background(), iccid)

	f.requireFailure(t, err, adapters.CauseRateLimited)
	require.Len(t, f.requestsTo(sim.SIMTopUpsPath(iccid)), 3)
}

func TestClient_TopUp_buysOnce(t *testing.T) {
	f := newFixture(t, sim.Options{})
	iccid := issued(t, f.client(t), "hanami-mobile-7days-1gb")
	client := f.client(t)
	before := f.sim.Balance()
	req := adapters.TopUpRequest{Reference: reference(), ICCID: iccid, ProviderPackageID: "hanami-mobile-7days-1gb-topup"}

	first, err := client.TopUp(context.Background(), req)
	require.NoError(t, err)
	second, err := client.TopUp(context.Background(), req)
	require.NoError(t, err)

	require.Equal(t, iccid, first.ICCID)
	require.NotEmpty(t, first.ProviderReference)
	require.Equal(t, first, second, "the repeat returns the first top-up")
	topUps := f.sim.TopUps()
	require.Len(t, topUps, 1)
	require.Equal(t, "esimscan top-up "+req.Reference, topUps[0].Description)
	require.Equal(t, iccid, topUps[0].ICCID)
	require.Equal(t, req.ProviderPackageID, topUps[0].PackageID)
	require.Equal(t, before-money.Amount(3_200_000), f.sim.Balance(), "charged 3.20 once")
	require.Equal(t, []string{"lookup", "buy", "lookup"}, f.topUpCalls())
}

func TestClient_TopUp_serverErrorAfterPurchaseFindsIt(t *testing.T) {
	f := newFixture(t, sim.Options{})
	iccid := issued(t, f.client(t), "hanami-mobile-7days-1gb")
	f.sim.Fail(sim.Failure{Mode: sim.FailServerErrorAfter, Path: sim.PathTopUpOrders})
	before := f.sim.Balance()

	result, err := f.client(t).TopUp(context.Background(), adapters.TopUpRequest{
		Reference: reference(), ICCID: iccid, ProviderPackageID: "hanami-mobile-7days-1gb-topup",
	})

	require.NoError(t, err, "the lookup after the 500 finds the top-up")
	topUps := f.sim.TopUps()
	require.Len(t, topUps, 1)
	require.Equal(t, before-money.Amount(3_200_000), f.sim.Balance(), "charged once")
	require.NotEmpty(t, result.ProviderReference)
	require.Equal(t, strconv.FormatInt(topUps[0].ID, 10), result.ProviderReference)
	require.Equal(t, []string{"lookup", "buy", "lookup"}, f.topUpCalls())
}

func TestClient_TopUp_serverErrorIsNotRepeated(t *testing.T) {
	f := newFixture(t, sim.Options{})
	iccid := issued(t, f.client(t), "hanami-mobile-7days-1gb")
	f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Path: sim.PathTopUpOrders})
	client := f.client(t)
	req := adapters.TopUpRequest{Reference: reference(), ICCID: iccid, ProviderPackageID: "hanami-mobile-7days-1gb-topup"}

	_, err := client.TopUp(context.Background(), req)

	failure := f.requireFailure(t, err, adapters.CauseServerError)
	require.Contains(t, failure.Message, "HTTP 500")
	require.ErrorContains(t, err, "no top-up with this reference was found yet")
	require.Empty(t, f.sim.TopUps())
	require.Equal(t, []string{"lookup", "buy", "lookup"}, f.topUpCalls(), "one POST, no retry")

	_, err = client.TopUp(context.Background(), req)

	require.NoError(t, err, "the caller's retry looks up, then buys")
	require.Len(t, f.sim.TopUps(), 1)
}

func TestClient_TopUp_timeoutDoesNotBuyTwice(t *testing.T) {
	f := newFixture(t, sim.Options{})
	iccid := issued(t, f.client(t), "hanami-mobile-7days-1gb")
	// Airalo buys the top-up but responds after the client gave up.
	f.sim.Fail(sim.Failure{Mode: sim.FailSlow, DelayMS: 5000, Path: sim.PathTopUpOrders})
	client := f.client(t, airalo.WithTimeouts(300*time.Millisecond, time.Second))
	req := adapters.TopUpRequest{Reference: reference(), ICCID: iccid, ProviderPackageID: "hanami-mobile-7days-1gb-topup"}

	first, err := client.TopUp(context.Background(), req)

	require.NoError(t, err, "the lookup after the timeout finds the top-up")
	require.Len(t, f.sim.TopUps(), 1)

	again, err := client.TopUp(context.Background(), req)

	require.NoError(t, err)
	require.Equal(t, first, again)
	require.Len(t, f.sim.TopUps(), 1)
}

func TestClient_TopUp_refreshesRejectedToken(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	iccid := issued(t, client, "hanami-mobile-7days-1gb")
	f.sim.Fail(sim.Failure{Mode: sim.FailUnauthorized, Path: sim.PathTopUpOrders})

	_, err := client.TopUp(context.Background(), adapters.TopUpRequest{
		Reference: reference(), ICCID: iccid, ProviderPackageID: "hanami-mobile-7days-1gb-topup",
	})

	require.NoError(t, err)
	require.Len(t, f.sim.TopUps(), 1)
	require.Equal(t, []string{"lookup", "buy", "buy"}, f.topUpCalls(), "a 401 acts on nothing, so the POST is repeated")
	require.Len(t, f.recorder.BearerTokens(), 2)
}

func TestClient_TopUp_rateLimitedThenBought(t *testing.T) {
	f := newFixture(t, sim.Options{})
	iccid := issued(t, f.client(t), "hanami-mobile-7days-1gb")
	f.sim.Fail(sim.Failure{Mode: sim.FailRateLimited, Path: sim.PathTopUpOrders})

	_, err := f.client(t).TopUp(context.Background(), adapters.TopUpRequest{
		Reference: reference(), ICCID: iccid, ProviderPackageID: "hanami-mobile-7days-1gb-topup",
	})

	require.NoError(t, err)
	require.Len(t, f.sim.TopUps(), 1)
	require.Equal(t, []string{"lookup", "buy", "buy"}, f.topUpCalls(), "a 429 acts on nothing, so the POST is repeated")
}

func TestClient_TopUp_providerRejects(t *testing.T) {
	cases := []struct {
		name    string
		iccid   string // empty means an issued eSIM
		pkg     string
		cause   adapters.Cause
		message string
	}{
		{"unknown ICCID", "8999000000000000000", "hanami-mobile-7days-1gb-topup", adapters.CauseRejected,
			"Airalo has no eSIM with ICCID 8999000000000000000"},
		{"package of another eSIM", "", "orbit-roam-30days-3gb-topup", adapters.CauseRejected,
			"package_id: invalid topup package"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, sim.Options{})
			iccid := tc.iccid
			if iccid == "" {
				iccid = issued(t, f.client(t), "hanami-mobile-7days-1gb")
			}
			before := f.sim.Balance()

			_, err := f.client(t).TopUp(context.Background(), adapters.TopUpRequest{
				Reference: reference(), ICCID: iccid, ProviderPackageID: tc.pkg,
			})

			failure := f.requireFailure(t, err, tc.cause)
			require.Contains(t, failure.Message, tc.message)
			require.Empty(t, f.sim.TopUps())
			require.Equal(t, before, f.sim.Balance())
			require.Equal(t, []string{"lookup", "buy"}, f.topUpCalls(), "no retry")
		})
	}
}

func TestClient_TopUp_insufficientCredit(t *testing.T) {
	f := newFixture(t, sim.Options{})
	iccid := issued(t, f.client(t), "hanami-mobile-7days-1gb")
	f.sim.SetBalance(usd(t, "1").Amount)

	_, err := f.client(t).TopUp(context.Background(), adapters.TopUpRequest{
		Reference: reference(), ICCID: iccid, ProviderPackageID: "hanami-mobile-7days-1gb-topup",
	})

	failure := f.requireFailure(t, err, adapters.CauseRejected)
	require.Contains(t, failure.Message, `airalo refused the top-up with code 11 "Insufficient Airalo Credit`)
	require.Empty(t, f.sim.TopUps())
}

func TestClient_TopUp_invalidRequest(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	valid := adapters.TopUpRequest{Reference: reference(), ICCID: "8999000000000000001", ProviderPackageID: "p-topup"}
	cases := map[string]func(req *adapters.TopUpRequest){
		"empty reference":   func(req *adapters.TopUpRequest) { req.Reference = " " },
		"long reference":    func(req *adapters.TopUpRequest) { req.Reference = strings.Repeat("r", 101) },
		"newline reference": func(req *adapters.TopUpRequest) { req.Reference = "a\nb" },
		"no package":        func(req *adapters.TopUpRequest) { req.ProviderPackageID = "" },
		"no ICCID":          func(req *adapters.TopUpRequest) { req.ICCID = "" },
		"ICCID with a path": func(req *adapters.TopUpRequest) { req.ICCID = "89/../balance" },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			req := valid
			change(&req)

			_, err := client.TopUp(context.Background(), req)

			require.Error(t, err)
		})
	}
	require.Empty(t, f.sim.Requests(), "rejected before any call")
}
