package airalo_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	sim "esimscan/backend/internal/simulators/airalo"
)

func (f simFixture) topUp(t *testing.T, token string, fields map[string]string) answer {
	t.Helper()
	var body bytes.Buffer
	writer := multipart.NewWriter(&body)
	for key, value := range fields {
		require.NoError(t, writer.WriteField(key, value))
	}
	require.NoError(t, writer.Close())
	req, err := http.NewRequest(http.MethodPost, f.URL+sim.PathTopUpOrders, &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", writer.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return send(t, req)
}

// issue orders one eSIM of packageID and returns its ICCID.
func (f simFixture) issue(t *testing.T, token, packageID string) string {
	t.Helper()
	placed := f.order(t, token, map[string]string{"package_id": packageID, "quantity": "1", "type": "sim"})
	require.Equal(t, http.StatusOK, placed.Status, string(placed.Body))
	sims := placed.json(t)["data"].(map[string]any)["sims"].([]any)
	return sims[0].(map[string]any)["iccid"].(string)
}

func TestServer_topUpListShape(t *testing.T) {
	f := start(t, sim.Options{})
	token := f.token(t)
	iccid := f.issue(t, token, "hanami-mobile-30days-5gb")

	got := f.get(t, token, sim.SIMTopUpsPath(iccid))

	require.Equal(t, http.StatusOK, got.Status, string(got.Body))
	body := got.json(t)
	require.Equal(t, "net_pricing", body["pricing"].(map[string]any)["model"])
	list := body["data"].([]any)
	require.Len(t, list, 1)
	topUp := list[0].(map[string]any)
	for _, field := range []string{"id", "type", "price", "amount", "day", "is_unlimited", "title", "data",
		"short_info", "voice", "text", "net_price", "prices"} {
		require.Contains(t, topUp, field)
	}
	require.Equal(t, "hanami-mobile-7days-1gb-topup", topUp["id"])
	require.Equal(t, "topup", topUp["type"])
	require.Equal(t, 3.2, topUp["net_price"])
	require.Equal(t, float64(1024), topUp["amount"])
}

func TestServer_topUpUnknownICCID(t *testing.T) {
	f := start(t, sim.Options{})
	token := f.token(t)

	listed := f.get(t, token, sim.SIMTopUpsPath("8999000000000000000"))
	bought := f.topUp(t, token, map[string]string{"package_id": "hanami-mobile-7days-1gb-topup", "iccid": "8999000000000000000"})

	for _, got := range []answer{listed, bought} {
		require.Equal(t, http.StatusNotFound, got.Status)
		require.JSONEq(t, `{"data": [], "meta": {"message": "messages.resource_not_found"}}`, string(got.Body))
	}
	require.Empty(t, f.TopUps())
}

func TestServer_topUpOrder(t *testing.T) {
	f := start(t, sim.Options{})
	token := f.token(t)
	iccid := f.issue(t, token, "orbit-roam-30days-3gb")
	before := f.Balance()

	got := f.topUp(t, token, map[string]string{
		"package_id": "orbit-roam-30days-3gb-topup", "iccid": iccid, "description": "esimscan top-up abc",
	})

	require.Equal(t, http.StatusOK, got.Status, string(got.Body))
	data := got.json(t)["data"].(map[string]any)
	require.Equal(t, "topup", data["type"])
	require.Equal(t, "orbit-roam-30days-3gb-topup", data["package_id"])
	require.Equal(t, "esimscan top-up abc", data["description"])
	require.Regexp(t, `^\d{8}-\d{6}$`, data["code"])
	topUps := f.TopUps()
	require.Len(t, topUps, 1)
	require.Equal(t, iccid, topUps[0].ICCID)
	require.Equal(t, before-topUps[0].NetPrice, f.Balance())

	listed := f.get(t, token, sim.PathOrders+"?filter[description]=top-up%20abc").json(t)["data"].([]any)
	require.Len(t, listed, 1, "GET /orders lists top-up orders")
	require.Equal(t, data["id"], listed[0].(map[string]any)["id"])
	byID := f.get(t, token, sim.PathOrders+"/"+strconv.FormatInt(topUps[0].ID, 10))
	require.Equal(t, http.StatusOK, byID.Status)
}

func TestServer_topUpOrderValidation(t *testing.T) {
	f := start(t, sim.Options{})
	token := f.token(t)
	iccid := f.issue(t, token, "hanami-mobile-7days-1gb")
	cases := []struct {
		name   string
		fields map[string]string
		want   string
	}{
		{"no fields", map[string]string{}, `"iccid":"The iccid field is required."`},
		{"no package", map[string]string{"iccid": iccid}, `"package_id":"The package id field is required."`},
		{"package of another eSIM", map[string]string{"iccid": iccid, "package_id": "orbit-roam-30days-3gb-topup"},
			"invalid topup package"},
		{"eSIM package", map[string]string{"iccid": iccid, "package_id": "hanami-mobile-7days-1gb"}, "invalid topup package"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := f.topUp(t, token, tc.fields)

			require.Equal(t, http.StatusUnprocessableEntity, got.Status)
			require.Contains(t, string(got.Body), tc.want)
		})
	}
	require.Empty(t, f.TopUps())
}

func TestServer_topUpServerErrorAfterPurchase(t *testing.T) {
	f := start(t, sim.Options{})
	token := f.token(t)
	iccid := f.issue(t, token, "hanami-mobile-7days-1gb")
	f.Fail(sim.Failure{Mode: sim.FailServerErrorAfter, Path: sim.PathTopUpOrders})

	got := f.topUp(t, token, map[string]string{"package_id": "hanami-mobile-7days-1gb-topup", "iccid": iccid})

	require.Equal(t, http.StatusInternalServerError, got.Status)
	require.Len(t, f.TopUps(), 1, "bought before the 500")
}

func TestServer_topUpFailureInjection(t *testing.T) {
	f := start(t, sim.Options{})
	token := f.token(t)
	iccid := f.issue(t, token, "hanami-mobile-7days-1gb")
	path := sim.SIMTopUpsPath(iccid)
	f.Fail(sim.Failure{Mode: sim.FailUnauthorized, Path: path})
	f.Fail(sim.Failure{Mode: sim.FailRateLimited, RetryAfter: 7, Path: path})

	unauthorized := f.get(t, token, path)
	limited := f.get(t, token, path)
	served := f.get(t, token, path)

	require.Equal(t, http.StatusUnauthorized, unauthorized.Status)
	require.Equal(t, http.StatusTooManyRequests, limited.Status)
	require.Equal(t, "7", limited.Header.Get("Retry-After"))
	require.Equal(t, http.StatusOK, served.Status)
}
