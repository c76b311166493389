package app

import (
	"context"
	"errors"
	"fmt"

	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
)

// CaptureOutcome is what a capture attempt means for the buyer, as the
// PayPal return route shows it in the order page's ?checkout= query.
type CaptureOutcome string

// Capture outcomes.
const (
	// CaptureSucceeded: the order is paid, by this capture or before.
	CaptureSucceeded CaptureOutcome = "success"
	// CapturePending: the gateway has not completed the capture, or it
	// could not be reached. The order stays held until a later webhook,
	// return or the capture reaction finishes it.
	CapturePending CaptureOutcome = "pending"
	// CaptureFailed: nothing was captured for the order, or what was
	// captured was refunded.
	CaptureFailed CaptureOutcome = "failed"
)

// CapturePayment collects the payment that the buyer approved at
// gatewayName (a Capturer such as PayPal), reference being the gateway's
// id of the approval (the PayPal order id). It first holds the order with
// PaymentCaptureStarted at its current revision, so that a concurrent
// cancel or another gateway's payment conflicts instead of racing the
// capture, then captures, then records OrderPaid. A capture the gateway
// declines for good appends PaymentCaptureFailed, which releases the hold.
// A capture of an order that cannot take it is refunded (see
// RecordPayment). Calling it again for the same reference captures nothing
// twice, because the gateway deduplicates the capture.
//
// Only a reference that a CheckoutStarted of gatewayName names can hold
// the order: any other, such as a made-up token on the unauthenticated
// return link, returns CaptureFailed and no error, appends nothing and
// calls no gateway.
//
// A non-nil error means the capture is not finished and a retry may
// finish it, except an Invalid error (code invalid_order_id) for an id no
// order can have and NotFound for an unknown order.
func (s *Service) CapturePayment(ctx context.Context, gatewayName, orderID, reference string) (CaptureOutcome, error) {
	if !validOrderID(orderID) {
		return CaptureFailed, errMalformedOrderID(orderID)
	}
	unlock, err := s.locks.lock(ctx, orderID)
	if err != nil {
		return CapturePending, err
	}
	outcome, foreign, err := s.captureLocked(ctx, gatewayName, orderID, reference)
	unlock()
	if foreign != nil {
		// The capture belongs to another order; it is recorded there, after
		// this order's lock is released, so two such captures cannot wait
		// for each other.
		if recordErr := s.RecordPayment(ctx, gatewayName, *foreign); recordErr != nil {
			return outcome, errors.Join(err, fmt.Errorf("record capture %s on order %s: %w", foreign.Reference, foreign.OrderID, recordErr))
		}
	}
	return outcome, err
}

// captureLocked runs CapturePayment while the caller holds the order's
// lock. It returns foreign, a captured payment of another order, for the
// caller to record on that order.
func (s *Service) captureLocked(
	ctx context.Context,
	gatewayName, orderID, reference string,
) (outcome CaptureOutcome, foreign *payments.Payment, err error) {
	logger := s.logger.With().Str("order_id", orderID).Str("gateway", gatewayName).Str("reference", reference).Logger()
	held, outcome, err := s.holdForCapture(ctx, gatewayName, orderID, reference)
	if err != nil || !held {
		return outcome, nil, err
	}
	capturer, err := s.capturer(ctx, gatewayName)
	if err != nil {
		return CapturePending, nil, err
	}

	payment, err := capturer.Capture(ctx, reference)
	switch {
	case errors.Is(err, payments.ErrCapturePending):
		// The gateway's webhook ends the hold: a completed capture records
		// the payment, a denied one calls DenyCapture.
		logger.Info().Err(err).Msg("capture pending at the gateway; its webhook records the payment")
		return CapturePending, nil, nil
	case errors.Is(err, payments.ErrCaptureDeclined):
		logger.Warn().Err(err).Msg("capture declined; the order's hold is released")
		return CaptureFailed, nil, s.releaseHold(ctx, gatewayName, orderID, reference, "the gateway declined the capture")
	case err != nil:
		return CapturePending, nil, fmt.Errorf("capture %s %s of order %s: %w", gatewayName, reference, orderID, err)
	}
	logger = logger.With().Str("payment_reference", payment.Reference).Logger()
	if payment.OrderID != orderID {
		logger.Error().Str("capture_for", payment.OrderID).
			Msg("the capture belongs to another order; this order's hold is released and the payment recorded on its own order")
		reason := "the capture belongs to another order"
		return CaptureFailed, &payment, s.releaseHold(ctx, gatewayName, orderID, reference, reason)
	}
	logger.Info().Str("amount", payment.Amount.String()).Msg("payment captured")
	if err := s.acceptPayment(ctx, gatewayName, payment); err != nil {
		return CapturePending, nil, err
	}
	return s.captureOutcome(ctx, orderID, gatewayName, payment.Reference)
}

// holdForCapture appends PaymentCaptureStarted, or finds that the order
// needs no capture: paid already (success) or not payable (failed).
func (s *Service) holdForCapture(
	ctx context.Context,
	gatewayName, orderID, reference string,
) (held bool, outcome CaptureOutcome, err error) {
	_, err = s.update(ctx, orderID, func(order *domain.Order) ([]esrepo.Event, error) {
		held, outcome = false, CaptureFailed
		if !order.Exists() {
			return nil, errOrderNotFound()
		}
		event, err := order.StartCapture(gatewayName, reference, s.now())
		var transition *domain.TransitionError
		switch {
		case errors.Is(err, domain.ErrUnknownCheckout):
			// A made-up token or another order's, so nothing is held,
			// captured or appended.
			s.logger.Warn().Str("order_id", orderID).Str("gateway", gatewayName).Int("reference_length", len(reference)).
				Msg("capture reference is not a checkout of the order, nothing captured")
			return nil, nil
		case errors.As(err, &transition) && transition.Code == domain.CodeAlreadyPaid:
			// Paid already, by this capture or otherwise: capturing again
			// would take money the store cannot deliver for.
			outcome = CaptureSucceeded
			return nil, nil
		case errors.As(err, &transition):
			return nil, nil
		case errors.Is(err, domain.ErrCaptureInProgress):
			outcome = CapturePending
			return nil, &apperr.Error{Kind: apperr.KindUnavailable, Code: CodeCaptureInProgress,
				Message: "another capture holds the order; try again later", Err: err}
		case err != nil:
			return nil, err
		}
		held = true
		if event == nil {
			return nil, nil // this capture holds the order already
		}
		return []esrepo.Event{*event}, nil
	})
	if err != nil && outcome == CaptureFailed {
		outcome = CapturePending
		if appErr, ok := apperr.As(err); ok && appErr.Kind == apperr.KindNotFound {
			outcome = CaptureFailed
		}
	}
	return held, outcome, err
}

func (s *Service) capturer(ctx context.Context, gatewayName string) (payments.Capturer, error) {
	gateway, err := s.gateway(ctx, gatewayName)
	if err != nil {
		return nil, err
	}
	capturer, ok := gateway.(payments.Capturer)
	if !ok {
		return nil, fmt.Errorf("payment gateway %s cannot capture payments", gatewayName)
	}
	return capturer, nil
}

// DenyCapture ends the hold of a pending capture that the gateway later
// denied (PayPal's PAYMENT.CAPTURE.DENIED), so the order can be paid or
// cancelled again. reference is the gateway's id of the checkout that the
// hold names. An order no longer held by it appends nothing.
func (s *Service) DenyCapture(ctx context.Context, gatewayName, orderID, reference string) error {
	if !validOrderID(orderID) {
		return errMalformedOrderID(orderID)
	}
	unlock, err := s.locks.lock(ctx, orderID)
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.releaseHold(ctx, gatewayName, orderID, reference, "the gateway denied the pending capture"); err != nil {
		return err
	}
	s.logger.Warn().Str("order_id", orderID).Str("gateway", gatewayName).Str("reference", reference).
		Msg("pending capture denied; the order can be paid or cancelled again")
	return nil
}

// releaseHold appends PaymentCaptureFailed while the capture holds the
// order.
func (s *Service) releaseHold(ctx context.Context, gatewayName, orderID, reference, reason string) error {
	_, err := s.update(ctx, orderID, func(order *domain.Order) ([]esrepo.Event, error) {
		if event := order.FailCapture(gatewayName, reference, reason, s.now()); event != nil {
			return []esrepo.Event{*event}, nil
		}
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("release the capture hold of order %s: %w", orderID, err)
	}
	return nil
}

// captureOutcome reads whether the captured payment paid the order or was
// returned.
func (s *Service) captureOutcome(ctx context.Context, orderID, gatewayName, paymentReference string) (CaptureOutcome, *payments.Payment, error) {
	loaded, err := s.loadOrder(ctx, orderID)
	if err != nil {
		return CapturePending, nil, err
	}
	order := loaded.order
	if order.Gateway() == gatewayName && order.PaymentReference() == paymentReference {
		return CaptureSucceeded, nil, nil
	}
	return CaptureFailed, nil, nil
}
