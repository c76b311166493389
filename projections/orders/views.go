package orders

import (
	"time"

	"esimscan/backend/money"
)

// Order statuses.
const (
	StatusPendingPayment = "pending_payment"
	StatusPaid           = "paid"
	StatusProvisioning   = "provisioning"
	StatusIssued         = "issued"
	StatusFailed         = "failed"
	StatusCancelled      = "cancelled"
	StatusRefunded       = "refunded"
)

// OrderView is one order. PaidAt and IssuedAt are nil until the order gets
// there. Failure is set while the order is failed, and Payment once it is
// paid. ProviderOrderID is the provider's id of the order that the live
// driver placed, for admins only. TopUpOf is set for a top-up order, which
// adds data to an eSIM of an earlier order and issues no eSIM of its own;
// TopUps lists the top-up orders of this order's eSIMs, oldest first. AccessTokenHash is the hex SHA-256 of the order's access token,
// kept out of JSON so that the API can check a token without showing it.
type OrderView struct {
	ID              string       `json:"id"`
	Status          string       `json:"status"`
	Email           string       `json:"email"`
	Total           money.Money  `json:"total"`
	UnitPrice       money.Money  `json:"unit_price"`
	Quantity        int          `json:"quantity"`
	Package         OrderPackage `json:"package"`
	ESIMs           []ESIM       `json:"esims"`
	PlacedAt        time.Time    `json:"placed_at"`
	PaidAt          *time.Time   `json:"paid_at,omitempty"`
	IssuedAt        *time.Time   `json:"issued_at,omitempty"`
	CancelledAt     *time.Time   `json:"cancelled_at,omitempty"`
	Failure         *Failure     `json:"failure"`
	Payment         *Payment     `json:"payment"`
	ProviderOrderID string       `json:"provider_order_id,omitempty"`
	AccessTokenHash string       `json:"-"`
	CustomerID      string       `json:"customer_id,omitempty"`
	EmailSealed     string       `json:"-"`
	GuestID         string       `json:"-"`
	TopUpOf         *TopUpOf     `json:"topup_of,omitempty"`
	TopUps          []TopUp      `json:"topups,omitempty"`
}

// TopUpOf names the eSIM a top-up order adds data to and the order that
// issued it.
type TopUpOf struct {
	OrderID string `json:"order_id"`
	ICCID   string `json:"iccid"`
}

// TopUp is one top-up order of an eSIM, as its parent order lists it.
// AppliedAt is nil until the top-up is applied.
type TopUp struct {
	OrderID   string      `json:"order_id"`
	ICCID     string      `json:"iccid"`
	Status    string      `json:"status"`
	Package   string      `json:"package"`
	Total     money.Money `json:"total"`
	PlacedAt  time.Time   `json:"placed_at"`
	AppliedAt *time.Time  `json:"applied_at,omitempty"`
}

// ErasedEmail is the email of an erased customer's orders.
const ErasedEmail = "erased"

// OrderPackage is the package as it was when the order was placed. DataMB
// is nil for an unlimited package, and a daily allowance when Daily is true.
type OrderPackage struct {
	ID                string   `json:"id"`
	Provider          string   `json:"provider"`
	ProviderPackageID string   `json:"provider_package_id"`
	Name              string   `json:"name"`
	Countries         []string `json:"countries"`
	DataMB            *int64   `json:"data_mb"`
	Unlimited         bool     `json:"unlimited"`
	Daily             bool     `json:"daily"`
	ValidityDays      int      `json:"validity_days"`
}

// ESIM is one issued eSIM. Demo is true for eSIMs of the stub driver, which
// work on no network.
type ESIM struct {
	ICCID          string `json:"iccid"`
	LPA            string `json:"lpa"`
	SMDPAddress    string `json:"smdp_address"`
	ActivationCode string `json:"activation_code"`
	Demo           bool   `json:"demo"`
}

// Failure is the reason an order failed.
type Failure struct {
	Message string `json:"message"`
	// Cause classifies the failure for admins ("rejected", "deadline", …),
	// empty when OrderFailed named none.
	Cause string `json:"cause,omitempty"`
}

// Payment is the gateway that took an order's payment and its reference.
// Refunded is the sum of the order's refunds, nil before the first.
type Payment struct {
	Gateway   string       `json:"gateway"`
	Reference string       `json:"reference"`
	Refunded  *money.Money `json:"refunded,omitempty"`
}

// ListFilter selects orders for List. Empty Status and Email match every
// order, and Email matches case-insensitively. EmailHash, the keyed hash of
// Email, also finds the orders whose email is sealed. A Limit of zero or
// less means DefaultListLimit.
type ListFilter struct {
	Status    string
	Email     string
	EmailHash string
	Limit     int
	Offset    int
}

// DefaultListLimit is the page size of List when the filter sets none.
const DefaultListLimit = 50
