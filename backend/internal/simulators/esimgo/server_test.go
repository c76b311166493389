package esimgo_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	sim "esimscan/backend/internal/simulators/esimgo"
)

type simFixture struct {
	*sim.Running
	apiKey string
}

func start(t *testing.T, opts sim.Options) simFixture {
	t.Helper()
	opts.APIKey = "key-" + uuid.NewString()
	running, err := sim.Start(opts)
	require.NoError(t, err)
	t.Cleanup(running.Close)
	require.True(t, strings.HasPrefix(running.URL, "http://127.0.0.1:"), running.URL)
	return simFixture{Running: running, apiKey: opts.APIKey}
}

type answer struct {
	Status int
	Header http.Header
	Body   []byte
}

func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(a.Body, v), string(a.Body))
}

func (a answer) message(t *testing.T) string {
	t.Helper()
	var body struct {
		Message string `json:"message"`
	}
	a.decode(t, &body)
	return body.Message
}

func send(t *testing.T, method, url string, headers map[string]string, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	for key, value := range headers {
		req.Header.Set(key, value)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// call sends an authenticated request under the /v2.4 prefix.
func (f simFixture) call(t *testing.T, method, pathAndQuery, body string) answer {
	t.Helper()
	headers := map[string]string{"X-API-Key": f.apiKey, "Accept": "application/json"}
	return send(t, method, f.URL+"/v2.4"+pathAndQuery, headers, body)
}

func TestServer_authentication(t *testing.T) {
	f := start(t, sim.Options{})
	cases := []struct {
		name    string
		url     string
		headers map[string]string
		status  int
	}{
		{"header", f.URL + "/v2.4/organisation", map[string]string{"X-API-Key": f.apiKey}, http.StatusOK},
		{"lower-case header name", f.URL + "/v2.4/organisation", map[string]string{"x-api-key": f.apiKey}, http.StatusOK},
		{"query parameter", f.URL + "/v2.4/organisation?api_key=" + f.apiKey, nil, http.StatusOK},
		{"no version prefix", f.URL + "/organisation", map[string]string{"X-API-Key": f.apiKey}, http.StatusOK},
		{"missing key", f.URL + "/v2.4/organisation", nil, http.StatusForbidden},
		{"wrong key", f.URL + "/v2.4/catalogue", map[string]string{"X-API-Key": "key-wrong"}, http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := send(t, http.MethodGet, tc.url, tc.headers, "")

			require.Equal(t, tc.status, got.Status)
			require.Equal(t, "10", got.Header.Get("X-Ratelimit-Limit"))
			if tc.status == http.StatusForbidden {
				require.JSONEq(t, `{"message":"Forbidden"}`, string(got.Body))
			}
		})
	}
	for _, request := range f.Requests() {
		require.NotContains(t, request.Query, f.apiKey, "the request log drops api_key")
	}
}

func TestServer_unknownPathIs404(t *testing.T) {
	f := start(t, sim.Options{})

	got := f.call(t, http.MethodGet, "/organization", "")

	require.Equal(t, http.StatusNotFound, got.Status)
}

func TestServer_organisationEchoesKey(t *testing.T) {
	f := start(t, sim.Options{Balance: "12.5", Currency: "EUR"})

	got := f.call(t, http.MethodGet, "/organisation", "")

	var body struct {
		Organisations []struct {
			APIKey   string          `json:"apiKey"`
			Balance  json.RawMessage `json:"balance"`
			Currency string          `json:"currency"`
		} `json:"organisations"`
	}
	got.decode(t, &body)
	require.Len(t, body.Organisations, 1)
	require.Equal(t, f.apiKey, body.Organisations[0].APIKey)
	require.Equal(t, "12.50", string(body.Organisations[0].Balance))
	require.Equal(t, "EUR", body.Organisations[0].Currency)
}

type cataloguePage struct {
	Bundles   []sim.Bundle `json:"bundles"`
	PageCount int          `json:"pageCount"`
	Rows      int          `json:"rows"`
	PageSize  int          `json:"pageSize"`
}

func TestServer_cataloguePagesMatchSamples(t *testing.T) {
	f := start(t, sim.Options{})
	samples := sim.SampleBundles()

	var first, second, past cataloguePage
	f.call(t, http.MethodGet, "/catalogue?page=1&perPage=4", "").decode(t, &first)
	f.call(t, http.MethodGet, "/catalogue?page=2&perPage=4", "").decode(t, &second)
	f.call(t, http.MethodGet, "/catalogue?page=3&perPage=4", "").decode(t, &past)

	require.Equal(t, samples[:4], first.Bundles)
	require.Equal(t, samples[4:], second.Bundles)
	require.Empty(t, past.Bundles)
	require.Equal(t, 2, first.PageCount)
	require.Equal(t, 7, first.Rows)
	require.Equal(t, 4, first.PageSize)
	require.Equal(t, "esim_1GB_7D_JP_V2", first.Bundles[0].Name)
	require.Equal(t, "4.6", first.Bundles[2].Price.String(), "the sample's number text is kept")
}

func TestServer_catalogueSyntheticAndRemoved(t *testing.T) {
	f := start(t, sim.Options{Packages: 1000})
	require.Equal(t, 1, f.RemoveBundles("esim_1GB_7D_JP_S0000000", "missing"))
	require.Equal(t, 1006, f.Packages())

	names := map[string]bool{}
	unlimited, regional := 0, 0
	for page := 1; ; page++ {
		var got cataloguePage
		f.call(t, http.MethodGet, "/catalogue?perPage=300&page="+strconv.Itoa(page), "").decode(t, &got)
		for _, bundle := range got.Bundles {
			require.False(t, names[bundle.Name], "duplicate %s", bundle.Name)
			names[bundle.Name] = true
			if bundle.Unlimited {
				unlimited++
			}
			if len(bundle.Countries) > 1 {
				regional++
			}
		}
		if page >= got.PageCount {
			require.Equal(t, 4, got.PageCount)
			break
		}
	}
	require.Len(t, names, 1006)
	require.False(t, names["esim_1GB_7D_JP_S0000000"])
	require.Equal(t, 100+2, unlimited)
	require.Equal(t, 200+2, regional)

	bundle := f.call(t, http.MethodGet, "/catalogue/bundle/esim_3GB_7D_JP_S0000001", "")
	require.Equal(t, http.StatusOK, bundle.Status)
	missing := f.call(t, http.MethodGet, "/catalogue/bundle/esim_1GB_7D_JP_S0000000", "")
	require.Equal(t, http.StatusBadRequest, missing.Status)
	require.Equal(t, "Bundle esim_1GB_7D_JP_S0000000 not found in catalogue", missing.message(t))
}

func TestServer_pageOverlap(t *testing.T) {
	f := start(t, sim.Options{PageOverlap: 2})

	var second cataloguePage
	f.call(t, http.MethodGet, "/catalogue?page=2&perPage=4", "").decode(t, &second)

	require.Len(t, second.Bundles, 5)
	require.Equal(t, sim.SampleBundles()[2:], second.Bundles)
}

func TestServer_orderChecks(t *testing.T) {
	f := start(t, sim.Options{Balance: "10"})
	cases := []struct {
		name    string
		body    string
		message string // empty on success
	}{
		{"not JSON", `{"type":`, "Request body is not valid JSON"},
		{"unknown type", `{"type":"buy","order":[{"type":"bundle","quantity":1,"item":"esim_1GB_7D_JP_V2"}]}`, "type must be validate or transaction"},
		{"no items", `{"type":"transaction","assign":true,"order":[]}`, "order must contain at least one bundle"},
		{"zero quantity", `{"type":"transaction","order":[{"type":"bundle","quantity":0,"item":"esim_1GB_7D_JP_V2"}]}`, "quantity must be between 1 and 1000"},
		{"unknown bundle", `{"type":"validate","order":[{"type":"bundle","quantity":1,"item":"esim_5GB_30D_XX_V2"}]}`, "Bundle esim_5GB_30D_XX_V2 not found in catalogue"},
		{"insufficient balance", `{"type":"transaction","assign":true,"order":[{"type":"bundle","quantity":1,"item":"esim_UL_7D_JP_V2"}]}`, "Insufficient balance to complete this order"},
		{"affordable", `{"type":"transaction","assign":true,"order":[{"type":"bundle","quantity":2,"item":"esim_1GB_7D_JP_V2","allowReassign":false}]}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := f.call(t, http.MethodPost, "/orders", tc.body)

			if tc.message == "" {
				require.Equal(t, http.StatusOK, got.Status, string(got.Body))
				return
			}
			require.Equal(t, http.StatusBadRequest, got.Status)
			require.Equal(t, tc.message, got.message(t))
		})
	}
	require.Len(t, f.Orders(), 1)
	require.Equal(t, "6.16", f.Balance().String(), "10 - 2 × 1.92")
}

func TestServer_validateChargesNothing(t *testing.T) {
	f := start(t, sim.Options{})

	got := f.call(t, http.MethodPost, "/orders",
		`{"type":"validate","assign":true,"order":[{"type":"bundle","quantity":1,"item":"esim_5GB_30D_JP_V2","allowReassign":false}]}`)

	require.Equal(t, http.StatusOK, got.Status)
	require.JSONEq(t, `{"order":[{"type":"bundle","item":"esim_5GB_30D_JP_V2","quantity":1,"subTotal":7.35,"pricePerUnit":7.35}],
		"total":7.35,"valid":true,"currency":"USD","assigned":false,"createdDate":"`+jsonString(t, got, "createdDate")+`"}`,
		string(got.Body))
	require.Empty(t, f.Orders())
	require.Equal(t, 1, f.Validations())
	require.Equal(t, "3125.60", f.Balance().String())
}

func jsonString(t *testing.T, got answer, key string) string {
	t.Helper()
	var body map[string]any
	got.decode(t, &body)
	text, _ := body[key].(string)
	return text
}

type orderView struct {
	Order []struct {
		ESIMs []struct {
			ICCID       string `json:"iccid"`
			MatchingID  string `json:"matchingId"`
			SMDPAddress string `json:"smdpAddress"`
		} `json:"esims"`
		ICCIDs []string `json:"iccids"`
	} `json:"order"`
	Status         string `json:"status"`
	OrderReference string `json:"orderReference"`
	Total          json.Number
}

func TestServer_transactionIssuesFakeESIMs(t *testing.T) {
	f := start(t, sim.Options{})

	got := f.call(t, http.MethodPost, "/orders",
		`{"type":"transaction","assign":true,"order":[{"type":"bundle","quantity":2,"item":"esim_5GB_30D_JP_V2","allowReassign":false}]}`)

	var view orderView
	got.decode(t, &view)
	require.Equal(t, "Completed", view.Status)
	require.Equal(t, "14.70", view.Total.String())
	_, err := uuid.Parse(view.OrderReference)
	require.NoError(t, err)
	require.Len(t, view.Order, 1)
	require.Len(t, view.Order[0].ESIMs, 2)
	for i, esim := range view.Order[0].ESIMs {
		require.Regexp(t, `^8999[0-9]{15}$`, esim.ICCID)
		require.Regexp(t, `^[0-9A-F]{4}(-[0-9A-F]{4}){3}$`, esim.MatchingID)
		require.Equal(t, "rsp.esimscan.invalid", esim.SMDPAddress)
		require.Equal(t, esim.ICCID, view.Order[0].ICCIDs[i])
	}

	assignments := f.call(t, http.MethodGet, "/esims/assignments?reference="+view.OrderReference, "")
	var profiles []map[string]string
	assignments.decode(t, &profiles)
	require.Len(t, profiles, 2)
	require.Equal(t, "LPA:1$rsp.esimscan.invalid$"+profiles[0]["matchingId"], profiles[0]["rspUrl"])
	require.Equal(t, view.OrderReference, profiles[0]["reference"])

	csv := send(t, http.MethodGet, f.URL+"/v2.4/esims/assignments?reference="+view.OrderReference,
		map[string]string{"X-API-Key": f.apiKey}, "")
	require.Equal(t, "text/csv", csv.Header.Get("Content-Type"))
	require.Len(t, strings.Split(strings.TrimSpace(string(csv.Body)), "\n"), 3, "header and two eSIMs")
}

func TestServer_asyncAssignments(t *testing.T) {
	f := start(t, sim.Options{AsyncOrders: true, AssignmentPolls: 2})

	var view orderView
	f.call(t, http.MethodPost, "/orders",
		`{"type":"transaction","assign":true,"order":[{"type":"bundle","quantity":1,"item":"esim_1GB_7D_JP_V2"}]}`).decode(t, &view)

	require.Equal(t, "Processing", view.Status)
	require.Empty(t, view.Order[0].ESIMs)
	for range 2 {
		require.JSONEq(t, `[]`, string(f.call(t, http.MethodGet, "/esims/assignments?reference="+view.OrderReference, "").Body))
	}
	var profiles []map[string]string
	f.call(t, http.MethodGet, "/esims/assignments?reference="+view.OrderReference, "").decode(t, &profiles)
	require.Len(t, profiles, 1)
	require.Equal(t, "Completed", f.Orders()[0].Status)
	unknown := f.call(t, http.MethodGet, "/esims/assignments?reference=nope", "")
	require.Equal(t, http.StatusBadRequest, unknown.Status)
}

func TestServer_orderListFilters(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := now
	f := start(t, sim.Options{Now: func() time.Time { return clock }})
	body := `{"type":"transaction","assign":true,"order":[{"type":"bundle","quantity":1,"item":"esim_1GB_7D_JP_V2"}]}`
	f.call(t, http.MethodPost, "/orders", body)
	clock = now.Add(time.Hour)
	f.call(t, http.MethodPost, "/orders", body)
	f.call(t, http.MethodPost, "/orders", body)

	var all, recent, paged struct {
		Orders    []orderView `json:"orders"`
		PageCount int         `json:"pageCount"`
		Rows      int         `json:"rows"`
	}
	f.call(t, http.MethodGet, "/orders", "").decode(t, &all)
	f.call(t, http.MethodGet, "/orders?includeIccids=true&createdAt=gte:2026-01-02T03:30:00.000Z", "").decode(t, &recent)
	f.call(t, http.MethodGet, "/orders?limit=2&page=2", "").decode(t, &paged)

	require.Equal(t, 3, all.Rows)
	require.Empty(t, all.Orders[0].Order[0].ESIMs, "eSIMs only with includeIccids")
	require.Equal(t, 2, recent.Rows)
	require.Len(t, recent.Orders[0].Order[0].ESIMs, 1)
	require.Equal(t, 2, paged.PageCount)
	require.Len(t, paged.Orders, 1)
	bad := f.call(t, http.MethodGet, "/orders?createdAt=yesterday", "")
	require.Equal(t, http.StatusBadRequest, bad.Status)
	detail := f.call(t, http.MethodGet, "/orders/"+recent.Orders[0].OrderReference, "")
	require.Equal(t, http.StatusOK, detail.Status)
}

func TestServer_slowOrderIsChargedBeforeTheDelay(t *testing.T) {
	f := start(t, sim.Options{})
	f.Fail(sim.Failure{Mode: sim.FailSlow, DelayMS: 5000, Path: sim.PathOrders, OrderType: "transaction"})
	client := &http.Client{Timeout: 200 * time.Millisecond}
	req, err := http.NewRequest(http.MethodPost, f.URL+"/v2.4/orders", strings.NewReader(
		`{"type":"transaction","assign":true,"order":[{"type":"bundle","quantity":1,"item":"esim_1GB_7D_JP_V2"}]}`))
	require.NoError(t, err)
	req.Header.Set("X-API-Key", f.apiKey)

	_, err = client.Do(req)

	require.Error(t, err)
	require.Len(t, f.Orders(), 1)
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
		limited := f.call(t, http.MethodGet, "/organisation", "")
		require.Equal(t, http.StatusTooManyRequests, limited.Status)
		require.Equal(t, "3", limited.Header.Get("Retry-After"))
		require.Equal(t, "Rate limit exceeded", limited.message(t))
	}
	require.Equal(t, http.StatusOK, f.call(t, http.MethodGet, "/organisation", "").Status)

	control(http.MethodPost, "/_sim/fail", `{"mode":"500"}`)
	require.Equal(t, http.StatusOK, control(http.MethodDelete, "/_sim/fail", "").StatusCode)
	require.Equal(t, http.StatusOK, f.call(t, http.MethodGet, "/organisation", "").Status, "failures cleared")

	resp = control(http.MethodPost, "/_sim/catalog",
		`{"upsert":[{"name":"esim_1GB_7D_PE_V2","description":"eSIM, 1GB, 7 Days, Peru, V2","countries":[{"name":"Peru","region":"South America","iso":"PE"}],"dataAmount":1000,"duration":7,"unlimited":false,"price":2.5}],"remove":["esim_1GB_7D_JP_V2","esim_3GB_7D_JP_S0000001","missing"]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var change map[string]int
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&change))
	require.Equal(t, map[string]int{"upserted": 1, "removed": 2, "packages": 7 + 10 + 1 - 2}, change)

	resp = control(http.MethodPost, "/_sim/balance", `{"balance":"5.00"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, http.StatusOK, f.call(t, http.MethodPost, "/orders",
		`{"type":"transaction","assign":true,"order":[{"type":"bundle","quantity":1,"item":"esim_1GB_7D_PE_V2"}]}`).Status)
	resp = control(http.MethodGet, "/_sim/orders", "")
	var orders []sim.Order
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&orders))
	require.Len(t, orders, 1)
	require.Equal(t, "2.50", orders[0].Total)
	require.Equal(t, "2.50", f.Balance().String())

	require.Equal(t, http.StatusBadRequest, control(http.MethodPost, "/_sim/fail", `{"mode":`).StatusCode)
	require.Equal(t, http.StatusBadRequest, control(http.MethodPost, "/_sim/balance", `{"balance":"-1"}`).StatusCode)
	require.Equal(t, http.StatusNotFound, control(http.MethodGet, "/_sim/nothing", "").StatusCode)
}

func TestServer_failureLimitedToMethodAndPath(t *testing.T) {
	f := start(t, sim.Options{})
	f.Fail(sim.Failure{Mode: sim.FailServerError, Method: http.MethodGet, Path: sim.PathOrders})

	require.Equal(t, http.StatusOK, f.call(t, http.MethodGet, "/organisation", "").Status)
	require.Equal(t, http.StatusOK, f.call(t, http.MethodPost, "/orders",
		`{"type":"validate","order":[{"type":"bundle","quantity":1,"item":"esim_1GB_7D_JP_V2"}]}`).Status)
	require.Equal(t, http.StatusInternalServerError, f.call(t, http.MethodGet, "/orders", "").Status)
	require.Equal(t, http.StatusOK, f.call(t, http.MethodGet, "/orders", "").Status)
}
