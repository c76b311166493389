package stripe

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"esimscan/backend/money"
)

// Stripe event types that report refunds. charge.refunded is sent for
// every refund of a charge on every API version, so it alone would do.
// Its charge embeds the refunds list only on API versions before
// 2022-11-15, though, and it is sent when the refund is created, while a
// refund can still be pending. The refund events carry one refund with its
// current status: charge.refund.updated on every version, and
// refund.created and refund.updated for card refunds from API version
// 2024-10-28.acacia. Handling them as well records a refund that succeeds
// after charge.refunded without another call to Stripe. Every refund is
// recorded once by its id, so the overlap costs nothing.
const (
	EventChargeRefunded      = "charge.refunded"
	EventChargeRefundUpdated = "charge.refund.updated"
	EventRefundCreated       = "refund.created"
	EventRefundUpdated       = "refund.updated"
)

// RefundSucceeded is the status of a refund whose money went back to the
// buyer.
const RefundSucceeded = "succeeded"

// Charge is the charge and refunds that a refund event reports.
type Charge struct {
	// ID is the charge (ch_…), empty for a refund of a payment without one.
	ID string
	// OrderID is the metadata order_id of the charge, which Stripe copies
	// from the PaymentIntent, or of a refund the store created. A refund
	// made in the Stripe dashboard carries none.
	OrderID         string
	PaymentIntentID string
	// Refunds are the refunds the event carries. RefundsComplete is false
	// when the charge's refunds list is missing (charge.refunded on API
	// version 2022-11-15 or later) or has more pages.
	Refunds         []ChargeRefund
	RefundsComplete bool
}

// ChargeRefund is one refund. Amount is in the currency's minor unit.
type ChargeRefund struct {
	ID       string
	Amount   int64
	Currency string // upper case
	Status   string // succeeded, pending, requires_action, failed or canceled
	Created  time.Time
}

// Money returns Amount as Money, with the currency's number of decimals
// (none for JPY, three for KWD).
func (r ChargeRefund) Money() (money.Money, error) {
	amount, err := money.FromScaled(r.Amount, money.MinorUnitDigits(r.Currency))
	if err != nil || r.Currency == "" {
		return money.Money{}, fmt.Errorf("refund %s amount %d %q: invalid amount or currency: %w", r.ID, r.Amount, r.Currency, err)
	}
	return money.New(amount, r.Currency), nil
}

func isRefundEvent(eventType string) bool {
	switch eventType {
	case EventChargeRefunded, EventChargeRefundUpdated, EventRefundCreated, EventRefundUpdated:
		return true
	}
	return false
}

type wireRefund struct {
	ID            string            `json:"id"`
	Amount        int64             `json:"amount"`
	Currency      string            `json:"currency"`
	Status        string            `json:"status"`
	Created       int64             `json:"created"`
	Charge        json.RawMessage   `json:"charge"`         // an id, or an expanded object
	PaymentIntent json.RawMessage   `json:"payment_intent"` // an id, or an expanded object
	Metadata      map[string]string `json:"metadata"`
}

type wireCharge struct {
	ID            string            `json:"id"`
	Metadata      map[string]string `json:"metadata"`
	PaymentIntent json.RawMessage   `json:"payment_intent"`
	Refunds       *struct {
		Data    []wireRefund `json:"data"`
		HasMore bool         `json:"has_more"`
	} `json:"refunds"`
}

// parseRefundObject reads the data.object of a refund event: a charge for
// charge.refunded, a refund for the others.
func parseRefundObject(eventType string, object json.RawMessage) (Charge, error) {
	if eventType != EventChargeRefunded {
		var refund wireRefund
		if err := json.Unmarshal(object, &refund); err != nil {
			return Charge{}, err
		}
		if refund.ID == "" {
			return Charge{}, fmt.Errorf("refund without an id")
		}
		return Charge{
			ID:              expandableID(refund.Charge),
			OrderID:         refund.Metadata["order_id"],
			PaymentIntentID: expandableID(refund.PaymentIntent),
			Refunds:         []ChargeRefund{refund.read()},
			RefundsComplete: true,
		}, nil
	}
	var charge wireCharge
	if err := json.Unmarshal(object, &charge); err != nil {
		return Charge{}, err
	}
	if charge.ID == "" {
		return Charge{}, fmt.Errorf("charge without an id")
	}
	parsed := Charge{
		ID:              charge.ID,
		OrderID:         charge.Metadata["order_id"],
		PaymentIntentID: expandableID(charge.PaymentIntent),
	}
	if charge.Refunds != nil {
		for _, refund := range charge.Refunds.Data {
			parsed.Refunds = append(parsed.Refunds, refund.read())
		}
		parsed.RefundsComplete = !charge.Refunds.HasMore
	}
	return parsed, nil
}

func (r wireRefund) read() ChargeRefund {
	refund := ChargeRefund{ID: r.ID, Amount: r.Amount, Currency: strings.ToUpper(r.Currency), Status: r.Status}
	if r.Created > 0 {
		refund.Created = time.Unix(r.Created, 0).UTC()
	}
	return refund
}
