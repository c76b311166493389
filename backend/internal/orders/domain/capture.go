package domain

import (
	"errors"
	"fmt"
	"time"

	"esimscan/backend/money"
)

// Event types of payment captures and of payments the order cannot take.
const (
	EventPaymentCaptureStarted = "PaymentCaptureStarted"
	EventPaymentCaptureFailed  = "PaymentCaptureFailed"
	EventPaymentReturned       = "PaymentReturned"
	EventPaymentUnmatched      = "PaymentUnmatched"
)

// ErrCaptureInProgress reports a command that a payment capture of the
// order forbids until it ends: a cancel, a checkout, another capture or a
// payment through another gateway.
var ErrCaptureInProgress = errors.New("a payment capture of the order is in progress")

// ErrUnknownCheckout reports a capture of something that no
// CheckoutStarted of the order names: a return link with a made-up or
// another order's token.
var ErrUnknownCheckout = errors.New("not a checkout of the order")

// PaymentCaptureStarted holds a pending order for a gateway that collects
// an approved payment in a separate step (PayPal): it is appended before
// the capture call, so that a cancel or another payment conflicts with it.
// Reference is the gateway's id of what is captured (the PayPal order id).
type PaymentCaptureStarted struct {
	OrderID   string    `json:"order_id"`
	Gateway   string    `json:"gateway"`
	Reference string    `json:"reference"`
	At        time.Time `json:"at"`
}

// PaymentCaptureFailed releases the hold of PaymentCaptureStarted after the
// gateway declined the capture for good; the order can be paid or
// cancelled again.
type PaymentCaptureFailed struct {
	OrderID   string    `json:"order_id"`
	Gateway   string    `json:"gateway"`
	Reference string    `json:"reference"`
	Reason    string    `json:"reason"`
	At        time.Time `json:"at"`
}

// PaymentReturned records a verified payment that the order could not
// take (cancelled, paid before, another amount) and that was refunded in
// full through its gateway. It releases a capture hold of the same gateway.
type PaymentReturned struct {
	OrderID          string      `json:"order_id"`
	Gateway          string      `json:"gateway"`
	PaymentReference string      `json:"payment_reference"`
	Amount           money.Money `json:"amount"`
	Reason           string      `json:"reason"`
	RefundReference  string      `json:"refund_reference"`
	At               time.Time   `json:"at"`
}

// PaymentUnmatched records a verified payment that the order could not
// take and whose refund failed. The gateway's next delivery of the payment
// tries the refund again, and PaymentReturned follows once it succeeds.
type PaymentUnmatched struct {
	OrderID          string      `json:"order_id"`
	Gateway          string      `json:"gateway"`
	PaymentReference string      `json:"payment_reference"`
	Amount           money.Money `json:"amount"`
	Reason           string      `json:"reason"`
	At               time.Time   `json:"at"`
}

// EventType returns the type stored in the log.
func (PaymentCaptureStarted) EventType() string { return EventPaymentCaptureStarted }

// EventType returns the type stored in the log.
func (PaymentCaptureFailed) EventType() string { return EventPaymentCaptureFailed }

// EventType returns the type stored in the log.
func (PaymentReturned) EventType() string { return EventPaymentReturned }

// EventType returns the type stored in the log.
func (PaymentUnmatched) EventType() string { return EventPaymentUnmatched }

// CaptureHold returns the PaymentCaptureStarted that holds the order, whose
// Gateway is empty while no capture is in progress.
func (o *Order) CaptureHold() PaymentCaptureStarted { return o.hold }

// HasReturned reports whether PaymentReturned records the payment with
// reference.
func (o *Order) HasReturned(reference string) bool {
	_, ok := o.returned[reference]
	return ok
}

// HasUnmatched reports whether PaymentUnmatched records the payment with
// reference.
func (o *Order) HasUnmatched(reference string) bool {
	_, ok := o.unmatched[reference]
	return ok
}

// HasCheckout reports whether a CheckoutStarted of gateway names
// reference. An empty reference (the manual gateway's) is never one.
func (o *Order) HasCheckout(gateway, reference string) bool {
	if reference == "" {
		return false
	}
	_, ok := o.checkouts[checkoutKey(gateway, reference)]
	return ok
}

// checkoutKey joins a gateway and its checkout reference for the set of
// checkouts. No gateway name contains the NUL separator.
func checkoutKey(gateway, reference string) string { return gateway + "\x00" + reference }

// checkHold returns ErrCaptureInProgress while a capture holds the order.
func (o *Order) checkHold(action string) error {
	if o.hold.Gateway == "" {
		return nil
	}
	return fmt.Errorf("%w: cannot %s the order while %s captures %s", ErrCaptureInProgress, action, o.hold.Gateway, o.hold.Reference)
}

// StartCapture decides the hold of a pending order before gateway captures
// reference. While the same capture holds the order it returns a nil event
// and no error, so the capture can be tried again. A reference that no
// CheckoutStarted of gateway names returns ErrUnknownCheckout, whatever the
// order's status. A capture of something else while a capture holds the
// order returns ErrCaptureInProgress, and an order that is not pending the
// TransitionError of CheckPayable.
func (o *Order) StartCapture(gateway, reference string, at time.Time) (*PaymentCaptureStarted, error) {
	if o.hold.Gateway != "" && o.hold.Gateway == gateway && o.hold.Reference == reference {
		return nil, nil
	}
	if !o.HasCheckout(gateway, reference) {
		return nil, fmt.Errorf("%w: %s has no checkout %q", ErrUnknownCheckout, gateway, reference)
	}
	if err := o.checkHold("capture another payment of"); err != nil {
		return nil, err
	}
	if err := o.checkPayable("capture a payment of"); err != nil {
		return nil, err
	}
	return &PaymentCaptureStarted{OrderID: o.placed.OrderID, Gateway: gateway, Reference: reference, At: at.UTC()}, nil
}

// FailCapture decides the release of the hold of gateway's capture of
// reference. It returns nil when that capture does not hold the order.
func (o *Order) FailCapture(gateway, reference, reason string, at time.Time) *PaymentCaptureFailed {
	if o.hold.Gateway != gateway || o.hold.Reference != reference {
		return nil
	}
	return &PaymentCaptureFailed{OrderID: o.placed.OrderID, Gateway: gateway, Reference: reference, Reason: reason, At: at.UTC()}
}

// ReturnPayment decides PaymentReturned for a payment the order could not
// take and whose refund gateway accepted as refundReference. A payment
// returned before returns nil.
func (o *Order) ReturnPayment(gateway string, payment PaymentOf, reason, refundReference string, at time.Time) *PaymentReturned {
	if o.HasReturned(payment.Reference) {
		return nil
	}
	return &PaymentReturned{
		OrderID: o.placed.OrderID, Gateway: gateway, PaymentReference: payment.Reference, Amount: payment.Amount,
		Reason: reason, RefundReference: refundReference, At: at.UTC(),
	}
}

// RecordUnmatched decides PaymentUnmatched for a payment the order could
// not take and that could not be refunded yet. It returns nil once the
// payment is recorded as unmatched or returned.
func (o *Order) RecordUnmatched(gateway string, payment PaymentOf, reason string, at time.Time) *PaymentUnmatched {
	if o.HasReturned(payment.Reference) || o.HasUnmatched(payment.Reference) {
		return nil
	}
	return &PaymentUnmatched{
		OrderID: o.placed.OrderID, Gateway: gateway, PaymentReference: payment.Reference, Amount: payment.Amount,
		Reason: reason, At: at.UTC(),
	}
}

// PaymentOf is a payment a gateway reports: its reference and amount.
type PaymentOf struct {
	Reference string
	Amount    money.Money
}

// applyCapture folds the capture and return events.
func (o *Order) applyCapture(eventType string, data []byte) error {
	switch eventType {
	case EventPaymentCaptureStarted:
		return decode(eventType, data, &o.hold)
	case EventPaymentCaptureFailed:
		var event PaymentCaptureFailed
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		if o.hold.Gateway == event.Gateway && o.hold.Reference == event.Reference {
			o.hold = PaymentCaptureStarted{}
		}
	case EventPaymentReturned:
		var event PaymentReturned
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		o.returned = addReference(o.returned, event.PaymentReference)
		if o.hold.Gateway == event.Gateway {
			o.hold = PaymentCaptureStarted{}
		}
	case EventPaymentUnmatched:
		var event PaymentUnmatched
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		o.unmatched = addReference(o.unmatched, event.PaymentReference)
	}
	return nil
}

func addReference(set map[string]struct{}, reference string) map[string]struct{} {
	if set == nil {
		set = map[string]struct{}{}
	}
	set[reference] = struct{}{}
	return set
}
