package paypal

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestWebhookControl_deliveryVerifies(t *testing.T) {
	run := startServer(t)
	_, access := token(t, run, "id-1", "secret-1")
	bearer := http.Header{"Authorization": {"Bearer " + access}}
	var created struct{ ID string }
	_ = json.NewDecoder(post(t, run.URL+PathOrders, bearer, `{"intent":"CAPTURE",
		"purchase_units":[{"custom_id":"order-1","amount":{"currency_code":"USD","value":"1.23"}}],
		"application_context":{"return_url":"http://127.0.0.1:1/back"}}`).Body).Decode(&created)
	if !run.Approve(created.ID) {
		t.Fatalf("order %q could not be approved", created.ID)
	}

	resp := post(t, run.URL+"/_sim/webhook", nil,
		`{"webhook_id":"WH-1","event_type":"CHECKOUT.ORDER.APPROVED","order_id":"`+created.ID+`"}`)
	var signed deliveryJSON
	if err := json.NewDecoder(resp.Body).Decode(&signed); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /_sim/webhook: status %d, decode error %v", resp.StatusCode, err)
	}
	if !strings.Contains(signed.Body, created.ID) {
		t.Errorf("delivery body %s does not carry the order", signed.Body)
	}

	verify := func(webhookID, body string) string {
		request, _ := json.Marshal(map[string]any{
			"auth_algo": signed.Headers["Paypal-Auth-Algo"], "cert_url": signed.Headers["Paypal-Cert-Url"],
			"transmission_id": signed.Headers["Paypal-Transmission-Id"], "transmission_sig": signed.Headers["Paypal-Transmission-Sig"],
			"transmission_time": signed.Headers["Paypal-Transmission-Time"], "webhook_id": webhookID,
			"webhook_event": json.RawMessage(body),
		})
		var answer struct {
			VerificationStatus string `json:"verification_status"`
		}
		_ = json.NewDecoder(post(t, run.URL+PathVerifyWebhook, bearer, string(request)).Body).Decode(&answer)
		return answer.VerificationStatus
	}
	if status := verify("WH-1", signed.Body); status != "SUCCESS" {
		t.Errorf("the delivery as handed out verifies as %q, want SUCCESS", status)
	}
	if status := verify("WH-2", signed.Body); status != "FAILURE" {
		t.Errorf("another webhook id verifies as %q, want FAILURE", status)
	}
}

func TestWebhookControl_unknownResourceRejected(t *testing.T) {
	run := startServer(t)
	cases := map[string]struct {
		body   string
		status int
	}{
		"unknown order":      {`{"webhook_id":"WH-1","event_type":"CHECKOUT.ORDER.APPROVED","order_id":"NOPE"}`, http.StatusNotFound},
		"unknown capture":    {`{"webhook_id":"WH-1","event_type":"PAYMENT.CAPTURE.COMPLETED","capture_id":"NOPE"}`, http.StatusNotFound},
		"unknown event type": {`{"webhook_id":"WH-1","event_type":"BILLING.PLAN.CREATED"}`, http.StatusBadRequest},
		"no webhook id":      {`{"event_type":"CHECKOUT.ORDER.APPROVED","order_id":"NOPE"}`, http.StatusBadRequest},
		"not JSON":           {`{`, http.StatusBadRequest},
	}
	for name, tc := range cases {
		if resp := post(t, run.URL+"/_sim/webhook", nil, tc.body); resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", name, resp.StatusCode, tc.status)
		}
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(run.URL + "/_sim/orders/NOPE")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /_sim/orders/NOPE: status %d, want 404", resp.StatusCode)
	}
}
