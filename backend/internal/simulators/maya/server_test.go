package maya_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	sim "esimscan/backend/internal/simulators/maya"
)

type simFixture struct {
	*sim.Running
	apiKey, apiSecret string
}

func start(t *testing.T, opts sim.Options) simFixture {
	t.Helper()
	opts.APIKey = "key-" + uuid.NewString()
	opts.APISecret = "secret-" + uuid.NewString()
	running, err := sim.Start(opts)
	require.NoError(t, err)
	t.Cleanup(running.Close)
	require.True(t, strings.HasPrefix(running.URL, "http://127.0.0.1:"), running.URL)
	require.Equal(t, running.URL+sim.PathPrefix, running.BaseURL)
	return simFixture{Running: running, apiKey: opts.APIKey, apiSecret: opts.APISecret}
}

// simResponse is a decoded response: the status, and the body as a map when it
// is JSON.
type simResponse struct {
	Status int
	Header http.Header
	Body   map[string]json.RawMessage
}

func (a simResponse) result() string { return string(a.Body["result"]) }

func (a simResponse) text(key string) string {
	var value string
	_ = json.Unmarshal(a.Body[key], &value)
	return value
}

func send(t *testing.T, method, url, authorization, body string) simResponse {
	t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, reader)
	require.NoError(t, err)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	got := simResponse{Status: resp.StatusCode, Header: resp.Header}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(t, json.Unmarshal(data, &got.Body), string(data))
	}
	return got
}

func basic(key, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"+secret))
}

func (f simFixture) call(t *testing.T, method, path, body string) simResponse {
	t.Helper()
	return send(t, method, f.URL+path, basic(f.apiKey, f.apiSecret), body)
}

func TestServer_authentication(t *testing.T) {
	f := start(t, sim.Options{})
	cases := []struct {
		name          string
		authorization string
		status        int
	}{
		{"basic", basic(f.apiKey, f.apiSecret), http.StatusOK},
		{"lower-case scheme", "basic " + strings.TrimPrefix(basic(f.apiKey, f.apiSecret), "Basic "), http.StatusOK},
		{"missing header", "", http.StatusUnauthorized},
		{"wrong secret", basic(f.apiKey, "secret-wrong"), http.StatusUnauthorized},
		{"wrong key", basic("key-wrong", f.apiSecret), http.StatusUnauthorized},
		{"not base64", "Basic !!!", http.StatusUnauthorized},
		{"bearer when not allowed", "Bearer " + f.apiKey, http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := send(t, http.MethodGet, f.URL+sim.PathBalance, tc.authorization, "")

			require.Equal(t, tc.status, got.Status)
			if tc.status == http.StatusUnauthorized {
				require.Equal(t, "0", got.result())
				require.Equal(t, "Unauthorized", got.text("message"))
				require.Equal(t, "The API key or secret is not valid.", got.text("developer_message"))
			}
		})
	}
}

func TestServer_bearerWhenAllowed(t *testing.T) {
	f := start(t, sim.Options{AllowBearer: true})

	require.Equal(t, http.StatusOK, send(t, http.MethodGet, f.URL+sim.PathBalance, "Bearer "+f.apiKey, "").Status)
	require.Equal(t, http.StatusUnauthorized, send(t, http.MethodGet, f.URL+sim.PathBalance, "Bearer "+f.apiSecret, "").Status)
}

func TestServer_unknownPathIsPlain404(t *testing.T) {
	f := start(t, sim.Options{})

	got := f.call(t, http.MethodGet, sim.PathPrefix+"/plans", "")

	require.Equal(t, http.StatusNotFound, got.Status)
	require.Nil(t, got.Body, "not the JSON envelope")
}

func TestServer_balance(t *testing.T) {
	f := start(t, sim.Options{})

	got := f.call(t, http.MethodGet, sim.PathBalance, "")

	require.Equal(t, http.StatusOK, got.Status)
	require.Equal(t, "1", got.result())
	require.Equal(t, "1840.25", got.text("balance"))
	require.Equal(t, "USD", got.text("currency"))
	require.NotEmpty(t, got.text("request_id"))
}

func TestServer_noBalanceEndpoint(t *testing.T) {
	f := start(t, sim.Options{NoBalanceEndpoint: true})

	require.Equal(t, http.StatusNotFound, f.call(t, http.MethodGet, sim.PathBalance, "").Status)
	require.Equal(t, http.StatusOK, f.call(t, http.MethodGet, sim.PathProducts+"?country=us", "").Status)
}

func productsOf(t *testing.T, got simResponse) []sim.Product {
	t.Helper()
	require.Equal(t, http.StatusOK, got.Status)
	require.Equal(t, "1", got.result())
	var products []sim.Product
	require.NoError(t, json.Unmarshal(got.Body["products"], &products))
	return products
}

func TestServer_productsFilters(t *testing.T) {
	f := start(t, sim.Options{})
	cases := map[string]int{
		"":                          6,
		"?country=jp":               2,
		"?country=JPN":              2,
		"?country=de":               2,
		"?country=us":               1,
		"?country=br":               0,
		"?region=europe":            2,
		"?region=asia":              0,
		"?region=europe&country=fr": 2,
		"?region=nowhere":           0,
	}
	for query, want := range cases {
		t.Run(query, func(t *testing.T) {
			products := productsOf(t, f.call(t, http.MethodGet, sim.PathProducts+query, ""))

			require.Len(t, products, want)
		})
	}
}

func TestServer_syntheticCatalog(t *testing.T) {
	f := start(t, sim.Options{Packages: 1000})

	products := productsOf(t, f.call(t, http.MethodGet, sim.PathProducts, ""))

	require.Len(t, products, 1006)
	require.Equal(t, 1006, f.Products())
	uids := map[string]bool{}
	regional, unlimited := 0, 0
	for _, product := range products {
		require.Len(t, product.UID, 12)
		require.False(t, uids[product.UID], "duplicate %s", product.UID)
		uids[product.UID] = true
		require.Regexp(t, `^"[0-9]+\.[0-9]{2}"$`, string(product.WholesalePriceUSD))
		require.NotNil(t, product.DataQuotaBytes)
		require.Equal(t, *product.DataQuotaMB<<20, *product.DataQuotaBytes)
		for _, code := range product.CountriesEnabled {
			require.Len(t, code, 3)
		}
		if len(product.CountriesEnabled) > 1 {
			regional++
		}
		if strings.Contains(product.Name, "Unlimited") {
			unlimited++
		}
	}
	require.Equal(t, 300+2, regional)
	require.Equal(t, 100+1, unlimited)
}

func TestServer_customerAndESIM(t *testing.T) {
	f := start(t, sim.Options{})

	created := f.call(t, http.MethodPost, sim.PathCustomer+"/", `{"first_name":"esimScan","tag":"esc-1"}`)
	require.Equal(t, http.StatusCreated, created.Status)
	var customer struct {
		ID    string            `json:"id"`
		Tag   string            `json:"tag"`
		ESIMs []json.RawMessage `json:"esims"`
	}
	require.NoError(t, json.Unmarshal(created.Body["customer"], &customer))
	require.Len(t, customer.ID, 12)
	require.Equal(t, "esc-1", customer.Tag)
	require.Empty(t, customer.ESIMs)

	issued := f.call(t, http.MethodPost, sim.PathESIM,
		`{"plan_type_id":"Jp3xQ7vL2mKa","customer_id":"`+customer.ID+`","tag":"esc-1"}`)
	require.Equal(t, http.StatusCreated, issued.Status)
	require.Equal(t, "201", string(issued.Body["status"]))
	var esim sim.ESIM
	require.NoError(t, json.Unmarshal(issued.Body["esim"], &esim))
	require.Regexp(t, `^8999[0-9]{15}$`, esim.ICCID)
	require.Regexp(t, `^LPA:1\$rsp\.esimscan\.invalid\$[0-9A-Z]{24}$`, esim.ActivationCode)
	require.Equal(t, "rsp.esimscan.invalid", esim.SMDPAddress)
	require.Equal(t, "esc-1", esim.Tag)
	require.Equal(t, customer.ID, esim.CustomerID)
	require.Equal(t, "RELEASED", esim.State)

	byCustomer := f.call(t, http.MethodGet, sim.PathCustomer+"/"+customer.ID, "")
	require.Equal(t, http.StatusOK, byCustomer.Status)
	require.NoError(t, json.Unmarshal(byCustomer.Body["customer"], &customer))
	require.Len(t, customer.ESIMs, 1)

	byICCID := f.call(t, http.MethodGet, sim.PathESIM+"/"+esim.ICCID, "")
	require.Equal(t, http.StatusOK, byICCID.Status)
	var fetched sim.ESIM
	require.NoError(t, json.Unmarshal(byICCID.Body["esim"], &fetched))
	require.Equal(t, esim, fetched)

	orders := f.Orders()
	require.Len(t, orders, 1)
	require.Equal(t, []string{esim.ICCID}, orders[0].ICCIDs)
}

func TestServer_createESIMChecks(t *testing.T) {
	f := start(t, sim.Options{})
	cases := []struct {
		name    string
		body    string
		status  int
		message string
	}{
		{"no plan", `{"tag":"x"}`, http.StatusBadRequest, "plan_type_id is required"},
		{"unknown plan", `{"plan_type_id":"Zz0000000000"}`, http.StatusNotFound, "Plan type not found"},
		{"unknown customer", `{"plan_type_id":"Jp3xQ7vL2mKa","customer_id":"NOPE"}`, http.StatusNotFound, "Customer not found"},
		{"bad quantity", `{"plan_type_id":"Jp3xQ7vL2mKa","quantity":101}`, http.StatusBadRequest, "Invalid quantity"},
		{"not JSON", `{"plan_type_id":`, http.StatusBadRequest, "Invalid request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := f.call(t, http.MethodPost, sim.PathESIM, tc.body)

			require.Equal(t, tc.status, got.Status)
			require.Equal(t, "0", got.result())
			require.Equal(t, tc.message, got.text("message"))
		})
	}
	require.Empty(t, f.Orders())
	require.Zero(t, f.ESIMCount())
}

func TestServer_bulkCreate(t *testing.T) {
	f := start(t, sim.Options{})

	got := f.call(t, http.MethodPost, sim.PathESIM, `{"plan_type_id":"Th6gH3jK1lPz","quantity":3}`)

	require.Equal(t, http.StatusCreated, got.Status)
	var esims []sim.ESIM
	require.NoError(t, json.Unmarshal(got.Body["esims"], &esims))
	require.Len(t, esims, 3)
	require.Equal(t, 3, f.ESIMCount())
	require.Len(t, f.Orders(), 1)
}

func TestServer_slowResponseTakesEffect(t *testing.T) {
	f := start(t, sim.Options{})
	f.Fail(sim.Failure{Mode: sim.FailSlowResponse, DelayMS: 5000, Method: http.MethodPost, Path: sim.PathESIM})
	client := &http.Client{Timeout: 200 * time.Millisecond}
	req, err := http.NewRequest(http.MethodPost, f.URL+sim.PathESIM, strings.NewReader(`{"plan_type_id":"Jp3xQ7vL2mKa"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", basic(f.apiKey, f.apiSecret))

	_, err = client.Do(req)

	require.Error(t, err, "the simResponse is held past the client's timeout")
	require.Equal(t, 1, f.ESIMCount(), "the eSIM was issued anyway")
}

func TestServer_serverErrorAfterTakesEffect(t *testing.T) {
	f := start(t, sim.Options{})
	f.Fail(sim.Failure{Mode: sim.FailServerAfter, Method: http.MethodPost, Path: sim.PathESIM})

	failed := f.call(t, http.MethodPost, sim.PathESIM, `{"plan_type_id":"Jp3xQ7vL2mKa"}`)

	require.Equal(t, http.StatusInternalServerError, failed.Status)
	require.Equal(t, 1, f.ESIMCount(), "the eSIM was issued anyway")
	require.Len(t, f.Orders(), 1)
	served := f.call(t, http.MethodPost, sim.PathESIM, `{"plan_type_id":"Jp3xQ7vL2mKa"}`)
	require.Equal(t, http.StatusCreated, served.Status, "the failure applied once")
}

func TestServer_controlOverHTTP(t *testing.T) {
	f := start(t, sim.Options{Packages: 10})
	control := func(method, path, body string) *http.Response {
		req, err := http.NewRequest(method, f.URL+path, bytes.NewBufferString(body))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		t.Cleanup(func() { _ = resp.Body.Close() })
		return resp
	}

	resp := control(http.MethodPost, "/_sim/fail", `{"mode":"429","count":2,"retry_after":3}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for range 2 {
		limited := f.call(t, http.MethodGet, sim.PathBalance, "")
		require.Equal(t, http.StatusTooManyRequests, limited.Status)
		require.Equal(t, "3", limited.Header.Get("Retry-After"))
	}
	require.Equal(t, http.StatusOK, f.call(t, http.MethodGet, sim.PathBalance, "").Status)

	resp = control(http.MethodPost, "/_sim/catalog",
		`{"upsert":[{"uid":"PeNew0000001","name":"Peru 1GB 7 Days","countries_enabled":["PER"],"data_quota_mb":1000,`+
			`"data_quota_bytes":1048576000,"validity_days":7,"wholesale_price_usd":"2.00"}],`+
			`"remove":["Jp3xQ7vL2mKa","SY0000000003","MISSING"]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var change map[string]int
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&change))
	require.Equal(t, map[string]int{"upserted": 1, "removed": 2, "products": 6 + 10 + 1 - 2}, change)

	resp = control(http.MethodPost, "/_sim/balance", `{"balance":"12.00"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "12.00", f.call(t, http.MethodGet, sim.PathBalance, "").text("balance"))

	require.Equal(t, http.StatusCreated, f.call(t, http.MethodPost, sim.PathESIM, `{"plan_type_id":"PeNew0000001","tag":"t-c"}`).Status)
	resp = control(http.MethodGet, "/_sim/orders", "")
	var orders []sim.Order
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&orders))
	require.Len(t, orders, 1)
	require.Equal(t, "t-c", orders[0].Tag)
	require.Equal(t, "PeNew0000001", orders[0].PlanTypeID)

	resp = control(http.MethodGet, "/_sim/requests", "")
	var requests []sim.Request
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&requests))
	require.NotEmpty(t, requests)

	require.Equal(t, http.StatusBadRequest, control(http.MethodPost, "/_sim/fail", `{"mode":`).StatusCode)
	require.Equal(t, http.StatusNotFound, control(http.MethodGet, "/_sim/nothing", "").StatusCode)
	require.Equal(t, http.StatusOK, control(http.MethodDelete, "/_sim/fail", "").StatusCode)
}

func TestServer_failureLimitedToMethodAndPath(t *testing.T) {
	f := start(t, sim.Options{})
	f.Fail(sim.Failure{Mode: sim.FailServerError, Method: http.MethodPost, Path: sim.PathESIM})

	require.Equal(t, http.StatusOK, f.call(t, http.MethodGet, sim.PathBalance, "").Status)
	require.Equal(t, http.StatusNotFound, f.call(t, http.MethodGet, sim.PathESIM+"/8999000000000000001", "").Status)
	require.Equal(t, http.StatusInternalServerError,
		f.call(t, http.MethodPost, sim.PathESIM, `{"plan_type_id":"Jp3xQ7vL2mKa"}`).Status)
	require.Equal(t, http.StatusCreated, f.call(t, http.MethodPost, sim.PathESIM, `{"plan_type_id":"Jp3xQ7vL2mKa"}`).Status)
}

func TestServer_failureUnderPrefix(t *testing.T) {
	f := start(t, sim.Options{})
	f.Fail(sim.Failure{Mode: sim.FailForbidden, Path: sim.PathCustomer + "/", Count: 2})

	got := f.call(t, http.MethodGet, sim.PathCustomer+"/ANYCUSTOMER1", "")
	require.Equal(t, http.StatusForbidden, got.Status)
	require.Equal(t, "Forbidden", got.text("message"))
	require.Equal(t, http.StatusForbidden, f.call(t, http.MethodPost, sim.PathCustomer+"/", `{}`).Status)
	require.Equal(t, http.StatusCreated, f.call(t, http.MethodPost, sim.PathCustomer+"/", `{}`).Status)
}
