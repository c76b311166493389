package esimgo_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	sim "esimscan/backend/internal/simulators/esimgo"
	"esimscan/backend/money"
)

// issue buys one eSIM of bundle and returns its ICCID.
func (f simFixture) issue(t *testing.T, bundle string) string {
	t.Helper()
	got := f.call(t, http.MethodPost, "/orders", fmt.Sprintf(
		`{"type":"transaction","assign":true,"order":[{"type":"bundle","quantity":1,"item":%q}]}`, bundle))
	require.Equal(t, http.StatusOK, got.Status, string(got.Body))
	var view orderView
	got.decode(t, &view)
	require.Len(t, view.Order[0].ESIMs, 1)
	return view.Order[0].ESIMs[0].ICCID
}

func topUpBody(kind, bundle string, quantity int, iccids ...string) string {
	return fmt.Sprintf(`{"type":%q,"assign":true,"order":[{"type":"bundle","quantity":%d,"item":%q,"iccids":["%s"],"allowReassign":false}]}`,
		kind, quantity, bundle, strings.Join(iccids, `","`))
}

func TestServer_topUpAppliesBundleToIssuedESIM(t *testing.T) {
	f := start(t, sim.Options{})
	iccid := f.issue(t, "esim_5GB_30D_JP_V2")
	before := f.Balance()

	got := f.call(t, http.MethodPost, "/orders", topUpBody("transaction", "esim_1GB_7D_JP_V2", 1, iccid))

	require.Equal(t, http.StatusOK, got.Status, string(got.Body))
	var view orderView
	got.decode(t, &view)
	require.Equal(t, "Completed", view.Status)
	require.Equal(t, []string{iccid}, view.Order[0].ICCIDs)
	require.Len(t, view.Order[0].ESIMs, 1)
	require.Equal(t, iccid, view.Order[0].ESIMs[0].ICCID, "no new eSIM")
	topUps := f.TopUps()
	require.Len(t, topUps, 1)
	require.Equal(t, view.OrderReference, topUps[0].OrderReference)
	require.Equal(t, before-amountOf(t, topUps[0].Price), f.Balance())
}

func TestServer_topUpRejections(t *testing.T) {
	f := start(t, sim.Options{})
	iccid := f.issue(t, "esim_5GB_30D_JP_V2")
	f.MarkIncompatible("esim_UL_7D_JP_V2")
	cases := []struct {
		name, body, message string
	}{
		{"unknown eSIM", topUpBody("transaction", "esim_1GB_7D_JP_V2", 1, "8999000000000000000"), "not found"},
		{"quantity", topUpBody("transaction", "esim_1GB_7D_JP_V2", 2, iccid), "quantity must match"},
		{"other countries", topUpBody("transaction", "esim_3GB_30D_US_V2", 1, iccid), "not compatible"},
		{"marked incompatible", topUpBody("validate", "esim_UL_7D_JP_V2", 1, iccid), "not compatible"},
	}
	for _, tc := range cases {
		got := f.call(t, http.MethodPost, "/orders", tc.body)
		require.Equal(t, http.StatusBadRequest, got.Status, tc.name)
		require.Contains(t, got.message(t), tc.message, tc.name)
	}
	require.Empty(t, f.TopUps())
}

func TestServer_esimBundlesListsAssignments(t *testing.T) {
	f := start(t, sim.Options{})
	iccid := f.issue(t, "esim_5GB_30D_JP_V2")
	got := f.call(t, http.MethodPost, "/orders", topUpBody("transaction", "esim_1GB_7D_JP_V2", 1, iccid))
	require.Equal(t, http.StatusOK, got.Status)

	listed := f.call(t, http.MethodGet, "/esims/"+iccid+"/bundles?includeUsed=true&limit=200", "")

	require.Equal(t, http.StatusOK, listed.Status, string(listed.Body))
	var body struct {
		Bundles []struct {
			Name        string `json:"name"`
			Assignments []struct {
				InitialQuantity     int64  `json:"initialQuantity"`
				AssignmentReference string `json:"assignmentReference"`
				BundleState         string `json:"bundleState"`
			} `json:"assignments"`
		} `json:"bundles"`
	}
	listed.decode(t, &body)
	require.Len(t, body.Bundles, 2)
	require.Equal(t, "esim_1GB_7D_JP_V2", body.Bundles[0].Name, "newest first")
	require.Equal(t, int64(1_000_000_000), body.Bundles[0].Assignments[0].InitialQuantity, "bytes")
	require.Equal(t, "esim_5GB_30D_JP_V2", body.Bundles[1].Name)

	unknown := f.call(t, http.MethodGet, "/esims/8999000000000000000/bundles", "")
	require.Equal(t, http.StatusBadRequest, unknown.Status)
}

func TestServer_compatibleCheck(t *testing.T) {
	f := start(t, sim.Options{})
	iccid := f.issue(t, "esim_5GB_30D_JP_V2")

	for bundle, want := range map[string]string{
		"esim_1GB_7D_JP_V2":  `{"compatible":true}`,
		"esim_3GB_30D_US_V2": `{"compatible":false}`,
	} {
		got := f.call(t, http.MethodGet, "/esims/"+iccid+"/compatible/"+bundle, "")
		require.Equal(t, http.StatusOK, got.Status)
		require.JSONEq(t, want, string(got.Body), bundle)
	}
	require.Equal(t, http.StatusBadRequest, f.call(t, http.MethodGet, "/esims/"+iccid+"/compatible/nope", "").Status)
}

func TestServer_failuresReachTopUpRoutes(t *testing.T) {
	f := start(t, sim.Options{})
	iccid := f.issue(t, "esim_5GB_30D_JP_V2")
	f.Fail(sim.Failure{Mode: sim.FailRateLimited, RetryAfter: 1, Path: sim.ESIMBundlesPath(iccid)})
	f.Fail(sim.Failure{Mode: sim.FailServerError, Path: sim.CompatiblePath(iccid, "esim_1GB_7D_JP_V2")})

	limited := f.call(t, http.MethodGet, "/esims/"+iccid+"/bundles", "")
	failed := f.call(t, http.MethodGet, "/esims/"+iccid+"/compatible/esim_1GB_7D_JP_V2", "")

	require.Equal(t, http.StatusTooManyRequests, limited.Status)
	require.Equal(t, "1", limited.Header.Get("Retry-After"))
	require.Equal(t, http.StatusInternalServerError, failed.Status)
}

func TestServer_serverErrorAfterChargesTheOrder(t *testing.T) {
	f := start(t, sim.Options{})
	iccid := f.issue(t, "esim_5GB_30D_JP_V2")
	f.Fail(sim.Failure{Mode: sim.FailServerAfter, Method: http.MethodPost, Path: sim.PathOrders, OrderType: "transaction"})

	got := f.call(t, http.MethodPost, "/orders", topUpBody("transaction", "esim_1GB_7D_JP_V2", 1, iccid))

	require.Equal(t, http.StatusInternalServerError, got.Status)
	require.Len(t, f.TopUps(), 1, "charged before the 500")
}

func TestServer_catalogueCountriesFilter(t *testing.T) {
	f := start(t, sim.Options{})

	got := f.call(t, http.MethodGet, "/catalogue?countries=jp&perPage=2", "")

	require.Equal(t, http.StatusOK, got.Status)
	var page struct {
		Bundles []struct {
			Name string `json:"name"`
		} `json:"bundles"`
		PageCount int `json:"pageCount"`
		Rows      int `json:"rows"`
	}
	got.decode(t, &page)
	require.Equal(t, 3, page.Rows, "the three Japan bundles of the samples")
	require.Equal(t, 2, page.PageCount)
	require.Len(t, page.Bundles, 2)
}

func amountOf(t *testing.T, text string) money.Amount {
	t.Helper()
	value, err := money.ParseAmount(text)
	require.NoError(t, err)
	return value
}
