package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"esimscan/backend/internal/email/domain"
	"esimscan/backend/internal/email/smtp"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/esrepo"
)

// ReactionSendRefundNotice is the name of the reaction that emails buyers
// a notice of their refunds.
const ReactionSendRefundNotice = "SendRefundNoticeOnOrderRefunded"

// refundNoticeWindow bounds how old a refund or a top-up may be for its
// email to go: the reactor replays the whole log at each start, and a store
// upgraded to this version must not mail buyers about events of long ago.
const refundNoticeWindow = 7 * 24 * time.Hour

func (s *Service) handleRefund(ctx context.Context, event eventstore.RecordedEvent) error {
	var refund struct {
		OrderID    string    `json:"order_id"`
		RefundedAt time.Time `json:"refunded_at"`
	}
	if err := json.Unmarshal(event.Data, &refund); err != nil || refund.OrderID == "" {
		return fmt.Errorf("decode %s at position %d: missing order_id", event.Type, event.Position)
	}
	if s.now().Sub(refund.RefundedAt) > refundNoticeWindow {
		return nil
	}
	ctx = esrepo.WithActor(ctx, "system")
	ctx = esrepo.WithCorrelation(ctx, event.Metadata.CorrelationID, event.ID)
	key := "refund:" + refund.OrderID
	s.startLoop(key, func() { s.notifyRefunds(ctx, key, refund.OrderID) })
	return nil
}

// notifyRefunds sends one notice for each recent refund of the order that
// has none, recording EmailSent or EmailFailed with the refund's
// reference. A failed notice is tried again at the next start.
func (s *Service) notifyRefunds(ctx context.Context, key, orderID string) {
	logger := s.logger.With().Str("order_id", orderID).Logger()
	for {
		delivery, err := s.loadDelivery(ctx, orderID)
		if err != nil {
			logger.Error().Err(err).Msg("load order for refund notice failed; retried at the next start")
			s.finishDelivery(key)
			return
		}
		var pending []domain.Refund
		for _, refund := range delivery.PendingRefundNotices() {
			if s.now().Sub(refund.RefundedAt) <= refundNoticeWindow {
				pending = append(pending, refund)
			}
		}
		if len(pending) == 0 {
			if s.finishDelivery(key) {
				return
			}
			continue
		}
		sendable, err := s.resolveAddress(ctx, &delivery)
		if err != nil || !sendable {
			logger.Warn().Err(err).Msg("refund notice not sent: the buyer's address cannot be read")
			s.finishDelivery(key)
			return
		}
		for _, refund := range pending {
			if !s.notifyRefund(ctx, delivery, refund) {
				s.finishDelivery(key)
				return
			}
		}
	}
}

// notifyRefund sends and records one refund notice. It returns false when
// the loop must stop: SMTP is not configured, or a record failed.
func (s *Service) notifyRefund(ctx context.Context, delivery domain.Delivery, refund domain.Refund) bool {
	logger := s.logger.With().Str("order_id", delivery.OrderID).Str("refund", refund.Reference).Logger()
	messageID, sendErr := s.send(ctx, refundMessage(delivery, refund, s.storeName))
	if errors.Is(sendErr, ErrNotConfigured) {
		logger.Info().Msg("refund notice not sent because SMTP is not configured")
		return false
	}
	var event esrepo.Event = domain.EmailSent{
		OrderID: delivery.OrderID, Kind: domain.KindRefundNotice, RefundReference: refund.Reference,
		MessageID: messageID, Attempt: 1, SentAt: s.now().UTC(),
	}
	if sendErr != nil {
		event = domain.EmailFailed{
			OrderID: delivery.OrderID, Kind: domain.KindRefundNotice, RefundReference: refund.Reference,
			Attempt: 1, Message: sendErr.Error(), FailedAt: s.now().UTC(),
		}
	}
	if _, err := s.repo.Append(ctx, domain.OrderStream(delivery.OrderID), eventstore.Any(), event); err != nil {
		logger.Error().Err(err).Msg("record refund notice failed")
		return false
	}
	if sendErr != nil {
		logger.Error().Err(sendErr).Msg("refund notice failed; tried again at the next start")
		return false
	}
	logger.Info().Msg("refund notice sent")
	return true
}

func refundMessage(delivery domain.Delivery, refund domain.Refund, storeName string) smtp.Message {
	method := paymentMethods[delivery.Receipt.Gateway]
	if method == "" {
		method = delivery.Receipt.Gateway
	}
	text := fmt.Sprintf(`%s refunded %s of your order.

Order: %s
Package: %s
Order total: %s
Refunded: %s on %s, to the payment method you used (%s)
Refund reference: %s

Depending on your bank or payment provider, the money can take a few days
to reach your account.
`, storeName, refund.Amount, delivery.OrderID, delivery.PackageName, delivery.Receipt.Total,
		refund.Amount, refund.RefundedAt.UTC().Format("2 January 2006 15:04 UTC"), method, refund.Reference)
	return smtp.Message{
		To:      delivery.Email,
		Subject: fmt.Sprintf("Refund of %s from %s", refund.Amount, storeName),
		Text:    text,
	}
}
