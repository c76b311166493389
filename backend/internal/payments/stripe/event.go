package stripe

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"esimscan/backend/money"
)

// Stripe event types of Checkout Sessions. A session paid with a delayed
// payment method (bank debits, vouchers) completes with payment_status
// "unpaid" and reports the outcome later in one of the async events.
const (
	EventCheckoutSessionCompleted           = "checkout.session.completed"
	EventCheckoutSessionAsyncPaymentSucceed = "checkout.session.async_payment_succeeded"
	EventCheckoutSessionAsyncPaymentFailed  = "checkout.session.async_payment_failed"
)

// Event is the part of a Stripe event the store reads. Only these fields
// are decoded, and the event's api_version is ignored, so events of every
// Stripe API version that keeps these fields are accepted.
type Event struct {
	ID      string
	Type    string
	Session Session // set for checkout.session.* events
	Charge  Charge  // set for the refund events of RefundEventTypes
}

// Session is the part of a Checkout Session the store reads.
// AmountTotal is in the currency's minor unit.
type Session struct {
	ID                string
	OrderID           string // client_reference_id, else metadata order_id
	PaymentStatus     string
	PaymentIntentID   string
	AmountTotal       int64
	Currency          string // upper case
	HasPaymentDetails bool   // amount_total and currency were present
}

// eventIDPattern bounds the ids that become part of a stream name.
var eventIDPattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,255}$`)

type wireEvent struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

type wireSession struct {
	ID                string            `json:"id"`
	ClientReferenceID string            `json:"client_reference_id"`
	Metadata          map[string]string `json:"metadata"`
	PaymentStatus     string            `json:"payment_status"`
	PaymentIntent     json.RawMessage   `json:"payment_intent"` // an id, or an expanded object
	AmountTotal       *int64            `json:"amount_total"`
	Currency          string            `json:"currency"`
}

// ParseEvent reads a verified webhook body.
func ParseEvent(payload []byte) (Event, error) {
	var wire wireEvent
	if err := json.Unmarshal(payload, &wire); err != nil {
		return Event{}, fmt.Errorf("decode stripe event: %w", err)
	}
	if !eventIDPattern.MatchString(wire.ID) || wire.Type == "" {
		return Event{}, fmt.Errorf("decode stripe event: missing or invalid id or type")
	}
	event := Event{ID: wire.ID, Type: wire.Type}
	if isRefundEvent(wire.Type) {
		charge, err := parseRefundObject(wire.Type, wire.Data.Object)
		if err != nil {
			return Event{}, fmt.Errorf("decode stripe event %s: data.object: %w", wire.ID, err)
		}
		event.Charge = charge
		return event, nil
	}
	if !strings.HasPrefix(wire.Type, "checkout.session.") {
		return event, nil
	}
	var session wireSession
	if err := json.Unmarshal(wire.Data.Object, &session); err != nil {
		return Event{}, fmt.Errorf("decode stripe event %s: data.object: %w", wire.ID, err)
	}
	event.Session = Session{
		ID:              session.ID,
		OrderID:         session.ClientReferenceID,
		PaymentStatus:   session.PaymentStatus,
		PaymentIntentID: expandableID(session.PaymentIntent),
		Currency:        strings.ToUpper(session.Currency),
	}
	if event.Session.OrderID == "" {
		event.Session.OrderID = session.Metadata["order_id"]
	}
	if session.AmountTotal != nil && session.Currency != "" {
		event.Session.AmountTotal = *session.AmountTotal
		event.Session.HasPaymentDetails = true
	}
	return event, nil
}

// expandableID reads the id of an expandable field: the id itself, or the
// id of the expanded object.
func expandableID(raw json.RawMessage) string {
	var id string
	if json.Unmarshal(raw, &id) == nil {
		return id
	}
	var expanded struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &expanded) == nil {
		return expanded.ID
	}
	return ""
}

// Amount returns AmountTotal as Money: minor units back to an amount with
// the currency's number of decimals (none for JPY, three for KWD).
func (s Session) Amount() (money.Money, error) {
	amount, err := money.FromScaled(s.AmountTotal, money.MinorUnitDigits(s.Currency))
	if err != nil {
		return money.Money{}, fmt.Errorf("amount_total %d %s: %w", s.AmountTotal, s.Currency, err)
	}
	return money.New(amount, s.Currency), nil
}
