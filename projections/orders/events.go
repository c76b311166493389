package orders

import (
	"encoding/json"
	"fmt"
	"time"

	"esimscan/backend/money"
)

// Event types the orders projector consumes, as stored in the log.
const (
	typeOrderPlaced         = "OrderPlaced"
	typeOrderPaid           = "OrderPaid"
	typeProvisioningStarted = "ProvisioningStarted"
	typeESIMIssued          = "ESIMIssued"
	typeOrderFailed         = "OrderFailed"
	typeProviderOrderPlaced = "ProviderOrderPlaced"
	typeProvisioningRetried = "ProvisioningRetried"
	typeOrderCancelled      = "OrderCancelled"
	typeOrderRefunded       = "OrderRefunded"
	typeCustomerErased      = "CustomerErased"
	typeGuestErased         = "GuestErased"
	typeTopUpApplied        = "TopUpApplied"
)

// orderEvent holds the fields of every order event that this read model
// uses.
type orderEvent struct {
	OrderID string `json:"order_id"`

	// OrderPlaced
	Email           string       `json:"email"`
	AccessTokenHash string       `json:"access_token_hash"`
	Package         OrderPackage `json:"package"`
	UnitPrice       money.Money  `json:"unit_price"`
	Quantity        int          `json:"quantity"`
	Total           money.Money  `json:"total"`
	PlacedAt        time.Time    `json:"placed_at"`
	CustomerID      string       `json:"customer_id"`
	GuestID         string       `json:"guest_id"`
	EmailHash       string       `json:"email_hash"`
	EmailSealed     string       `json:"email_sealed"`
	TopUpOf         *TopUpOf     `json:"topup_of"`

	// OrderPaid
	Gateway          string    `json:"gateway"`
	PaymentReference string    `json:"payment_reference"`
	PaidAt           time.Time `json:"paid_at"`

	// ESIMIssued
	ESIMs    []ESIM    `json:"esims"`
	IssuedAt time.Time `json:"issued_at"`

	// OrderFailed
	Reason string `json:"reason"`
	Cause  string `json:"cause"`

	// ProviderOrderPlaced
	Provider        string `json:"provider"`
	ProviderOrderID string `json:"provider_order_id"`

	// OrderCancelled
	CancelledAt time.Time `json:"cancelled_at"`

	// TopUpApplied
	ICCID             string    `json:"iccid"`
	ProviderReference string    `json:"provider_reference"`
	AppliedAt         time.Time `json:"applied_at"`

	// OrderRefunded
	Amount     money.Money `json:"amount"`
	RefundedAt time.Time   `json:"refunded_at"`
}

func decodeEvent(eventType string, data []byte) (orderEvent, error) {
	var payload orderEvent
	if err := json.Unmarshal(data, &payload); err != nil {
		return orderEvent{}, fmt.Errorf("decode %s: %w", eventType, err)
	}
	if payload.OrderID == "" {
		return orderEvent{}, fmt.Errorf("decode %s: missing order_id", eventType)
	}
	return payload, nil
}
