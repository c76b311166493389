package paypal

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func startServer(t *testing.T) *Running {
	t.Helper()
	run, err := Start(Options{ClientID: "id-1", ClientSecret: "secret-1"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(run.Close)
	return run
}

func post(t *testing.T, url string, header http.Header, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for key, values := range header {
		req.Header[key] = values
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func token(t *testing.T, run *Running, id, secret string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, run.URL+PathToken, strings.NewReader("grant_type=client_credentials"))
	req.SetBasicAuth(id, secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("token request: %v", err)
	}
	defer resp.Body.Close()
	var body tokenResponse
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp, body.AccessToken
}

func TestServer_token_basicAuth(t *testing.T) {
	run := startServer(t)
	if resp, _ := token(t, run, "id-1", "wrong"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong secret: status %d, want 401", resp.StatusCode)
	}
	resp, access := token(t, run, "id-1", "secret-1")
	if resp.StatusCode != http.StatusOK || access == "" {
		t.Errorf("valid credentials: status %d, token %q", resp.StatusCode, access)
	}
	if calls := run.TokenCalls(); calls != 2 {
		t.Errorf("TokenCalls = %d, want 2", calls)
	}
}

func TestServer_createOrder_idempotentAndExactDigits(t *testing.T) {
	run := startServer(t)
	_, access := token(t, run, "id-1", "secret-1")
	header := http.Header{"Authorization": {"Bearer " + access}, "Paypal-Request-Id": {"req-1"}}
	order := `{"intent":"CAPTURE","purchase_units":[{"amount":{"currency_code":"JPY","value":"%s"}}],
		"application_context":{"return_url":"http://127.0.0.1:1/back"}}`

	bad := post(t, run.URL+PathOrders, http.Header{"Authorization": header["Authorization"]},
		strings.Replace(order, "%s", "1500.00", 1))
	if bad.StatusCode != http.StatusBadRequest {
		t.Errorf("JPY with decimals: status %d, want 400", bad.StatusCode)
	}

	var first, second struct{ ID string }
	_ = json.NewDecoder(post(t, run.URL+PathOrders, header, strings.Replace(order, "%s", "1500", 1)).Body).Decode(&first)
	_ = json.NewDecoder(post(t, run.URL+PathOrders, header, strings.Replace(order, "%s", "1500", 1)).Body).Decode(&second)
	if first.ID == "" || first.ID != second.ID {
		t.Errorf("order ids %q and %q, want one order for one PayPal-Request-Id", first.ID, second.ID)
	}

	unauthorized := post(t, run.URL+PathOrders, nil, strings.Replace(order, "%s", "1500", 1))
	if unauthorized.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a token: status %d, want 401", unauthorized.StatusCode)
	}
}

func TestServer_approve_unknownToken(t *testing.T) {
	run := startServer(t)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(run.URL + PathApprove + "?token=NOPE")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("status %d, want 404", resp.StatusCode)
	}
}
