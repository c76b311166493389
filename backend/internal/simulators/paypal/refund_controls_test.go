package paypal

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// capturedOrder creates, approves and captures an order of 10.00 USD with
// custom_id order-1, and returns the capture id and a bearer header.
func capturedOrder(t *testing.T, run *Running) (string, http.Header) {
	t.Helper()
	_, access := token(t, run, "id-1", "secret-1")
	bearer := http.Header{"Authorization": {"Bearer " + access}}
	var created struct{ ID string }
	_ = json.NewDecoder(post(t, run.URL+PathOrders, bearer, `{"intent":"CAPTURE",
		"purchase_units":[{"custom_id":"order-1","amount":{"currency_code":"USD","value":"10.00"}}],
		"application_context":{"return_url":"http://127.0.0.1:1/back"}}`).Body).Decode(&created)
	if !run.Approve(created.ID) {
		t.Fatalf("order %q could not be approved", created.ID)
	}
	post(t, run.URL+PathOrders+"/"+created.ID+"/capture", bearer, `{}`)
	view, _ := run.Order(created.ID)
	if len(view.CaptureIDs) != 1 {
		t.Fatalf("order %s has captures %v, want one", created.ID, view.CaptureIDs)
	}
	return view.CaptureIDs[0], bearer
}

type refundView struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	CustomID string `json:"custom_id"`
	Amount   amount `json:"amount"`
}

func TestDashboardRefund_withoutCustomID(t *testing.T) {
	run := startServer(t)
	captureID, _ := capturedOrder(t, run)

	resp := post(t, run.URL+"/_sim/captures/"+captureID+"/refund", nil, `{"amount":{"currency_code":"USD","value":"4.00"}}`)
	var refund refundView
	if err := json.NewDecoder(resp.Body).Decode(&refund); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("dashboard refund: status %d, decode error %v", resp.StatusCode, err)
	}
	if refund.ID == "" || refund.Status != "COMPLETED" || refund.Amount.Value != "4.00" {
		t.Errorf("dashboard refund = %+v, want COMPLETED 4.00", refund)
	}
	if refund.CustomID != "" {
		t.Errorf("dashboard refund custom_id = %q, want none", refund.CustomID)
	}
	if status, refunded, _ := run.CaptureStatus(captureID); status != CapturePartiallyRefunded || refunded != "4.00" {
		t.Errorf("capture after the dashboard refund = %s, %s refunded", status, refunded)
	}

	full := post(t, run.URL+"/_sim/captures/"+captureID+"/refund", nil, ``)
	if full.StatusCode != http.StatusCreated {
		t.Errorf("dashboard refund of the rest: status %d, want 201", full.StatusCode)
	}
	if status, refunded, _ := run.CaptureStatus(captureID); status != CaptureRefunded || refunded != "10.00" {
		t.Errorf("capture after the full dashboard refund = %s, %s refunded", status, refunded)
	}
	if unknown := post(t, run.URL+"/_sim/captures/NOPE/refund", nil, ``); unknown.StatusCode != http.StatusNotFound {
		t.Errorf("dashboard refund of an unknown capture: status %d, want 404", unknown.StatusCode)
	}
}

func TestRefund_customIDOfRequest(t *testing.T) {
	run := startServer(t)
	captureID, bearer := capturedOrder(t, run)
	resp := post(t, run.URL+PathCaptures+"/"+captureID+"/refund", bearer,
		`{"amount":{"currency_code":"USD","value":"1.00"},"custom_id":"order-1"}`)
	var refund refundView
	if err := json.NewDecoder(resp.Body).Decode(&refund); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("API refund: status %d, decode error %v", resp.StatusCode, err)
	}
	if refund.CustomID != "order-1" {
		t.Errorf("API refund custom_id = %q, want order-1", refund.CustomID)
	}
}

func TestGetCapture_customID(t *testing.T) {
	run := startServer(t)
	captureID, bearer := capturedOrder(t, run)
	get := func(header http.Header, id string) *http.Response {
		req, err := http.NewRequest(http.MethodGet, run.URL+PathCaptures+"/"+id, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header = header
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	resp := get(bearer, captureID)
	var capture struct {
		ID       string `json:"id"`
		CustomID string `json:"custom_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&capture); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET capture: status %d, decode error %v", resp.StatusCode, err)
	}
	if capture.ID != captureID || capture.CustomID != "order-1" {
		t.Errorf("capture = %+v, want %s with custom_id order-1", capture, captureID)
	}
	if resp := get(bearer, "NOPE"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET of an unknown capture: status %d, want 404", resp.StatusCode)
	}
	if resp := get(http.Header{}, captureID); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET without a token: status %d, want 401", resp.StatusCode)
	}
}
