package paypal

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"strconv"
	"time"
)

// Webhook event types the simulator can deliver.
const (
	EventOrderApproved    = "CHECKOUT.ORDER.APPROVED"
	EventCaptureCompleted = "PAYMENT.CAPTURE.COMPLETED"
	EventCaptureRefunded  = "PAYMENT.CAPTURE.REFUNDED"
)

// authAlgo is the algorithm PayPal names in its deliveries. The simulator
// signs with HMAC-SHA256 instead, because only it verifies its signatures.
const authAlgo = "SHA256withRSA"

// Delivery is one webhook POST as PayPal sends it: the PAYPAL-* headers and
// the exact body bytes.
type Delivery struct {
	Header http.Header
	Body   []byte
}

type webhookEvent struct {
	ID              string          `json:"id"`
	CreateTime      string          `json:"create_time"`
	ResourceType    string          `json:"resource_type"`
	EventType       string          `json:"event_type"`
	EventVersion    string          `json:"event_version"`
	ResourceVersion string          `json:"resource_version"`
	Summary         string          `json:"summary"`
	Resource        json.RawMessage `json:"resource"`
}

// SignedDelivery builds a delivery of eventType with resource as its
// resource object, signed for webhookID. Only this server's
// verify-webhook-signature endpoint accepts the signature, and only for
// the same webhook id and the exact body bytes.
func (s *Server) SignedDelivery(webhookID, eventType string, resource any) (Delivery, error) {
	raw, err := json.Marshal(resource)
	if err != nil {
		return Delivery{}, fmt.Errorf("encode webhook resource: %w", err)
	}
	s.mu.Lock()
	eventID := s.nextID("WH-SIM-")
	transmissionID := s.nextID("TX-SIM-")
	s.mu.Unlock()
	resourceType := map[string]string{
		EventOrderApproved:    "checkout-order",
		EventCaptureCompleted: "capture",
		EventCaptureRefunded:  "refund",
	}[eventType]
	body, err := json.Marshal(webhookEvent{
		ID:              eventID,
		CreateTime:      time.Now().UTC().Format(time.RFC3339),
		ResourceType:    resourceType,
		EventType:       eventType,
		EventVersion:    "1.0",
		ResourceVersion: "2.0",
		Summary:         "simulated " + eventType,
		Resource:        raw,
	})
	if err != nil {
		return Delivery{}, fmt.Errorf("encode webhook event: %w", err)
	}
	return s.Sign(webhookID, transmissionID, body), nil
}

// Sign returns a delivery of body as given, signed for webhookID, for tests
// that need exact bytes such as pretty-printed JSON.
func (s *Server) Sign(webhookID, transmissionID string, body []byte) Delivery {
	transmissionTime := time.Now().UTC().Format(time.RFC3339)
	header := http.Header{}
	header.Set("Content-Type", "application/json")
	header.Set("Paypal-Transmission-Id", transmissionID)
	header.Set("Paypal-Transmission-Time", transmissionTime)
	header.Set("Paypal-Transmission-Sig", s.signature(transmissionID, transmissionTime, webhookID, body))
	header.Set("Paypal-Auth-Algo", authAlgo)
	header.Set("Paypal-Cert-Url", "https://api.sandbox.paypal.com"+PathCert)
	return Delivery{Header: header, Body: body}
}

// signature signs the string PayPal signs:
// transmission_id|transmission_time|webhook_id|crc32 of the body.
func (s *Server) signature(transmissionID, transmissionTime, webhookID string, body []byte) string {
	message := transmissionID + "|" + transmissionTime + "|" + webhookID + "|" +
		strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10)
	mac := hmac.New(sha256.New, s.signingKey)
	mac.Write([]byte(message))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// OrderResource returns the order with id as a CHECKOUT.ORDER.APPROVED
// resource, or nil when it does not exist.
func (s *Server) OrderResource(id string) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return nil
	}
	return json.RawMessage(s.marshalLocked(o))
}

// CaptureResource returns the capture with id as a PAYMENT.CAPTURE.COMPLETED
// resource, or nil when it does not exist.
func (s *Server) CaptureResource(id string) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.captures[id]
	if !ok {
		return nil
	}
	return json.RawMessage(s.marshalLocked(c))
}

// LastRefundResource returns the newest refund of the capture with id as a
// PAYMENT.CAPTURE.REFUNDED resource, or nil when it has none.
func (s *Server) LastRefundResource(captureID string) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.captures[captureID]
	if !ok || len(c.refunds) == 0 {
		return nil
	}
	return json.RawMessage(s.marshalLocked(c.refunds[len(c.refunds)-1]))
}

type verifyRequest struct {
	AuthAlgo         string          `json:"auth_algo"`
	CertURL          string          `json:"cert_url"`
	TransmissionID   string          `json:"transmission_id"`
	TransmissionSig  string          `json:"transmission_sig"`
	TransmissionTime string          `json:"transmission_time"`
	WebhookID        string          `json:"webhook_id"`
	WebhookEvent     json.RawMessage `json:"webhook_event"`
}

// serveVerifyWebhook answers SUCCESS only for a delivery this server
// signed, checked over the exact bytes of webhook_event.
func (s *Server) serveVerifyWebhook(w http.ResponseWriter, r *http.Request) {
	var req verifyRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeInvalidRequest(w, "/", "MALFORMED_REQUEST_JSON", "The request JSON is not well formed.")
		return
	}
	for field, value := range map[string]string{
		"auth_algo": req.AuthAlgo, "cert_url": req.CertURL, "transmission_id": req.TransmissionID,
		"transmission_sig": req.TransmissionSig, "transmission_time": req.TransmissionTime,
		"webhook_id": req.WebhookID,
	} {
		if value == "" {
			writeInvalidRequest(w, "/"+field, "MISSING_REQUIRED_PARAMETER", field+" is required")
			return
		}
	}
	if len(req.WebhookEvent) == 0 {
		writeInvalidRequest(w, "/webhook_event", "MISSING_REQUIRED_PARAMETER", "webhook_event is required")
		return
	}
	want := s.signature(req.TransmissionID, req.TransmissionTime, req.WebhookID, req.WebhookEvent)
	status := "FAILURE"
	if req.AuthAlgo == authAlgo && hmac.Equal([]byte(want), []byte(req.TransmissionSig)) {
		status = "SUCCESS"
	}
	writeJSON(w, http.StatusOK, map[string]string{"verification_status": status})
}
