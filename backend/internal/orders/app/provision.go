package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/platform/reactor"
)

// ReactionProvisionESIM is the name of the reaction that provisions paid
// orders.
const ReactionProvisionESIM = "ProvisionESIMOnOrderPaid"

// Demo eSIMs of the stub driver point at a host in .invalid, a top-level
// domain reserved never to resolve (RFC 2606), so no device can download
// them.
const (
	demoSMDPAddress = "demo.esimscan.invalid"
	demoICCIDPrefix = "8999"
	demoICCIDDigits = 19
)

// Reactions returns ProvisionESIMOnOrderPaid and
// CapturePaymentOnCaptureStarted. On OrderPaid the first starts
// provisioning a paid order with the configured driver. On
// ProvisioningStarted and ProvisioningRetried it runs the driver recorded
// in the order, unless the order is no longer in provisioning. The second
// runs a capture again that still holds its order (see handleCaptureHold).
// The reactor replays the whole log at each start, so every step loads the
// order and acts only when its work is not done.
func (s *Service) Reactions() []reactor.Reaction {
	return []reactor.Reaction{{
		Name:       ReactionProvisionESIM,
		EventTypes: []string{domain.EventOrderPaid, domain.EventProvisioningStarted, domain.EventProvisioningRetried},
		Handle:     s.handleProvisioning,
	}, {
		Name:       ReactionCapturePayment,
		EventTypes: []string{domain.EventPaymentCaptureStarted},
		Handle:     s.handleCaptureHold,
	}}
}

func (s *Service) handleProvisioning(ctx context.Context, event eventstore.RecordedEvent) error {
	s.handlers.Add(1)
	defer s.handlers.Done()
	var target struct {
		OrderID string `json:"order_id"`
	}
	if err := decodeEvent(event, &target); err != nil {
		return err
	}
	ctx = esrepo.WithActor(ctx, "system")
	ctx = esrepo.WithCorrelation(ctx, correlationOf(event), event.ID)
	switch event.Type {
	case domain.EventOrderPaid:
		return s.startProvisioning(ctx, target.OrderID)
	case domain.EventProvisioningStarted, domain.EventProvisioningRetried:
		return s.runDriver(ctx, target.OrderID)
	}
	return nil
}

// startProvisioning hands a paid order to the configured driver.
func (s *Service) startProvisioning(ctx context.Context, orderID string) error {
	started := false
	_, err := s.update(ctx, orderID, func(order *domain.Order) ([]esrepo.Event, error) {
		started = false
		if order.Status() != domain.StatusPaid {
			return nil, nil
		}
		event, err := order.StartProvisioning(s.driver, s.now())
		if err != nil {
			return nil, err
		}
		started = true
		return []esrepo.Event{event}, nil
	})
	if err != nil {
		return fmt.Errorf("start provisioning: %w", err)
	}
	if started {
		s.logger.Info().Str("order_id", orderID).Str("driver", s.driver).Msg("provisioning started")
	}
	return nil
}

// runDriver issues the eSIMs of an order in provisioning, by the driver
// that took charge of it when provisioning started.
func (s *Service) runDriver(ctx context.Context, orderID string) error {
	loaded, err := s.loadOrder(ctx, orderID)
	if err != nil {
		return err
	}
	if loaded.order.Status() != domain.StatusProvisioning {
		return nil
	}
	if loaded.order.TopUpOf() != nil && loaded.order.Driver() != domain.DriverLive {
		// The stub and manual drivers reach no provider, so a top-up counts
		// as applied to the same ICCID at once.
		return s.applyTopUpAtOnce(ctx, orderID, loaded.order.Driver())
	}
	switch loaded.order.Driver() {
	case domain.DriverStub:
		return s.issueDemoESIMs(ctx, orderID)
	case domain.DriverLive:
		if s.providers == nil {
			s.liveWarnOnce.Do(func() {
				s.logger.Warn().Str("order_id", orderID).
					Msg("live provisioning driver has no provider clients; orders stay in provisioning until fulfilled by hand")
			})
			return nil
		}
		// The worker outlives this handler, so that a slow provider does not
		// hold up the reactor, and ends with the reactor's context.
		s.startLive(ctx, orderID)
	}
	// The manual driver waits for an admin's FulfilManually.
	return nil
}

func (s *Service) issueDemoESIMs(ctx context.Context, orderID string) error {
	issued := false
	_, err := s.update(ctx, orderID, func(order *domain.Order) ([]esrepo.Event, error) {
		issued = false
		if order.Status() != domain.StatusProvisioning {
			return nil, nil
		}
		esims, err := demoESIMs(order.Quantity())
		if err != nil {
			return nil, err
		}
		event, err := order.Issue(esims, s.now())
		if err != nil {
			return nil, err
		}
		issued = true
		return []esrepo.Event{event}, nil
	})
	if err != nil {
		return fmt.Errorf("issue demo eSIMs: %w", err)
	}
	if issued {
		s.logger.Info().Str("order_id", orderID).Str("driver", domain.DriverStub).Msg("esim issued")
	}
	return nil
}

// demoESIMs makes count eSIMs that work on no network: ICCIDs of 19 digits
// starting 8999 and activation codes DEMO-<16 random hex digits>.
func demoESIMs(count int) ([]domain.ESIM, error) {
	esims := make([]domain.ESIM, 0, count)
	for range count {
		iccid, err := randomDigits(demoICCIDDigits - len(demoICCIDPrefix))
		if err != nil {
			return nil, err
		}
		raw := make([]byte, 8)
		if _, err := rand.Read(raw); err != nil {
			return nil, fmt.Errorf("read random activation code: %w", err)
		}
		code := "DEMO-" + hex.EncodeToString(raw)
		esims = append(esims, domain.ESIM{
			ICCID:          demoICCIDPrefix + iccid,
			LPA:            "LPA:1$" + demoSMDPAddress + "$" + code,
			SMDPAddress:    demoSMDPAddress,
			ActivationCode: code,
			Demo:           true,
		})
	}
	return esims, nil
}

func randomDigits(n int) (string, error) {
	digits := make([]byte, n)
	for i := range digits {
		digit, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			return "", fmt.Errorf("read random digit: %w", err)
		}
		digits[i] = byte('0' + digit.Int64())
	}
	return string(digits), nil
}

func decodeEvent(event eventstore.RecordedEvent, into any) error {
	if err := json.Unmarshal(event.Data, into); err != nil {
		return fmt.Errorf("decode %s at %s/%d: %w", event.Type, event.Stream, event.Revision, err)
	}
	return nil
}

// correlationOf keeps the correlation id of the request that paid the
// order, or starts one at this event.
func correlationOf(event eventstore.RecordedEvent) string {
	if event.Metadata.CorrelationID != "" {
		return event.Metadata.CorrelationID
	}
	return event.ID
}
