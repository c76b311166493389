package esimaccess_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	sim "esimscan/backend/internal/simulators/esimaccess"
)

type simFixture struct {
	*sim.Running
	accessCode, secretKey string
}

func start(t *testing.T, opts sim.Options) simFixture {
	t.Helper()
	opts.AccessCode = "ac-" + uuid.NewString()
	opts.SecretKey = "sk-" + uuid.NewString()
	running, err := sim.Start(opts)
	require.NoError(t, err)
	t.Cleanup(running.Close)
	require.True(t, strings.HasPrefix(running.URL, "http://127.0.0.1:"), running.URL)
	return simFixture{Running: running, accessCode: opts.AccessCode, secretKey: opts.SecretKey}
}

type answer struct {
	Status    int
	Success   bool            `json:"success"`
	ErrorCode *string         `json:"errorCode"`
	ErrorMsg  *string         `json:"errorMsg"`
	Obj       json.RawMessage `json:"obj"`
}

// code returns the error code, or "" on success, where the API sends null
// or "0".
func (a answer) code() string {
	if a.ErrorCode == nil || *a.ErrorCode == "0" {
		return ""
	}
	return *a.ErrorCode
}

// post sends body to path with the given headers; sign adds a valid
// signature made with secret.
func post(t *testing.T, url string, headers map[string]string, body string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	for key, value := range headers {
		req.Header.Set(key, value)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	got := answer{Status: resp.StatusCode}
	if resp.StatusCode == http.StatusOK {
		require.NoError(t, json.Unmarshal(data, &got), string(data))
	}
	return got
}

func signedHeaders(accessCode, secret string, at time.Time, body string) map[string]string {
	timestamp := strconv.FormatInt(at.UnixMilli(), 10)
	requestID := strings.ReplaceAll(uuid.NewString(), "-", "")
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + requestID + accessCode + body))
	return map[string]string{
		"RT-AccessCode": accessCode,
		"RT-RequestID":  requestID,
		"RT-Timestamp":  timestamp,
		"RT-Signature":  hex.EncodeToString(mac.Sum(nil)), // lower case on purpose
	}
}

func (f simFixture) call(t *testing.T, path, body string) answer {
	t.Helper()
	return post(t, f.URL+path, signedHeaders(f.accessCode, f.secretKey, time.Now(), body), body)
}

func TestServer_authentication(t *testing.T) {
	f := start(t, sim.Options{})
	now := time.Now()
	cases := []struct {
		name    string
		headers map[string]string
		code    string
	}{
		{"access code alone", map[string]string{"RT-AccessCode": f.accessCode}, ""},
		{"lower-case signature", signedHeaders(f.accessCode, f.secretKey, now, ""), ""},
		{"missing access code", map[string]string{}, "000101"},
		{"unknown access code", map[string]string{"RT-AccessCode": "someone-else"}, "000102"},
		{"wrong secret", signedHeaders(f.accessCode, "sk-wrong", now, ""), "101003"},
		{"expired timestamp", signedHeaders(f.accessCode, f.secretKey, now.Add(-11*time.Minute), ""), "101001"},
		{"signature without timestamp", map[string]string{"RT-AccessCode": f.accessCode, "RT-Signature": "AB"}, "000101"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := post(t, f.URL+sim.PathBalance, tc.headers, "")

			require.Equal(t, http.StatusOK, got.Status)
			require.Equal(t, tc.code == "", got.Success)
			require.Equal(t, tc.code, got.code())
		})
	}
}

func TestServer_signatureCoversBody(t *testing.T) {
	f := start(t, sim.Options{})
	headers := signedHeaders(f.accessCode, f.secretKey, time.Now(), `{"type":"BASE"}`)

	got := post(t, f.URL+sim.PathPackageList, headers, `{"type":"TOPUP"}`)

	require.Equal(t, "101003", got.code())
}

func TestServer_unknownPathIsPlain404(t *testing.T) {
	f := start(t, sim.Options{})

	got := post(t, f.URL+"/api/v1/open/getMerchantBalance", map[string]string{"RT-AccessCode": f.accessCode}, "")

	require.Equal(t, http.StatusNotFound, got.Status)
}

func TestServer_balanceInTenThousandths(t *testing.T) {
	f := start(t, sim.Options{Balance: 500000})

	got := f.call(t, sim.PathBalance, "")

	require.True(t, got.Success)
	require.JSONEq(t, `{"balance": 500000}`, string(got.Obj))
}

func TestServer_packageListIsOneValidBody(t *testing.T) {
	f := start(t, sim.Options{Packages: 1000})

	got := f.call(t, sim.PathPackageList, `{"locationCode":"","type":"BASE","slug":"","packageCode":"","iccid":""}`)

	require.True(t, got.Success)
	var obj struct {
		PackageList []sim.Package `json:"packageList"`
	}
	require.NoError(t, json.Unmarshal(got.Obj, &obj))
	require.Len(t, obj.PackageList, 1007)
	codes := map[string]bool{}
	daily, regional := 0, 0
	for _, pkg := range obj.PackageList {
		require.False(t, codes[pkg.PackageCode], "duplicate %s", pkg.PackageCode)
		codes[pkg.PackageCode] = true
		if pkg.DataType == 2 {
			daily++
		}
		if len(pkg.LocationCode) != 2 {
			regional++
		}
	}
	require.Equal(t, 100+2, daily)
	require.Equal(t, 200+2, regional)
}

func TestServer_packageListFilters(t *testing.T) {
	f := start(t, sim.Options{})
	cases := map[string]int{
		`{"type":"TOPUP"}`:            0,
		`{"locationCode":"JP"}`:       2,
		`{"locationCode":"!RG"}`:      2,
		`{"dataType":2}`:              2,
		`{"packageCode":"PUS7LM0Q2"}`: 1,
		`{"slug":"TH_1_Daily"}`:       1,
		``:                            7,
	}
	for body, want := range cases {
		t.Run(body, func(t *testing.T) {
			got := f.call(t, sim.PathPackageList, body)

			var obj struct {
				PackageList []json.RawMessage `json:"packageList"`
			}
			require.NoError(t, json.Unmarshal(got.Obj, &obj))
			require.Len(t, obj.PackageList, want)
		})
	}
}

func TestServer_orderChecks(t *testing.T) {
	f := start(t, sim.Options{Balance: 30000})
	cases := []struct {
		name string
		body string
		code string
	}{
		{"no transaction id", `{"packageInfoList":[{"packageCode":"P8KQ2JD55","count":1}]}`, "000105"},
		{"long transaction id", `{"transactionId":"` + strings.Repeat("x", 51) + `","packageInfoList":[{"packageCode":"P8KQ2JD55"}]}`, "000107"},
		{"unknown package", `{"transactionId":"t-1","packageInfoList":[{"packageCode":"NOPE","count":1}]}`, "310241"},
		{"wrong line price", `{"transactionId":"t-2","packageInfoList":[{"packageCode":"P8KQ2JD55","count":1,"price":1}]}`, "200005"},
		{"wrong total", `{"transactionId":"t-3","amount":1,"packageInfoList":[{"packageCode":"P8KQ2JD55","count":1,"price":24500}]}`, "200006"},
		{"insufficient balance", `{"transactionId":"t-4","packageInfoList":[{"packageCode":"P8KQ2JD55","count":2}]}`, "200007"},
		{"day pass price per period", `{"transactionId":"t-5","amount":28500,"packageInfoList":[{"packageCode":"PD7TH2K5Q","count":1,"price":28500,"periodNum":3}]}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := f.call(t, sim.PathOrder, tc.body)

			require.Equal(t, tc.code, got.code())
		})
	}
	require.Len(t, f.Orders(), 1)
	require.Equal(t, int64(30000-28500), f.Balance())
}

func TestServer_queryPendingThenReady(t *testing.T) {
	f := start(t, sim.Options{AllocationPolls: 2})
	placed := f.call(t, sim.PathOrder, `{"transactionId":"t-q","packageInfoList":[{"packageCode":"P8KQ2JD41","count":2}]}`)
	require.True(t, placed.Success)
	var order struct {
		OrderNo string `json:"orderNo"`
	}
	require.NoError(t, json.Unmarshal(placed.Obj, &order))
	query := `{"orderNo":"` + order.OrderNo + `","iccid":"","pager":{"pageNum":1,"pageSize":20}}`

	require.Equal(t, "200010", f.call(t, sim.PathQuery, query).code())
	require.Equal(t, "200010", f.call(t, sim.PathQuery, query).code())
	ready := f.call(t, sim.PathQuery, query)

	require.True(t, ready.Success)
	var obj struct {
		ESIMList []struct {
			ICCID string `json:"iccid"`
			AC    string `json:"ac"`
		} `json:"esimList"`
		Pager struct {
			Total int `json:"total"`
		} `json:"pager"`
	}
	require.NoError(t, json.Unmarshal(ready.Obj, &obj))
	require.Len(t, obj.ESIMList, 2)
	require.Equal(t, 2, obj.Pager.Total)
	for _, esim := range obj.ESIMList {
		require.Regexp(t, `^8999[0-9]{15}$`, esim.ICCID)
		require.Regexp(t, `^LPA:1\$sim\.esimscan\.invalid\$[0-9A-F]{32}$`, esim.AC)
	}
	require.Equal(t, "000105", f.call(t, sim.PathQuery, `{"orderNo":"`+order.OrderNo+`"}`).code(), "pager is mandatory")
	require.Equal(t, "310272", f.call(t, sim.PathQuery, `{"orderNo":"B0","pager":{"pageNum":1,"pageSize":20}}`).code())
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
		limited := post(t, f.URL+sim.PathBalance, map[string]string{"RT-AccessCode": f.accessCode}, "")
		require.Equal(t, http.StatusTooManyRequests, limited.Status)
	}
	require.True(t, f.call(t, sim.PathBalance, "").Success)

	resp = control(http.MethodPost, "/_sim/catalog",
		`{"upsert":[{"packageCode":"PNEW1","name":"Peru 1GB 7Days","price":5000,"currencyCode":"USD","volume":1073741824,"dataType":1,"duration":7,"durationUnit":"DAY","location":"PE","locationCode":"PE"}],"remove":["P8KQ2JD41","PSYN0000003","MISSING"]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var change map[string]int
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&change))
	require.Equal(t, map[string]int{"upserted": 1, "removed": 2, "packages": 7 + 10 + 1 - 2}, change)

	require.True(t, f.call(t, sim.PathOrder, `{"transactionId":"t-c","packageInfoList":[{"packageCode":"PNEW1"}]}`).Success)
	resp = control(http.MethodGet, "/_sim/orders", "")
	var orders []sim.Order
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&orders))
	require.Len(t, orders, 1)
	require.Equal(t, "t-c", orders[0].TransactionID)
	require.Equal(t, int64(5000), orders[0].Amount)

	require.Equal(t, http.StatusBadRequest, control(http.MethodPost, "/_sim/fail", `{"mode":`).StatusCode)
	require.Equal(t, http.StatusNotFound, control(http.MethodGet, "/_sim/nothing", "").StatusCode)
}

func TestServer_failureLimitedToPath(t *testing.T) {
	f := start(t, sim.Options{})
	f.Fail(sim.Failure{Mode: sim.FailServerError, Path: sim.PathOrder})

	require.True(t, f.call(t, sim.PathBalance, "").Success)
	require.Equal(t, http.StatusInternalServerError, f.call(t, sim.PathOrder, `{}`).Status)
	require.True(t, f.call(t, sim.PathBalance, "").Success)
}
