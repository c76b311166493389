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
// since the hold. This finishes a capture after a crash between the hold
// and the capture, or after the gateway could not be reached. At start-up
// the reactor replays every hold, and those that were released or paid end
// here. The wait runs in a goroutine tracked by Wait, which ends with ctx.
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

func (s *Service) holdStands(ctx context.Context, hold domain.PaymentCaptureStarted) (bool, error) {
	loaded, err := s.loadOrder(ctx, hold.OrderID)
	if err != nil {
		return false, err
	}
	current := loaded.order.CaptureHold()
	return current.Gateway == hold.Gateway && current.Reference == hold.Reference, nil
}

// recoverCapture waits, then captures again if the hold still exists.
func (s *Service) recoverCapture(ctx context.Context, hold domain.PaymentCaptureStarted, wait time.Duration) {
	if wait > 0 {
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
	}
	logger := s.logger.With().Str("order_id", hold.OrderID).Str("gateway", hold.Gateway).
		Str("reference", hold.Reference).Logger()
	standing, err := s.holdStands(ctx, hold)
	if err != nil {
		logger.Error().Err(err).Msg("reading a held order failed; its capture is tried again at the next start")
		return
	}
	if !standing {
		return
	}
	logger.Info().Msg("capture still holds the order; capturing again")
	outcome, err := s.CapturePayment(ctx, hold.Gateway, hold.OrderID, hold.Reference)
	if err != nil {
		logger.Error().Err(err).Msg("capturing a held order failed; the gateway's webhook or the next start tries again")
		return
	}
	logger.Info().Str("outcome", string(outcome)).Msg("held capture finished")
}
