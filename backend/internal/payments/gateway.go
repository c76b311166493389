// Package payments declares what esimScan needs from a payment gateway
// (Stripe Checkout, PayPal Checkout, bank transfer), and the errors
// gateways report. Each gateway's client lives in a subpackage.
package payments

import (
	"context"
	"errors"
	"time"

	"esimscan/backend/money"
)

// CheckoutRequest is a request to a gateway to collect an order's total. OrderID is the
// gateway's idempotency key and client reference: starting checkout twice
// for one order must not create two charges. Amounts are sent to gateways
// in the currency's minor unit (money.Money.MinorUnits), never as price × 100.
type CheckoutRequest struct {
	OrderID       string
	Amount        money.Money
	Description   string
	CustomerEmail string
	// ReturnURL is the page the customer's browser goes to after paying, and
	// CancelURL the page after giving up. Both are addresses of the store itself.
	ReturnURL string
	CancelURL string
}

// Checkout is a started payment: RedirectURL sends the customer to the
// gateway (empty for bank transfer, where Instructions tell the customer
// what to do), and Reference is the gateway's id of the checkout (Stripe
// Checkout Session id, PayPal order id).
type Checkout struct {
	RedirectURL  string
	Instructions string
	Reference    string
}

// Payment is a confirmed payment as a gateway reports it: Reference is the
// gateway's id of the money movement (Stripe PaymentIntent, PayPal capture).
type Payment struct {
	OrderID   string
	Reference string
	Amount    money.Money
}

// RefundRequest returns money of a payment; Amount may be less than paid.
type RefundRequest struct {
	OrderID          string
	PaymentReference string
	Amount           money.Money
}

// Refund is a refund the gateway accepted.
type Refund struct {
	Reference string
	Amount    money.Money
}

// ReportedRefund is a refund a gateway reports in its webhook, whether the
// admin started it in esimScan or in the gateway's dashboard. Reference is
// the gateway's id of the refund (Stripe re_…, PayPal refund id).
type ReportedRefund struct {
	OrderID   string
	Reference string
	Amount    money.Money
	At        time.Time
}

// Gateway is one configured payment gateway. Implementations are safe for
// concurrent use.
type Gateway interface {
	// Name is the gateway's id in the API and in events: "stripe",
	// "paypal", "manual" or "test".
	Name() string
	StartCheckout(ctx context.Context, req CheckoutRequest) (Checkout, error)
	Refund(ctx context.Context, req RefundRequest) (Refund, error)
}

// Capturer is a gateway that collects an approved payment in a separate
// step (PayPal). Capture takes the gateway's reference of the approval
// (the PayPal order id) and returns the payment. Capturing again returns
// the same payment and moves no more money. A capture the gateway refused
// for good returns an error wrapping ErrCaptureDeclined, and one it has
// not finished, ErrCapturePending; any other error may pass on a retry.
type Capturer interface {
	Capture(ctx context.Context, reference string) (Payment, error)
}

// CheckoutExpirer is a gateway whose started checkouts can be closed, so
// that the buyer can no longer pay them (Stripe Checkout Sessions).
type CheckoutExpirer interface {
	ExpireCheckout(ctx context.Context, reference string) error
}

var (
	// ErrNotConfigured reports a gateway that is disabled or lacks settings.
	ErrNotConfigured = errors.New("payment gateway is not configured")
	// ErrCaptureDeclined reports a capture the gateway refused for good:
	// declined, not approved by the payer, or unknown.
	ErrCaptureDeclined = errors.New("payment capture declined")
	// ErrCapturePending reports a capture the gateway accepted but has not
	// completed; its completion arrives by webhook.
	ErrCapturePending = errors.New("payment capture pending")
)
