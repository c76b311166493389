package domain

import "time"

// EventProviderOrderRequested is the type of ProviderOrderRequested in the
// log.
const EventProviderOrderRequested = "ProviderOrderRequested"

// ProviderOrderRequested records that the live driver is about to ask a
// provider to buy an order's eSIMs, or a top-up, with Reference as
// esimScan's idempotency key. It is appended before the call, so after a
// restart a request with no ProviderOrderPlaced or TopUpApplied after it
// means that a call may have bought the order without the outcome being
// recorded. ProviderOrderID, when set, is a provider order that the call
// opened before charging (Maya's customer that owns the eSIMs), recorded
// in a second ProviderOrderRequested of the same request.
//
// The Order aggregate ignores this event: the live driver reads it from the
// order's stream itself.
type ProviderOrderRequested struct {
	OrderID         string    `json:"order_id"`
	Provider        string    `json:"provider"`
	Reference       string    `json:"reference"`
	ProviderOrderID string    `json:"provider_order_id,omitempty"`
	RequestedAt     time.Time `json:"requested_at"`
}

// EventType returns the type stored in the log.
func (ProviderOrderRequested) EventType() string { return EventProviderOrderRequested }
