package paypal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	paypalsdk "github.com/plutov/paypal/v4"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/money"
)

// Webhook event types the store acts on.
const (
	EventOrderApproved    = "CHECKOUT.ORDER.APPROVED"
	EventCaptureCompleted = "PAYMENT.CAPTURE.COMPLETED"
	EventCaptureDenied    = "PAYMENT.CAPTURE.DENIED"
	EventCaptureRefunded  = "PAYMENT.CAPTURE.REFUNDED"
)

// ErrInvalidWebhook reports a delivery PayPal did not sign: missing
// headers, a body that is not JSON, or a verification_status other than
// SUCCESS. The webhook route returns 400.
var ErrInvalidWebhook = errors.New("invalid paypal webhook")

// Event is a verified webhook event. ID is PayPal's event id, the key to
// record each event once. Fields the event type does not carry are empty.
type Event struct {
	ID   string
	Type string
	// OrderID is the PayPal order id.
	OrderID string
	// CaptureID is the capture, for capture and refund events.
	CaptureID string
	// RefundID is the refund, for PAYMENT.CAPTURE.REFUNDED.
	RefundID string
	// CustomID is the esimScan order id sent at checkout.
	CustomID string
	// Amount is the captured or refunded amount; zero for order events.
	Amount money.Money
	// CreatedAt is the create_time of a capture or refund, zero when the
	// resource has none or it is not RFC 3339.
	CreatedAt time.Time
}

// webhookHeaders maps the verify-webhook-signature fields to the headers
// PayPal sends them in.
var webhookHeaders = []struct{ field, header string }{
	{"auth_algo", "Paypal-Auth-Algo"},
	{"cert_url", "Paypal-Cert-Url"},
	{"transmission_id", "Paypal-Transmission-Id"},
	{"transmission_sig", "Paypal-Transmission-Sig"},
	{"transmission_time", "Paypal-Transmission-Time"},
}

// VerifyWebhook has PayPal verify a delivery with
// POST /v1/notifications/verify-webhook-signature, forwarding rawBody
// byte for byte as webhook_event, then reads the event. An unsigned or
// altered delivery returns an error wrapping ErrInvalidWebhook; a failed
// call to PayPal returns an *adapters.Error, after which the route should
// answer 5xx so that PayPal delivers again.
func (g *Gateway) VerifyWebhook(ctx context.Context, headers http.Header, rawBody []byte) (Event, error) {
	body, err := g.verifyRequest(headers, rawBody)
	if err != nil {
		return Event{}, err
	}
	var answer paypalsdk.VerifyWebhookResponse
	err = g.call(ctx, request{
		method: http.MethodPost, path: "/v1/notifications/verify-webhook-signature",
		body: body, what: "webhook verification", out: &answer,
	})
	if err != nil {
		return Event{}, fmt.Errorf("verify paypal webhook: %w", err)
	}
	if answer.VerificationStatus != "SUCCESS" {
		return Event{}, fmt.Errorf("%w: verification_status is %q", ErrInvalidWebhook, answer.VerificationStatus)
	}
	return parseEvent(rawBody)
}

// verifyRequest writes the verification request by hand, because
// json.Marshal would compact a json.RawMessage and PayPal checks the
// signature over the delivered bytes.
func (g *Gateway) verifyRequest(headers http.Header, rawBody []byte) ([]byte, error) {
	fields := map[string]string{"webhook_id": g.config.WebhookID}
	for _, h := range webhookHeaders {
		value := headers.Get(h.header)
		if value == "" {
			return nil, fmt.Errorf("%w: header %s is missing", ErrInvalidWebhook, h.header)
		}
		fields[h.field] = value
	}
	if !json.Valid(rawBody) {
		return nil, fmt.Errorf("%w: body is not JSON", ErrInvalidWebhook)
	}
	encoded, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("encode webhook verification: %w", err)
	}
	var buf bytes.Buffer
	buf.Write(encoded[:len(encoded)-1])
	buf.WriteString(`,"webhook_event":`)
	buf.Write(rawBody)
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

type webhookEvent struct {
	ID        string          `json:"id"`
	EventType string          `json:"event_type"`
	Resource  json.RawMessage `json:"resource"`
}

// webhookResource has the fields esimScan reads from an order, capture or
// refund resource.
type webhookResource struct {
	ID                string                        `json:"id"`
	CustomID          string                        `json:"custom_id"`
	CreateTime        string                        `json:"create_time"`
	Amount            *paypalsdk.PurchaseUnitAmount `json:"amount"`
	PurchaseUnits     []paypalsdk.PurchaseUnit      `json:"purchase_units"`
	Links             []paypalsdk.Link              `json:"links"`
	SupplementaryData struct {
		RelatedIDs struct {
			OrderID   string `json:"order_id"`
			CaptureID string `json:"capture_id"`
		} `json:"related_ids"`
	} `json:"supplementary_data"`
}

// parseEvent reads a verified event. Event types other than the four the
// store acts on return only ID and Type.
func parseEvent(rawBody []byte) (Event, error) {
	var envelope webhookEvent
	if err := json.Unmarshal(rawBody, &envelope); err != nil || envelope.ID == "" || envelope.EventType == "" {
		return Event{}, badEvent("event without id or event_type", err)
	}
	event := Event{ID: envelope.ID, Type: envelope.EventType}
	if event.Type != EventOrderApproved && event.Type != EventCaptureCompleted && event.Type != EventCaptureDenied &&
		event.Type != EventCaptureRefunded {
		return event, nil
	}
	var resource webhookResource
	if err := json.Unmarshal(envelope.Resource, &resource); err != nil || resource.ID == "" {
		return Event{}, badEvent(event.Type+" event without a resource id", err)
	}

	switch event.Type {
	case EventOrderApproved:
		event.OrderID = resource.ID
		if len(resource.PurchaseUnits) > 0 {
			event.CustomID = resource.PurchaseUnits[0].CustomID
		}
		return event, nil
	case EventCaptureCompleted, EventCaptureDenied:
		event.CaptureID = resource.ID
		event.OrderID = resource.SupplementaryData.RelatedIDs.OrderID
	case EventCaptureRefunded:
		event.RefundID = resource.ID
		event.CaptureID = resource.SupplementaryData.RelatedIDs.CaptureID
		if event.CaptureID == "" {
			event.CaptureID = captureIDFromLinks(resource.Links)
		}
		event.OrderID = resource.SupplementaryData.RelatedIDs.OrderID
	}
	event.CustomID = resource.CustomID
	if created, err := time.Parse(time.RFC3339, resource.CreateTime); err == nil {
		event.CreatedAt = created.UTC()
	}
	amount, err := parseAmount(resource.Amount)
	if err != nil {
		return Event{}, badEvent(event.Type+" event amount", err)
	}
	event.Amount = amount
	return event, nil
}

// captureIDFromLinks reads the capture id from a refund's "up" link,
// ".../v2/payments/captures/{id}".
func captureIDFromLinks(links []paypalsdk.Link) string {
	for _, l := range links {
		if l.Rel != "up" {
			continue
		}
		if _, id, ok := strings.Cut(l.Href, "/v2/payments/captures/"); ok {
			return strings.TrimSuffix(id, "/")
		}
	}
	return ""
}

func badEvent(message string, err error) error {
	return &adapters.Error{Cause: adapters.CauseBadResponse, Message: "paypal webhook: " + message, Err: err}
}
