package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/email/domain"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/platform/reactor"
)

// ReactionSendESIMEmail is the name of the reaction that emails issued
// orders their eSIMs.
const ReactionSendESIMEmail = "SendESIMEmailOnESIMIssued"

// Reactions returns SendESIMEmailOnESIMIssued and
// SendRefundNoticeOnOrderRefunded. On ESIMIssued and
// EmailResendRequested it starts the order's delivery loop unless one runs.
// The reactor replays the whole log at each start, and the loop reads the
// order's stream first, so an order whose last request was followed by
// EmailSent gets no second email.
//
// NOTE: when the process stops after the SMTP server accepted an email
// but before EmailSent was appended, the next start sends it again, so
// delivery is at least once.
func (s *Service) Reactions() []reactor.Reaction {
	return []reactor.Reaction{{
		Name:       ReactionSendESIMEmail,
		EventTypes: []string{"ESIMIssued", "TopUpApplied", domain.EventEmailResendRequested},
		Handle:     s.handleDelivery,
	}, {
		Name:       ReactionSendRefundNotice,
		EventTypes: []string{"OrderRefunded"},
		Handle:     s.handleRefund,
	}}
}

func (s *Service) handleDelivery(ctx context.Context, event eventstore.RecordedEvent) error {
	var target struct {
		OrderID   string    `json:"order_id"`
		AppliedAt time.Time `json:"applied_at"`
	}
	if err := json.Unmarshal(event.Data, &target); err != nil || target.OrderID == "" {
		return fmt.Errorf("decode %s at position %d: missing order_id", event.Type, event.Position)
	}
	// Top-up confirmations are newer than the eSIM email: a store upgraded
	// to this version must not mail buyers about top-ups applied long ago.
	if event.Type == "TopUpApplied" && s.now().Sub(target.AppliedAt) > refundNoticeWindow {
		return nil
	}
	ctx = esrepo.WithActor(ctx, "system")
	ctx = esrepo.WithCorrelation(ctx, event.Metadata.CorrelationID, event.ID)
	s.startDelivery(ctx, target.OrderID)
	return nil
}

// startDelivery runs the order's delivery loop in a goroutine, or tells
// the running loop to check the order once more.
func (s *Service) startDelivery(ctx context.Context, orderID string) {
	s.startLoop(orderID, func() { s.deliver(ctx, orderID) })
}

// startLoop runs loop in a goroutine unless the loop named key runs, in
// which case it tells that loop to check its order once more. A loop ends
// with finishDelivery(key).
func (s *Service) startLoop(key string, loop func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running[key] {
		s.again[key] = true
		return
	}
	s.running[key] = true
	s.workers.Add(1)
	go func() {
		defer s.workers.Done()
		loop()
	}()
}

// finishDelivery ends the loop named key unless a check was requested
// while it ran, in which case it returns false and the loop goes on.
func (s *Service) finishDelivery(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.again[key] {
		delete(s.again, key)
		return false
	}
	delete(s.running, key)
	return true
}

// deliver sends the order's eSIM email while the order needs one,
// recording EmailSent or EmailFailed for each attempt. Failures wait
// retryDelay, doubling up to maxRetryDelay, and stop after maxAttempts in
// a row.
func (s *Service) deliver(ctx context.Context, orderID string) {
	logger := s.logger.With().Str("order_id", orderID).Logger()
	failures := 0
	for {
		delivery, err := s.loadDelivery(ctx, orderID)
		if err != nil {
			logger.Error().Err(err).Msg("load order for email delivery failed; retried at the next start or resend")
			s.finishDelivery(orderID)
			return
		}
		if !delivery.Pending {
			if s.finishDelivery(orderID) {
				return
			}
			continue
		}
		sendable, err := s.resolveAddress(ctx, &delivery)
		if err != nil || !sendable {
			logger.Warn().Err(err).Msg("eSIM email not sent: the customer's address cannot be read")
			s.finishDelivery(orderID)
			return
		}
		attempt := delivery.Attempts + 1
		messageID, sendErr := s.sendESIMEmail(ctx, delivery)
		if ctx.Err() != nil {
			s.finishDelivery(orderID)
			return
		}
		if sendErr == nil {
			failures = 0
			if err := s.recordSent(ctx, orderID, messageID, attempt); err != nil {
				// Sending again would duplicate the email, so the loop stops.
				logger.Error().Err(err).Msg("eSIM email sent but not recorded; the next start sends it again")
				s.finishDelivery(orderID)
				return
			}
			logger.Info().Int("attempt", attempt).Msg("eSIM email sent")
			continue
		}
		failures++
		if !s.recordFailure(ctx, logger, orderID, attempt, failures, sendErr) {
			s.finishDelivery(orderID)
			return
		}
	}
}

// recordFailure appends EmailFailed and waits for the next attempt. It
// returns false when no attempt follows in this run.
func (s *Service) recordFailure(
	ctx context.Context,
	logger zerolog.Logger,
	orderID string,
	attempt, failures int,
	sendErr error,
) bool {
	event := domain.EmailFailed{
		OrderID:  orderID,
		Kind:     domain.KindESIMDelivery,
		Attempt:  attempt,
		Message:  sendErr.Error(),
		FailedAt: s.now().UTC(),
	}
	// Without SMTP settings no retry can succeed; an admin resends the
	// email after saving them.
	last := failures >= s.maxAttempts || errors.Is(sendErr, ErrNotConfigured)
	delay := s.retryDelayAfter(failures)
	if !last {
		retryAt := event.FailedAt.Add(delay)
		event.RetryAt = &retryAt
	}
	if _, err := s.repo.Append(ctx, domain.OrderStream(orderID), eventstore.Any(), event); err != nil {
		logger.Error().Err(err).Msg("record failed eSIM email failed")
	}
	if last && errors.Is(sendErr, ErrNotConfigured) {
		logger.Info().Msg("eSIM email not sent because SMTP is not configured; an admin can resend it after saving the SMTP settings")
		return false
	}
	if last {
		logger.Error().Err(sendErr).Int("attempt", attempt).Msg("eSIM email failed; no retry until an admin resends it")
		return false
	}
	logger.Warn().Err(sendErr).Int("attempt", attempt).Dur("retry_in", delay).Msg("eSIM email failed; retrying")
	select {
	case <-ctx.Done():
		return false
	case <-time.After(delay):
		return true
	}
}

func (s *Service) retryDelayAfter(failures int) time.Duration {
	delay := s.retryDelay
	for i := 1; i < failures && delay < s.maxRetryDelay; i++ {
		delay *= 2
	}
	return min(delay, s.maxRetryDelay)
}

func (s *Service) sendESIMEmail(ctx context.Context, delivery domain.Delivery) (string, error) {
	// Check the settings before drawing the QR codes, which costs more
	// than the whole rest of an unconfigured store's attempt.
	if _, _, err := s.server(ctx); err != nil {
		return "", err
	}
	if delivery.TopUp != nil {
		return s.send(ctx, topUpMessage(delivery, s.storeName))
	}
	msg, err := esimMessage(delivery, s.storeName)
	if err != nil {
		return "", err
	}
	return s.send(ctx, msg)
}

func (s *Service) recordSent(ctx context.Context, orderID, messageID string, attempt int) error {
	event := domain.EmailSent{
		OrderID:   orderID,
		Kind:      domain.KindESIMDelivery,
		MessageID: messageID,
		Attempt:   attempt,
		SentAt:    s.now().UTC(),
	}
	_, err := s.repo.Append(ctx, domain.OrderStream(orderID), eventstore.Any(), event)
	if err != nil {
		return fmt.Errorf("record email sent for order %s: %w", orderID, err)
	}
	return nil
}

func (s *Service) loadDelivery(ctx context.Context, orderID string) (domain.Delivery, error) {
	var delivery domain.Delivery
	_, err := s.repo.Load(ctx, domain.OrderStream(orderID), func(event eventstore.RecordedEvent) error {
		return delivery.Apply(event.Type, event.Data)
	})
	if err != nil {
		return domain.Delivery{}, fmt.Errorf("load order %s: %w", orderID, err)
	}
	return delivery, nil
}

// ErrNotIssued reports a resend for an order whose eSIMs are not issued.
var ErrNotIssued = errors.New("the order has no issued eSIM to email yet")

// ErrBuyerErased reports a resend for an order whose buyer was erased,
// so that its address can no longer be read.
var ErrBuyerErased = errors.New("the buyer of this order was erased; the eSIM email cannot be sent again")

// ResendOrderEmail appends EmailResendRequested, so that the delivery
// reaction emails the order's eSIMs once more. An unknown order is a
// NotFound error, an order without issued eSIMs a Conflict with code
// "order_not_issued", and an order whose customer or guest was erased a
// Conflict with code "buyer_erased". A rejected resend appends nothing.
func (s *Service) ResendOrderEmail(ctx context.Context, orderID string) (eventstore.AppendResult, error) {
	// Only ids of the form orders get reach a stream name.
	if _, err := uuid.Parse(orderID); err != nil || len(orderID) != 36 {
		return eventstore.AppendResult{}, errOrderNotFound()
	}
	delivery, err := s.loadDelivery(ctx, orderID)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if delivery.OrderID == "" {
		return eventstore.AppendResult{}, errOrderNotFound()
	}
	if !delivery.Issued {
		return eventstore.AppendResult{}, &apperr.Error{
			Kind: apperr.KindConflict, Code: "order_not_issued", Message: ErrNotIssued.Error(), Err: ErrNotIssued,
		}
	}
	sendable, err := s.resolveAddress(ctx, &delivery)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if !sendable {
		return eventstore.AppendResult{}, &apperr.Error{
			Kind: apperr.KindConflict, Code: "buyer_erased", Message: ErrBuyerErased.Error(), Err: ErrBuyerErased,
		}
	}
	event := domain.EmailResendRequested{OrderID: orderID, RequestedAt: s.now().UTC()}
	result, err := s.repo.Append(ctx, domain.OrderStream(orderID), eventstore.Any(), event)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("request email resend for order %s: %w", orderID, err)
	}
	s.logger.Info().Str("order_id", orderID).Msg("eSIM email resend requested")
	return result, nil
}
