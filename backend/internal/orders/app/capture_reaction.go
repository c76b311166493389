package app

import (
	"context"
	"time"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/platform/esrepo"
)

// ReactionCapturePayment is the name of the reaction that finishes
// payment captures that still hold their order.
const ReactionCapturePayment = "CapturePaymentOnCaptureStarted"

// handleCaptureHold runs CapturePayment again for a PaymentCaptureStarted
// that still holds its order once the capture recovery delay has passed
// since the hold, and again after each wait while the hold remains (see
// recoverCapture). This finishes a capture after a crash between the hold
// and the capture, or after the gateway could not be reached. At start-up
// the reactor replays every hold, and those that were released or paid end
// here. The retries run in a goroutine tracked by Wait, which ends with
// ctx.
func (s *Service) handleCaptureHold(ctx context.Context, event eventstore.RecordedEvent) error {
	s.handlers.Add(1)
	defer s.handlers.Done()
	var hold domain.PaymentCaptureStarted
	if err := decodeEvent(event, &hold); err != nil {
		return err
	}
	if !validOrderID(hold.OrderID) {
		return nil
	}
	standing, err := s.holdStands(ctx, hold)
	if err != nil || !standing {
		return err
	}
	ctx = esrepo.WithActor(ctx, "system")
	ctx = esrepo.WithCorrelation(ctx, correlationOf(event), event.ID)
	wait := s.captureRecovery - s.now().Sub(hold.At)
	s.workers.Add(1)
	go func() {
		defer s.workers.Done()
		s.recoverCapture(ctx, hold, wait)
	}()
	return nil
}

// holdStands reports whether this very PaymentCaptureStarted is still the
// order's hold. A later hold of the same reference runs its own recovery,
// so the time must match too.
func (s *Service) holdStands(ctx context.Context, hold domain.PaymentCaptureStarted) (bool, error) {
	loaded, err := s.loadOrder(ctx, hold.OrderID)
	if err != nil {
		return false, err
	}
	current := loaded.order.CaptureHold()
	return current.Gateway == hold.Gateway && current.Reference == hold.Reference && current.At.Equal(hold.At), nil
}

// recoverCapture waits, then captures again, for as long as the hold
// remains: the first try after wait, each later one after twice the last
// wait, from the capture recovery delay up to its maximum. A gateway that
// stays unreachable is thus called at most every maxCaptureRetry, and a
// capture that completes at the gateway while it cannot be reached is
// recorded at the next try. It ends when a try pays or releases the
// order, when the hold has ended otherwise, or when ctx ends.
func (s *Service) recoverCapture(ctx context.Context, hold domain.PaymentCaptureStarted, wait time.Duration) {
	logger := s.logger.With().Str("order_id", hold.OrderID).Str("gateway", hold.Gateway).
		Str("reference", hold.Reference).Logger()
	next := s.captureRecovery
	for attempt := 1; ; attempt++ {
		if wait > 0 && !sleep(ctx, wait) {
			return
		}
		wait, next = next, min(2*next, s.maxCaptureRetry)
		standing, err := s.holdStands(ctx, hold)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			logger.Error().Err(err).Dur("retry_in", wait).Msg("reading a held order failed, retrying")
			continue
		}
		if !standing {
			return
		}
		logger.Info().Int("attempt", attempt).Msg("capture hold remains on the order, capturing again")
		outcome, err := s.CapturePayment(ctx, hold.Gateway, hold.OrderID, hold.Reference)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			logger.Warn().Err(err).Int("attempt", attempt).Dur("retry_in", wait).
				Msg("capturing a held order failed, retrying while the hold is in place")
			continue
		}
		if outcome != CapturePending {
			logger.Info().Str("outcome", string(outcome)).Int("attempt", attempt).Msg("held capture finished")
			return
		}
		// PayPal reports the capture as pending. Its webhook or a later try
		// ends the hold.
		logger.Info().Int("attempt", attempt).Dur("retry_in", wait).Msg("held capture still pending at the gateway")
	}
}
