package domain

import (
	"errors"
	"fmt"
	"time"

	"esimscan/backend/money"
)

var (
	// ErrInvalidRefundAmount reports a refund amount that is not positive or
	// is in another currency than the payment.
	ErrInvalidRefundAmount = errors.New("invalid refund amount")
	// ErrRefundExceedsPaid reports a refund larger than what remains of the
	// payment after earlier refunds.
	ErrRefundExceedsPaid = errors.New("refund exceeds the amount paid")
	// ErrRefundGatewayMismatch reports a refund reported by another gateway
	// than the one that took the payment.
	ErrRefundGatewayMismatch = errors.New("refund reported by another gateway than the payment's")
)

// Gateway returns the gateway that took the order's payment, if paid.
func (o *Order) Gateway() string { return o.gateway }

// Paid returns the amount paid, or a zero Money before payment.
func (o *Order) Paid() money.Money { return o.paid }

// Refunded returns the sum of the order's refunds.
func (o *Order) Refunded() money.Money { return o.refunded }

// Refunds returns the number of refunds recorded.
func (o *Order) Refunds() int { return o.refunds }

// HasRefund reports whether an OrderRefunded with reference is recorded.
func (o *Order) HasRefund(reference string) bool {
	_, ok := o.refundReferences[reference]
	return ok
}

// HasRefundKey reports whether an OrderRefunded with idempotency key key
// is recorded.
func (o *Order) HasRefundKey(key string) bool {
	_, ok := o.refundKeys[key]
	return ok
}

// RefundableAmount returns what remains of the payment after refunds: zero
// before payment and after a full refund.
func (o *Order) RefundableAmount() money.Money {
	return money.Money{Amount: o.paid.Amount - o.refunded.Amount, Currency: o.paid.Currency}
}

// Checkout returns the last CheckoutStarted, whose Gateway is empty while
// no checkout started.
func (o *Order) Checkout() CheckoutStarted { return o.checkout }

// StartCheckout decides that the buyer of a pending order goes to gateway.
// A paid order returns a TransitionError with CodeAlreadyPaid, any other
// status CodeNotPayable, and an order held by a capture
// ErrCaptureInProgress.
func (o *Order) StartCheckout(gateway, reference string, at time.Time) (CheckoutStarted, error) {
	if err := o.checkPayable("start checkout of"); err != nil {
		return CheckoutStarted{}, err
	}
	if err := o.checkHold("start checkout of"); err != nil {
		return CheckoutStarted{}, err
	}
	return CheckoutStarted{OrderID: o.placed.OrderID, Gateway: gateway, Reference: reference, At: at.UTC()}, nil
}

// CheckPayable returns the error that StartCheckout would return: a
// TransitionError for the order's status, or ErrCaptureInProgress while a
// capture holds it. It returns nil for a pending order without a hold.
func (o *Order) CheckPayable() error {
	if err := o.checkPayable("pay"); err != nil {
		return err
	}
	return o.checkHold("pay")
}

func (o *Order) checkPayable(action string) error {
	switch o.status {
	case StatusPendingPayment:
		return nil
	case StatusPaid, StatusProvisioning, StatusIssued, StatusFailed, StatusRefunded:
		return &TransitionError{Code: CodeAlreadyPaid, Action: action, Status: o.status}
	default:
		return &TransitionError{Code: CodeNotPayable, Action: action, Status: o.status}
	}
}

// Cancel decides the cancellation of an order that is not paid. Any other
// status returns a TransitionError with CodeNotCancellable, and an order
// held by a capture ErrCaptureInProgress.
func (o *Order) Cancel(at time.Time) (OrderCancelled, error) {
	if o.status != StatusPendingPayment {
		return OrderCancelled{}, &TransitionError{Code: CodeNotCancellable, Action: "cancel", Status: o.status}
	}
	if err := o.checkHold("cancel"); err != nil {
		return OrderCancelled{}, err
	}
	return OrderCancelled{OrderID: o.placed.OrderID, CancelledAt: at.UTC()}, nil
}

// CheckRefund reports whether amount can be refunded now: the order must
// be paid and not wholly refunded (TransitionError with CodeNotRefundable
// or CodeAlreadyRefunded), and amount must be positive, in the payment's
// currency (ErrInvalidRefundAmount) and at most RefundableAmount
// (ErrRefundExceedsPaid).
func (o *Order) CheckRefund(amount money.Money) error {
	switch o.status {
	case StatusPaid, StatusProvisioning, StatusIssued, StatusFailed:
	case StatusRefunded:
		return &TransitionError{Code: CodeAlreadyRefunded, Action: "refund", Status: o.status}
	default:
		return &TransitionError{Code: CodeNotRefundable, Action: "refund", Status: o.status}
	}
	if amount.Amount <= 0 || amount.Currency != o.paid.Currency {
		return fmt.Errorf("%w: %s for a payment in %s", ErrInvalidRefundAmount, amount, o.paid.Currency)
	}
	if remaining := o.RefundableAmount(); amount.Amount > remaining.Amount {
		return fmt.Errorf("%w: %s requested, %s refundable", ErrRefundExceedsPaid, amount, remaining)
	}
	return nil
}

// Refund decides a refund the gateway of the payment accepted, under the
// rules of CheckRefund. A refund of the whole refundable amount moves the
// order to refunded.
func (o *Order) Refund(refundReference string, amount money.Money, at time.Time) (OrderRefunded, error) {
	if err := o.CheckRefund(amount); err != nil {
		return OrderRefunded{}, err
	}
	return OrderRefunded{
		OrderID:         o.placed.OrderID,
		Gateway:         o.gateway,
		RefundReference: refundReference,
		Amount:          amount,
		RefundedAt:      at.UTC(),
	}, nil
}

// RecordRefund decides OrderRefunded for a refund that gateway reports
// through its webhook, started here or in the gateway's dashboard. A
// reference already recorded returns a nil event and no error, so a
// replayed webhook, or the webhook of a refund the admin started here,
// records nothing. A gateway other than the payment's returns
// ErrRefundGatewayMismatch, and everything else follows the rules of
// CheckRefund.
func (o *Order) RecordRefund(gateway, refundReference string, amount money.Money, at time.Time) (*OrderRefunded, error) {
	if o.HasRefund(refundReference) {
		return nil, nil
	}
	if err := o.CheckRefund(amount); err != nil {
		return nil, err
	}
	if gateway != o.gateway {
		return nil, fmt.Errorf("%w: %s reported a refund of a payment taken by %s", ErrRefundGatewayMismatch, gateway, o.gateway)
	}
	event, err := o.Refund(refundReference, amount, at)
	if err != nil {
		return nil, err
	}
	return &event, nil
}

// applyRefund folds OrderRefunded: it adds the amount, keeps the
// reference, and moves the order to refunded once nothing is left.
func (o *Order) applyRefund(data []byte) error {
	var event OrderRefunded
	if err := decode(EventOrderRefunded, data, &event); err != nil {
		return err
	}
	o.refunded.Amount += event.Amount.Amount
	o.refunds++
	if o.refundReferences == nil {
		o.refundReferences = map[string]struct{}{}
	}
	o.refundReferences[event.RefundReference] = struct{}{}
	if event.IdempotencyKey != "" {
		if o.refundKeys == nil {
			o.refundKeys = map[string]struct{}{}
		}
		o.refundKeys[event.IdempotencyKey] = struct{}{}
	}
	if o.refunded.Amount >= o.paid.Amount {
		o.status = StatusRefunded
	}
	return nil
}

// Email returns the buyer's email address.
func (o *Order) Email() string { return o.placed.Email }
