package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"esimscan/backend/money"
)

// Status is an order's state in this state machine:
//
//	pending_payment → paid → provisioning → issued
//	paid | provisioning → failed
//	failed → provisioning (an admin's retry)
//	pending_payment → cancelled
//	paid | provisioning | issued | failed → refunded (once refunds reach
//	the amount paid; a partial refund keeps the status)
type Status string

// Order statuses, as the API shows them.
const (
	StatusPendingPayment Status = "pending_payment"
	StatusPaid           Status = "paid"
	StatusProvisioning   Status = "provisioning"
	StatusIssued         Status = "issued"
	StatusFailed         Status = "failed"
	StatusCancelled      Status = "cancelled"
	StatusRefunded       Status = "refunded"
)

// Codes of the transition errors, stable for API clients.
const (
	CodeNotPayable       = "order_not_payable"
	CodeAlreadyPaid      = "order_already_paid"
	CodeNotProvisionable = "order_not_provisionable"
	CodeNotIssuable      = "order_not_issuable"
	CodeAlreadyIssued    = "order_already_issued"
	CodeNotFailable      = "order_not_failable"
	CodeNotRetryable     = "order_not_retryable"
	CodeNotCancellable   = "order_not_cancellable"
	CodeNotRefundable    = "order_not_refundable"
	CodeAlreadyRefunded  = "order_already_refunded"
)

// TransitionError reports a command that the order's status forbids.
type TransitionError struct {
	Code   string
	Action string
	Status Status
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("cannot %s an order that is %s", e.Action, e.Status)
}

var (
	// ErrInvalidPlacement reports a placement without an id, email, token
	// hash, package, currency or a positive quantity.
	ErrInvalidPlacement = errors.New("invalid order placement")
	// ErrAmountMismatch reports a payment whose amount differs from the
	// order's total.
	ErrAmountMismatch = errors.New("payment amount differs from the order total")
	// ErrESIMCount reports an issue whose number of eSIMs differs from the
	// order's quantity.
	ErrESIMCount = errors.New("number of eSIMs differs from the order quantity")
	// ErrInvalidESIM reports an eSIM without ICCID or LPA, or an ICCID given
	// twice.
	ErrInvalidESIM = errors.New("invalid eSIM")
	// ErrInvalidProviderOrder reports a provider order without an id.
	ErrInvalidProviderOrder = errors.New("provider order has no id")
)

// Placement is the input of Place.
type Placement struct {
	OrderID         string
	Email           string
	AccessTokenHash string
	Package         Package
	UnitPrice       money.Money
	Quantity        int
	At              time.Time
	TopUpOf         *TopUpOf // set for a top-up order
}

// Place decides the OrderPlaced event of a new order. The unit price is
// rounded half-up to the currency's minor unit once, then multiplied, so the
// total is always the sum of its lines.
func Place(p Placement) (OrderPlaced, error) {
	switch {
	case p.OrderID == "", p.Email == "", p.AccessTokenHash == "", p.Package.ID == "":
		return OrderPlaced{}, fmt.Errorf("%w: order id, email, token hash and package are required", ErrInvalidPlacement)
	case p.UnitPrice.Currency == "":
		return OrderPlaced{}, fmt.Errorf("%w: unit price has no currency", ErrInvalidPlacement)
	case p.Quantity < 1:
		return OrderPlaced{}, fmt.Errorf("%w: quantity %d is not positive", ErrInvalidPlacement, p.Quantity)
	case p.TopUpOf != nil && (p.TopUpOf.OrderID == "" || p.TopUpOf.ICCID == "" || p.Quantity != 1):
		return OrderPlaced{}, fmt.Errorf("%w: a top-up needs an order id, an ICCID and quantity 1", ErrInvalidPlacement)
	}
	unit := p.UnitPrice.RoundToMinor()
	return OrderPlaced{
		OrderID:         p.OrderID,
		Email:           p.Email,
		AccessTokenHash: p.AccessTokenHash,
		Package:         p.Package,
		UnitPrice:       unit,
		Quantity:        p.Quantity,
		Total:           unit.Times(int64(p.Quantity)),
		PlacedAt:        p.At.UTC(),
		TopUpOf:         p.TopUpOf,
	}, nil
}

// Order is the order aggregate, rebuilt from its stream by Apply. The zero
// value is an order that does not exist. An Order is not safe for
// concurrent use.
type Order struct {
	placed        OrderPlaced
	status        Status
	gateway       string
	reference     string
	driver        string
	esims         []ESIM
	failureReason string
	failureCause  string
	// provisioningSince is when provisioning last started or was retried,
	// from which the live driver's deadline runs.
	provisioningSince time.Time
	providerOrder     ProviderOrderPlaced
	paid              money.Money // the amount of OrderPaid
	refunded          money.Money // the sum of every OrderRefunded
	refunds           int
	refundReferences  map[string]struct{} // RefundReference of every OrderRefunded
	refundKeys        map[string]struct{} // IdempotencyKey of every OrderRefunded that has one
	checkout          CheckoutStarted
	checkouts         map[string]struct{} // gateway and Reference of every CheckoutStarted, see checkoutKey
	topUpApplied      TopUpApplied
	hold              PaymentCaptureStarted // the capture in progress, if any
	returned          map[string]struct{}   // PaymentReference of every PaymentReturned
	unmatched         map[string]struct{}   // PaymentReference of every PaymentUnmatched
}

// Apply folds one stored event into the order. Unknown event types are
// skipped, so that types added later do not break older code.
func (o *Order) Apply(eventType string, data []byte) error {
	if eventType != EventOrderPlaced && o.status == "" {
		return fmt.Errorf("%s before OrderPlaced", eventType)
	}
	switch eventType {
	case EventOrderPlaced:
		if err := decode(eventType, data, &o.placed); err != nil {
			return err
		}
		o.status = StatusPendingPayment
	case EventOrderPaid:
		var event OrderPaid
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		o.status, o.gateway, o.reference = StatusPaid, event.Gateway, event.PaymentReference
		o.paid, o.refunded = event.Amount, money.Money{Currency: event.Amount.Currency}
		o.hold = PaymentCaptureStarted{}
	case EventProvisioningStarted:
		var event ProvisioningStarted
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		o.status, o.driver, o.provisioningSince = StatusProvisioning, event.Driver, event.StartedAt
	case EventProviderOrderPlaced:
		var event ProviderOrderPlaced
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		o.providerOrder = event
	case EventESIMIssued:
		var event ESIMIssued
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		o.status, o.esims = StatusIssued, event.ESIMs
	case EventOrderFailed:
		var event OrderFailed
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		o.status, o.failureReason, o.failureCause = StatusFailed, event.Reason, event.Cause
	case EventProvisioningRetried:
		var event ProvisioningRetried
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		o.status, o.failureReason, o.failureCause, o.provisioningSince = StatusProvisioning, "", "", event.RetriedAt
		if event.Driver != "" {
			o.driver = event.Driver
		}
	default:
		return o.applyPayment(eventType, data)
	}
	return nil
}

// applyPayment folds the checkout, cancel, refund and capture events.
func (o *Order) applyPayment(eventType string, data []byte) error {
	switch eventType {
	case EventCheckoutStarted:
		if err := decode(eventType, data, &o.checkout); err != nil {
			return err
		}
		if o.checkout.Reference != "" {
			o.checkouts = addReference(o.checkouts, checkoutKey(o.checkout.Gateway, o.checkout.Reference))
		}
	case EventOrderCancelled:
		o.status = StatusCancelled
	case EventTopUpApplied:
		return o.applyTopUp(data)
	case EventOrderRefunded:
		return o.applyRefund(data)
	case EventPaymentCaptureStarted, EventPaymentCaptureFailed, EventPaymentReturned, EventPaymentUnmatched:
		return o.applyCapture(eventType, data)
	}
	return nil
}

func decode(eventType string, data []byte, into any) error {
	if err := json.Unmarshal(data, into); err != nil {
		return fmt.Errorf("decode %s: %w", eventType, err)
	}
	return nil
}

// Exists reports whether the order has been placed.
func (o *Order) Exists() bool { return o.status != "" }

// ID returns the order id.
func (o *Order) ID() string { return o.placed.OrderID }

// Status returns the order's status, or "" for an order that does not exist.
func (o *Order) Status() Status { return o.status }

// AccessTokenHash returns the hex SHA-256 of the order's access token.
func (o *Order) AccessTokenHash() string { return o.placed.AccessTokenHash }

// Total returns the price fixed at placement.
func (o *Order) Total() money.Money { return o.placed.Total }

// Quantity returns the number of eSIMs ordered.
func (o *Order) Quantity() int { return o.placed.Quantity }

// Package returns the package snapshot taken at placement.
func (o *Order) Package() Package { return o.placed.Package }

// PaymentReference returns the gateway's reference of the payment, if paid.
func (o *Order) PaymentReference() string { return o.reference }

// Driver returns the provisioning driver that took charge of the order.
func (o *Order) Driver() string { return o.driver }

// ESIMs returns the issued eSIMs.
func (o *Order) ESIMs() []ESIM { return o.esims }

// FailureReason returns why the order failed, if it did.
func (o *Order) FailureReason() string { return o.failureReason }

// FailureCause returns the cause of the order's failure, if it failed and
// one was recorded.
func (o *Order) FailureCause() string { return o.failureCause }

// ProvisioningSince returns when provisioning last started or was retried,
// or the zero time before provisioning.
func (o *Order) ProvisioningSince() time.Time { return o.provisioningSince }

// ProviderOrder returns the last ProviderOrderPlaced of the order, whose
// ProviderOrderID is empty while no provider order is recorded.
func (o *Order) ProviderOrder() ProviderOrderPlaced { return o.providerOrder }

// Pay decides the payment of a pending order. Paying again with the same
// gateway and reference returns a nil event and no error, whatever the
// status, so a duplicated callback or a double click never pays twice.
// Another payment of a paid order returns a TransitionError with
// CodeAlreadyPaid, and of an order that does not exist, CodeNotPayable.
// While a capture holds the order only its gateway may pay it; any other
// returns ErrCaptureInProgress.
func (o *Order) Pay(gateway, reference string, amount money.Money, at time.Time) (*OrderPaid, error) {
	if o.reference != "" && o.gateway == gateway && o.reference == reference {
		return nil, nil
	}
	if err := o.checkPayable("pay"); err != nil {
		return nil, err
	}
	if o.hold.Gateway != "" && o.hold.Gateway != gateway {
		return nil, o.checkHold("pay")
	}
	if amount != o.placed.Total {
		return nil, fmt.Errorf("%w: paid %s, total %s", ErrAmountMismatch, amount, o.placed.Total)
	}
	return &OrderPaid{
		OrderID:          o.placed.OrderID,
		Gateway:          gateway,
		PaymentReference: reference,
		Amount:           amount,
		PaidAt:           at.UTC(),
	}, nil
}

// StartProvisioning decides that driver takes charge of a paid order.
func (o *Order) StartProvisioning(driver string, at time.Time) (ProvisioningStarted, error) {
	if o.status != StatusPaid {
		return ProvisioningStarted{}, &TransitionError{Code: CodeNotProvisionable, Action: "start provisioning", Status: o.status}
	}
	return ProvisioningStarted{OrderID: o.placed.OrderID, Driver: driver, StartedAt: at.UTC()}, nil
}

// Issue decides the delivery of the order's eSIMs, one per unit ordered.
// Only an order in provisioning can be issued, and never a top-up order,
// which ApplyTopUp completes instead.
func (o *Order) Issue(esims []ESIM, at time.Time) (ESIMIssued, error) {
	if o.placed.TopUpOf != nil {
		return ESIMIssued{}, &TransitionError{Code: CodeNotIssuable, Action: "issue eSIMs for a top-up of", Status: o.status}
	}
	switch o.status {
	case StatusProvisioning:
	case StatusIssued:
		return ESIMIssued{}, &TransitionError{Code: CodeAlreadyIssued, Action: "issue", Status: o.status}
	default:
		return ESIMIssued{}, &TransitionError{Code: CodeNotIssuable, Action: "issue", Status: o.status}
	}
	if len(esims) != o.placed.Quantity {
		return ESIMIssued{}, fmt.Errorf("%w: order needs %d, got %d", ErrESIMCount, o.placed.Quantity, len(esims))
	}
	seen := make(map[string]bool, len(esims))
	for _, esim := range esims {
		if esim.ICCID == "" || esim.LPA == "" {
			return ESIMIssued{}, fmt.Errorf("%w: ICCID and LPA are required", ErrInvalidESIM)
		}
		if seen[esim.ICCID] {
			return ESIMIssued{}, fmt.Errorf("%w: ICCID %s given twice", ErrInvalidESIM, esim.ICCID)
		}
		seen[esim.ICCID] = true
	}
	return ESIMIssued{OrderID: o.placed.OrderID, ESIMs: esims, IssuedAt: at.UTC()}, nil
}

// Fail decides that a paid or provisioning order cannot be fulfilled.
func (o *Order) Fail(reason string, at time.Time) (OrderFailed, error) {
	return o.FailWithCause(reason, "", at)
}

// FailWithCause is Fail with the cause that OrderFailed records; an empty
// cause records none.
func (o *Order) FailWithCause(reason, cause string, at time.Time) (OrderFailed, error) {
	if o.status != StatusPaid && o.status != StatusProvisioning {
		return OrderFailed{}, &TransitionError{Code: CodeNotFailable, Action: "fail", Status: o.status}
	}
	return OrderFailed{OrderID: o.placed.OrderID, Reason: reason, Cause: cause, FailedAt: at.UTC()}, nil
}

// Fulfil decides the delivery of esims to a paid or provisioning order by
// driver, as an admin does by hand. For a paid order it first decides
// ProvisioningStarted, returned as non-nil started.
func (o *Order) Fulfil(driver string, esims []ESIM, at time.Time) (started *ProvisioningStarted, issued ESIMIssued, err error) {
	next := *o
	if o.status == StatusPaid {
		event, err := o.StartProvisioning(driver, at)
		if err != nil {
			return nil, ESIMIssued{}, err
		}
		started = &event
		next.status, next.driver = StatusProvisioning, driver
	}
	issued, err = next.Issue(esims, at)
	if err != nil {
		return nil, ESIMIssued{}, err
	}
	return started, issued, nil
}

// RecordProviderOrder decides the ProviderOrderPlaced event of a provider
// order bought for an order in provisioning. Recording the same provider
// order again returns a nil event and no error, so a resumed driver never
// records a purchase twice.
func (o *Order) RecordProviderOrder(provider, providerOrderID, reference string, at time.Time) (*ProviderOrderPlaced, error) {
	if o.status != StatusProvisioning {
		return nil, &TransitionError{Code: CodeNotProvisionable, Action: "record a provider order of", Status: o.status}
	}
	if providerOrderID == "" {
		return nil, ErrInvalidProviderOrder
	}
	if o.providerOrder.Provider == provider && o.providerOrder.ProviderOrderID == providerOrderID {
		return nil, nil
	}
	return &ProviderOrderPlaced{
		OrderID:         o.placed.OrderID,
		Provider:        provider,
		ProviderOrderID: providerOrderID,
		Reference:       reference,
		PlacedAt:        at.UTC(),
	}, nil
}

// RetryProvisioning decides that a failed order goes back to provisioning
// with the driver recorded when provisioning started, or with fallback
// when it failed before that. An issued order returns a TransitionError
// with CodeAlreadyIssued, and any other status CodeNotRetryable.
func (o *Order) RetryProvisioning(fallback string, at time.Time) (ProvisioningRetried, error) {
	switch o.status {
	case StatusFailed:
	case StatusIssued:
		return ProvisioningRetried{}, &TransitionError{Code: CodeAlreadyIssued, Action: "retry provisioning of", Status: o.status}
	default:
		return ProvisioningRetried{}, &TransitionError{Code: CodeNotRetryable, Action: "retry provisioning of", Status: o.status}
	}
	driver := o.driver
	if driver == "" {
		driver = fallback
	}
	return ProvisioningRetried{OrderID: o.placed.OrderID, Driver: driver, RetriedAt: at.UTC()}, nil
}
