package airalo_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	sim "esimscan/backend/internal/simulators/airalo"
	"esimscan/backend/money"
)

type simFixture struct {
	*sim.Running
	clientID, clientSecret string
}

func start(t *testing.T, opts sim.Options) simFixture {
	t.Helper()
	opts.ClientID = "id-" + uuid.NewString()
	opts.ClientSecret = "secret-" + uuid.NewString()
	running, err := sim.Start(opts)
	require.NoError(t, err)
	t.Cleanup(running.Close)
	require.True(t, strings.HasPrefix(running.URL, "http://127.0.0.1:"), running.URL)
	require.Equal(t, running.URL+"/v2", running.BaseURL)
	return simFixture{Running: running, clientID: opts.ClientID, clientSecret: opts.ClientSecret}
}

type answer struct {
	Status int
	Header http.Header
	Body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var decoded map[string]any
	require.NoError(t, json.Unmarshal(a.Body, &decoded), string(a.Body))
	return decoded
}

func send(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

func (f simFixture) tokenWith(t *testing.T, form url.Values) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.URL+sim.PathToken, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return send(t, req)
}

func (f simFixture) token(t *testing.T) string {
	t.Helper()
	got := f.tokenWith(t, url.Values{
		"client_id": {f.clientID}, "client_secret": {f.clientSecret}, "grant_type": {"client_credentials"},
	})
	require.Equal(t, http.StatusOK, got.Status, string(got.Body))
	var body struct {
		Data struct {
			AccessToken string `json:"access_token"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(got.Body, &body))
	return body.Data.AccessToken
}

func (f simFixture) get(t *testing.T, token, pathAndQuery string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.URL+pathAndQuery, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return send(t, req)
}

func (f simFixture) order(t *testing.T, token string, fields map[string]string) answer {
	t.Helper()
	var body bytes.Buffer
	writer := multipart.NewWriter(&body)
	for key, value := range fields {
		require.NoError(t, writer.WriteField(key, value))
	}
	require.NoError(t, writer.Close())
	req, err := http.NewRequest(http.MethodPost, f.URL+sim.PathOrders, &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", writer.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return send(t, req)
}

func sample(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("samples", name))
	require.NoError(t, err)
	return data
}

func TestServer_tokenResponses(t *testing.T) {
	f := start(t, sim.Options{})
	valid := url.Values{"client_id": {f.clientID}, "client_secret": {f.clientSecret}, "grant_type": {"client_credentials"}}
	with := func(key, value string) url.Values {
		form := url.Values{}
		for k, v := range valid {
			form[k] = v
		}
		form.Set(key, value)
		return form
	}

	ok := f.tokenWith(t, valid)
	require.Equal(t, http.StatusOK, ok.Status)
	data := ok.json(t)["data"].(map[string]any)
	require.Equal(t, "Bearer", data["token_type"])
	require.Equal(t, float64(86400), data["expires_in"])
	require.NotEmpty(t, data["access_token"])

	wrongSecret := f.tokenWith(t, with("client_secret", "secret-wrong"))
	require.Equal(t, http.StatusUnauthorized, wrongSecret.Status)
	require.JSONEq(t, `{"data": [], "meta": {"message": "Client authentication failed"}}`, string(wrongSecret.Body))

	unknownID := f.tokenWith(t, with("client_id", "id-unknown"))
	require.Equal(t, http.StatusUnprocessableEntity, unknownID.Status)
	require.JSONEq(t, `{"data": {"client_id": "The selected client id is invalid."}, "meta": {"message": "the parameter is invalid"}}`,
		string(unknownID.Body))

	wrongGrant := f.tokenWith(t, with("grant_type", "password"))
	require.Equal(t, http.StatusUnprocessableEntity, wrongGrant.Status)
	require.Contains(t, string(wrongGrant.Body), "grant_type")
}

func TestServer_tokenRateLimit(t *testing.T) {
	f := start(t, sim.Options{TokenRequestsPerMinute: 2})

	f.token(t)
	f.token(t)
	limited := f.tokenWith(t, url.Values{
		"client_id": {f.clientID}, "client_secret": {f.clientSecret}, "grant_type": {"client_credentials"},
	})

	require.Equal(t, http.StatusTooManyRequests, limited.Status)
	require.JSONEq(t, `{"message": "Too Many Attempts."}`, string(limited.Body))
	require.NotEmpty(t, limited.Header.Get("Retry-After"))
}

func TestServer_bearerAuthentication(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	f := start(t, sim.Options{TokenLifetime: time.Hour, Now: clock})
	token := f.token(t)

	require.Equal(t, http.StatusOK, f.get(t, token, sim.PathBalance).Status)
	require.Equal(t, http.StatusUnauthorized, f.get(t, "", sim.PathBalance).Status)
	require.Equal(t, http.StatusUnauthorized, f.get(t, "not-a-token", sim.PathBalance).Status)

	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	expired := f.get(t, token, sim.PathBalance)
	require.Equal(t, http.StatusUnauthorized, expired.Status)
	require.JSONEq(t, `{"data": [], "meta": {"message": "This action is unauthorized."}}`, string(expired.Body))

	fresh := f.token(t)
	require.Equal(t, 2, f.RevokeTokens())
	require.Equal(t, http.StatusUnauthorized, f.get(t, fresh, sim.PathBalance).Status)
}

func TestServer_balanceShape(t *testing.T) {
	f := start(t, sim.Options{})

	got := f.get(t, f.token(t), sim.PathBalance)

	require.Equal(t, http.StatusOK, got.Status)
	require.JSONEq(t, `{"data": {"balances": {"name": "balance", "availableBalance": {"amount": 2480, "currency": "USD"}}},
		"meta": {"message": "success"}}`, string(got.Body))
}

func TestServer_packagePagesMatchSamples(t *testing.T) {
	f := start(t, sim.Options{})
	token := f.token(t)

	for page, name := range map[string]string{"1": "packages-page1.json", "2": "packages-page2.json"} {
		t.Run(name, func(t *testing.T) {
			got := f.get(t, token, sim.PathPackages+"?limit=2&include=topup&page="+page)

			require.Equal(t, http.StatusOK, got.Status)
			var want, served struct {
				Pricing json.RawMessage `json:"pricing"`
				Data    json.RawMessage `json:"data"`
				Meta    map[string]any  `json:"meta"`
			}
			require.NoError(t, json.Unmarshal(sample(t, name), &want))
			require.NoError(t, json.Unmarshal(got.Body, &served))
			require.JSONEq(t, string(want.Pricing), string(served.Pricing))
			require.JSONEq(t, string(want.Data), string(served.Data))
			for _, key := range []string{"current_page", "from", "last_page", "per_page", "to", "total"} {
				require.Equal(t, want.Meta[key], served.Meta[key], key)
			}
		})
	}
}

func TestServer_packagePagination(t *testing.T) {
	f := start(t, sim.Options{KeyedPages: true, Packages: 25})
	token := f.token(t)

	first := f.get(t, token, sim.PathPackages+"?limit=3&page=1").json(t)
	second := f.get(t, token, sim.PathPackages+"?limit=3&page=2").json(t)
	beyond := f.get(t, token, sim.PathPackages+"?limit=3&page=9").json(t)
	whole := f.get(t, token, sim.PathPackages).json(t)

	require.Len(t, first["data"].([]any), 3)
	keyed := second["data"].(map[string]any)
	require.Len(t, keyed, 3)
	require.Contains(t, keyed, "3")
	require.Contains(t, keyed, "5")
	meta := second["meta"].(map[string]any)
	require.Equal(t, "3", meta["per_page"], "per_page is a string")
	require.Equal(t, float64(3), meta["last_page"], "4 sample and 3 synthetic destinations")
	require.Equal(t, float64(7), meta["total"])
	require.NotNil(t, second["links"].(map[string]any)["next"])
	require.Empty(t, beyond["data"].(map[string]any))
	require.Nil(t, beyond["meta"].(map[string]any)["from"])
	require.Nil(t, beyond["links"].(map[string]any)["next"])
	require.Len(t, whole["data"].([]any), 7)
	require.Equal(t, float64(1), whole["meta"].(map[string]any)["last_page"])
}

func TestServer_packageFilters(t *testing.T) {
	f := start(t, sim.Options{})
	token := f.token(t)
	count := func(query string) int {
		got := f.get(t, token, sim.PathPackages+query)
		require.Equal(t, http.StatusOK, got.Status, string(got.Body))
		return len(got.json(t)["data"].([]any))
	}

	require.Equal(t, 1, count("?filter[country]=jp"))
	require.Equal(t, 2, count("?filter[type]=global"))
	require.Equal(t, 2, count("?filter[type]=local"))
	require.Equal(t, http.StatusUnprocessableEntity, f.get(t, token, sim.PathPackages+"?limit=0").Status)

	withoutTopups := f.get(t, token, sim.PathPackages+"?filter[country]=JP")
	require.NotContains(t, string(withoutTopups.Body), "hanami-mobile-7days-1gb-topup")
	withTopups := f.get(t, token, sim.PathPackages+"?filter[country]=JP&include=topup")
	require.Contains(t, string(withTopups.Body), "hanami-mobile-7days-1gb-topup")
}

func TestServer_syntheticCatalog(t *testing.T) {
	f := start(t, sim.Options{Packages: 1000})

	got := f.get(t, f.token(t), sim.PathPackages)

	var body struct {
		Data []sim.Destination `json:"data"`
	}
	require.NoError(t, json.Unmarshal(got.Body, &body))
	require.Len(t, body.Data, 4+100)
	ids := map[string]bool{}
	unlimited, regional := 0, 0
	for _, destination := range body.Data[4:] {
		if destination.CountryCode == "" {
			regional++
		}
		for _, pkg := range destination.Operators[0].Packages {
			require.False(t, ids[pkg.ID], "duplicate %s", pkg.ID)
			ids[pkg.ID] = true
			if pkg.IsUnlimited {
				unlimited++
			}
			_, err := money.ParseAmount(pkg.NetPrice.String())
			require.NoError(t, err, "net_price %s of %s", pkg.NetPrice, pkg.ID)
		}
	}
	require.Len(t, ids, 1000)
	require.Equal(t, 100, unlimited)
	require.Equal(t, 20, regional)
}

func TestServer_orderAndLookups(t *testing.T) {
	f := start(t, sim.Options{})
	token := f.token(t)

	placed := f.order(t, token, map[string]string{
		"package_id": "hanami-mobile-7days-1gb", "quantity": "2", "type": "sim", "description": "esimscan order abc",
	})

	require.Equal(t, http.StatusOK, placed.Status, string(placed.Body))
	data := placed.json(t)["data"].(map[string]any)
	require.Equal(t, "hanami-mobile-7days-1gb", data["package_id"])
	require.Equal(t, "Hanami Mobile-1 GB - 7 Days", data["package"])
	require.Equal(t, float64(2), data["quantity"])
	require.Equal(t, 6.4, data["net_price"])
	require.Regexp(t, `^\d{8}-\d{6}$`, data["code"])
	sims := data["sims"].([]any)
	require.Len(t, sims, 2)
	for _, raw := range sims {
		esim := raw.(map[string]any)
		require.Regexp(t, `^8999\d{15}$`, esim["iccid"])
		require.Equal(t, "lpa.esimscan.invalid", esim["lpa"])
		require.Equal(t, "LPA:1$lpa.esimscan.invalid$"+esim["matching_id"].(string), esim["qrcode"])
	}
	require.Equal(t, "2473.60", f.Balance().Format(2))

	byPart := f.get(t, token, sim.PathOrders+"?include=sims&filter[description]=order%20ab").json(t)
	require.Len(t, byPart["data"].([]any), 1, "the description filter matches part of it")
	none := f.get(t, token, sim.PathOrders+"?filter[description]=other").json(t)
	require.Empty(t, none["data"].([]any))

	id := int64(data["id"].(float64))
	byID := f.get(t, token, sim.PathOrders+"/"+strconv.FormatInt(id, 10)+"?include=sims")
	require.Equal(t, http.StatusOK, byID.Status)
	require.Len(t, byID.json(t)["data"].(map[string]any)["sims"].([]any), 2)
	missing := f.get(t, token, sim.PathOrders+"/1")
	require.Equal(t, http.StatusNotFound, missing.Status)
	require.JSONEq(t, `{"data": [], "meta": {"message": "messages.resource_not_found"}}`, string(missing.Body))
}

func TestServer_orderURLEncodedForm(t *testing.T) {
	f := start(t, sim.Options{})
	form := url.Values{"package_id": {"orbit-roam-30days-3gb"}, "quantity": {"1"}, "type": {"sim"}}
	req, err := http.NewRequest(http.MethodPost, f.URL+sim.PathOrders, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+f.token(t))

	got := send(t, req)

	require.Equal(t, http.StatusOK, got.Status, string(got.Body))
	require.Len(t, f.Orders(), 1)
}

func TestServer_orderValidation(t *testing.T) {
	f := start(t, sim.Options{Balance: 10 * money.Scale})
	token := f.token(t)
	cases := []struct {
		name   string
		fields map[string]string
		want   string
	}{
		{"no package", map[string]string{"quantity": "1", "type": "sim"}, `"package_id"`},
		{"no quantity", map[string]string{"package_id": "hanami-mobile-7days-1gb", "type": "sim"}, `"quantity"`},
		{"51 eSIMs", map[string]string{"package_id": "hanami-mobile-7days-1gb", "quantity": "51", "type": "sim"},
			"may not be greater than 50"},
		{"top-up type", map[string]string{"package_id": "hanami-mobile-7days-1gb", "quantity": "1", "type": "topup"}, `"type"`},
		{"top-up package", map[string]string{"package_id": "hanami-mobile-7days-1gb-topup", "quantity": "1", "type": "sim"},
			"The selected package is invalid."},
		{"unknown package", map[string]string{"package_id": "nope", "quantity": "1", "type": "sim"}, "The selected package is invalid."},
		{"insufficient credit", map[string]string{"package_id": "orbit-roam-30days-3gb", "quantity": "1", "type": "sim"}, `"code":11`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := f.order(t, token, tc.fields)

			require.Equal(t, http.StatusUnprocessableEntity, got.Status)
			require.Contains(t, string(got.Body), tc.want)
		})
	}
	require.Empty(t, f.Orders())
}

func TestServer_slowOrderPlacedBeforeResponse(t *testing.T) {
	f := start(t, sim.Options{})
	token := f.token(t)
	f.Fail(sim.Failure{Mode: sim.FailSlow, DelayMS: 5000, Path: sim.PathOrders, Method: http.MethodPost})
	client := &http.Client{Timeout: 200 * time.Millisecond}
	var body bytes.Buffer
	writer := multipart.NewWriter(&body)
	require.NoError(t, writer.WriteField("package_id", "hanami-mobile-7days-1gb"))
	require.NoError(t, writer.WriteField("quantity", "1"))
	require.NoError(t, writer.WriteField("type", "sim"))
	require.NoError(t, writer.Close())
	req, err := http.NewRequest(http.MethodPost, f.URL+sim.PathOrders, &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", writer.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)

	_, err = client.Do(req)

	require.Error(t, err, "the client gives up first")
	require.Len(t, f.Orders(), 1)
	require.Equal(t, http.StatusOK, f.get(t, token, sim.PathOrders).Status, "a GET is not held back")
}

func TestServer_unknownPathIs404(t *testing.T) {
	f := start(t, sim.Options{})

	got := f.get(t, f.token(t), "/balance")

	require.Equal(t, http.StatusNotFound, got.Status)
}

func TestServer_controlOverHTTP(t *testing.T) {
	f := start(t, sim.Options{Packages: 20})
	token := f.token(t)
	control := func(method, path, body string) answer {
		req, err := http.NewRequest(method, f.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		return send(t, req)
	}

	require.Equal(t, http.StatusOK, control(http.MethodPost, "/_sim/fail", `{"mode":"429","count":2,"retry_after":3,"path":"/v2/balance"}`).Status)
	for range 2 {
		limited := f.get(t, token, sim.PathBalance)
		require.Equal(t, http.StatusTooManyRequests, limited.Status)
		require.Equal(t, "3", limited.Header.Get("Retry-After"))
	}
	require.Equal(t, http.StatusOK, f.get(t, token, sim.PathBalance).Status)

	require.Equal(t, http.StatusOK, control(http.MethodPost, "/_sim/fail", `{"mode":"500","count":5}`).Status)
	require.Equal(t, http.StatusOK, control(http.MethodDelete, "/_sim/fail", "").Status)
	require.Equal(t, http.StatusOK, f.get(t, token, sim.PathBalance).Status)

	changed := control(http.MethodPost, "/_sim/catalog",
		`{"upsert":[{"slug":"peru","country_code":"PE","title":"Peru","operators":[]}],"remove":["japan","synthetic-destination-1","missing"]}`)
	require.Equal(t, http.StatusOK, changed.Status)
	require.JSONEq(t, `{"upserted": 1, "removed": 2, "destinations": 5}`, string(changed.Body))

	require.Equal(t, http.StatusOK, control(http.MethodPost, "/_sim/balance", `{"balance":"99.50"}`).Status)
	require.Equal(t, "99.50", f.Balance().String())
	require.Equal(t, http.StatusBadRequest, control(http.MethodPost, "/_sim/balance", `{"balance":"-1"}`).Status)

	revoked := control(http.MethodPost, "/_sim/revoke-tokens", "")
	require.JSONEq(t, `{"revoked": 1}`, string(revoked.Body))
	require.Equal(t, http.StatusUnauthorized, f.get(t, token, sim.PathBalance).Status)

	fresh := f.token(t)
	require.Equal(t, http.StatusOK, f.order(t, fresh, map[string]string{
		"package_id": "synthetic-package-0", "quantity": "1", "type": "sim", "description": "d-1"}).Status)
	var orders []sim.Order
	require.NoError(t, json.Unmarshal(control(http.MethodGet, "/_sim/orders", "").Body, &orders))
	require.Len(t, orders, 1)
	require.Equal(t, "d-1", orders[0].Description)
	var requests []sim.Request
	require.NoError(t, json.Unmarshal(control(http.MethodGet, "/_sim/requests", "").Body, &requests))
	require.NotEmpty(t, requests)

	require.Equal(t, http.StatusBadRequest, control(http.MethodPost, "/_sim/fail", `{"mode":`).Status)
	require.Equal(t, http.StatusNotFound, control(http.MethodGet, "/_sim/nothing", "").Status)
}
