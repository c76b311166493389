package domain

import (
	"time"

	"esimscan/backend/money"
)

// Event types as stored in the log. The public API fixes these names.
const (
	EventOrderPlaced         = "OrderPlaced"
	EventOrderPaid           = "OrderPaid"
	EventProvisioningStarted = "ProvisioningStarted"
	EventESIMIssued          = "ESIMIssued"
	EventOrderFailed         = "OrderFailed"
	EventProviderOrderPlaced = "ProviderOrderPlaced"
	EventProvisioningRetried = "ProvisioningRetried"
	EventCheckoutStarted     = "CheckoutStarted"
	EventOrderCancelled      = "OrderCancelled"
	EventOrderRefunded       = "OrderRefunded"
	EventTopUpApplied        = "TopUpApplied"
)

// Provisioning drivers recorded in ProvisioningStarted.
const (
	DriverManual = "manual"
	DriverStub   = "stub"
	DriverLive   = "live"
)

// Package is the snapshot of the catalog package an order buys, copied at
// placement so that later catalog changes do not alter the order.
type Package struct {
	ID                string   `json:"id"`
	Provider          string   `json:"provider"`
	ProviderPackageID string   `json:"provider_package_id"`
	Name              string   `json:"name"`
	Countries         []string `json:"countries"`
	DataMB            *int64   `json:"data_mb"`
	Unlimited         bool     `json:"unlimited"`
	Daily             bool     `json:"daily"` // DataMB is a daily allowance
	ValidityDays      int      `json:"validity_days"`
}

// OrderPlaced opens an order and fixes its price: Total is UnitPrice, rounded
// to the currency's minor unit, times Quantity. TopUpOf is set for a
// top-up order, which buys more data for an eSIM of an earlier order.
type OrderPlaced struct {
	OrderID         string      `json:"order_id"`
	Email           string      `json:"email"`
	AccessTokenHash string      `json:"access_token_hash"`
	Package         Package     `json:"package"`
	UnitPrice       money.Money `json:"unit_price"`
	Quantity        int         `json:"quantity"`
	Total           money.Money `json:"total"`
	PlacedAt        time.Time   `json:"placed_at"`
	TopUpOf         *TopUpOf    `json:"topup_of,omitempty"`
}

// OrderPaid records a payment of the whole total through a gateway.
type OrderPaid struct {
	OrderID          string      `json:"order_id"`
	Gateway          string      `json:"gateway"`
	PaymentReference string      `json:"payment_reference"`
	Amount           money.Money `json:"amount"`
	PaidAt           time.Time   `json:"paid_at"`
}

// ProvisioningStarted records that a driver took charge of a paid order.
type ProvisioningStarted struct {
	OrderID   string    `json:"order_id"`
	Driver    string    `json:"driver"`
	StartedAt time.Time `json:"started_at"`
}

// ESIM is one issued eSIM profile. Demo is true for profiles made by the
// stub driver, which work on no network.
type ESIM struct {
	ICCID          string `json:"iccid"`
	LPA            string `json:"lpa"`
	SMDPAddress    string `json:"smdp_address"`
	ActivationCode string `json:"activation_code"`
	Demo           bool   `json:"demo"`
}

// ESIMIssued delivers every eSIM of the order and closes provisioning.
type ESIMIssued struct {
	OrderID  string    `json:"order_id"`
	ESIMs    []ESIM    `json:"esims"`
	IssuedAt time.Time `json:"issued_at"`
}

// OrderFailed records that a paid order cannot be fulfilled. Reason is
// for the admin and may name the provider, its codes and the store's
// credit; customers see a generic text instead. Cause, when set, sorts the
// failure (FailureRejected, FailureDeadline or an adapter's cause).
type OrderFailed struct {
	OrderID  string    `json:"order_id"`
	Reason   string    `json:"reason"`
	Cause    string    `json:"cause,omitempty"`
	FailedAt time.Time `json:"failed_at"`
}

// Causes of OrderFailed written by the live driver; other adapter causes
// ("credentials", "bad_response", …) are stored as the adapter names them.
const (
	// FailureRejected: the provider refused the purchase for a business
	// reason, such as an insufficient balance.
	FailureRejected = "rejected"
	// FailureDeadline: the provider delivered no eSIM within the deadline.
	FailureDeadline = "deadline"
)

// ProviderOrderPlaced records that the live driver bought the order's eSIMs
// from a provider. Reference is the idempotency key sent with the order,
// which is always the order id, so that a repeated order call finds the
// first purchase instead of buying again. Later polls use ProviderOrderID.
type ProviderOrderPlaced struct {
	OrderID         string    `json:"order_id"`
	Provider        string    `json:"provider"`
	ProviderOrderID string    `json:"provider_order_id"`
	Reference       string    `json:"reference"`
	PlacedAt        time.Time `json:"placed_at"`
}

// ProvisioningRetried puts a failed order back into provisioning, so that
// its driver runs again. Driver is the driver that takes over: the one
// recorded in ProvisioningStarted, or the configured one when the order
// failed before provisioning started.
type ProvisioningRetried struct {
	OrderID   string    `json:"order_id"`
	Driver    string    `json:"driver,omitempty"`
	RetriedAt time.Time `json:"retried_at"`
}

// CheckoutStarted records that the buyer was sent to a payment gateway.
// Reference is the gateway's id of the checkout (a Stripe Checkout Session
// id), empty for the manual gateway.
type CheckoutStarted struct {
	OrderID   string    `json:"order_id"`
	Gateway   string    `json:"gateway"`
	Reference string    `json:"reference"`
	At        time.Time `json:"at"`
}

// OrderCancelled closes an order that was never paid.
type OrderCancelled struct {
	OrderID     string    `json:"order_id"`
	CancelledAt time.Time `json:"cancelled_at"`
}

// OrderRefunded records money returned to the buyer through the gateway of
// the payment. Amount may be part of what was paid; RefundReference is the
// gateway's id of the refund. IdempotencyKey is the key an admin's refund
// sent to the gateway, empty for refunds reported by a webhook.
type OrderRefunded struct {
	OrderID         string      `json:"order_id"`
	Gateway         string      `json:"gateway"`
	RefundReference string      `json:"refund_reference"`
	Amount          money.Money `json:"amount"`
	RefundedAt      time.Time   `json:"refunded_at"`
	IdempotencyKey  string      `json:"idempotency_key,omitempty"`
}

// EventType returns the type stored in the log.
func (CheckoutStarted) EventType() string { return EventCheckoutStarted }

// EventType returns the type stored in the log.
func (OrderCancelled) EventType() string { return EventOrderCancelled }

// EventType returns the type stored in the log.
func (OrderRefunded) EventType() string { return EventOrderRefunded }

// EventType returns the type stored in the log.
func (OrderPlaced) EventType() string { return EventOrderPlaced }

// EventType returns the type stored in the log.
func (OrderPaid) EventType() string { return EventOrderPaid }

// EventType returns the type stored in the log.
func (ProvisioningStarted) EventType() string { return EventProvisioningStarted }

// EventType returns the type stored in the log.
func (ESIMIssued) EventType() string { return EventESIMIssued }

// EventType returns the type stored in the log.
func (OrderFailed) EventType() string { return EventOrderFailed }

// EventType returns the type stored in the log.
func (ProviderOrderPlaced) EventType() string { return EventProviderOrderPlaced }

// EventType returns the type stored in the log.
func (ProvisioningRetried) EventType() string { return EventProvisioningRetried }
