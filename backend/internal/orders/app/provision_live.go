package app

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/providers/adapters"
)

// liveRun is a running live driver worker. When again is set, the worker
// loads the order once more before it ends, because provisioning started
// again while it was finishing.
type liveRun struct {
	again bool
}

// liveStep is the outcome of one attempt of the live driver.
type liveStep struct {
	done       bool          // the eSIMs were issued, or the order left provisioning
	final      string        // the reason to fail the order with, when not empty
	cause      string        // the cause OrderFailed records with final, if any
	retryErr   error         // a retryable failure; nil while the provider allocates
	retryAfter time.Duration // the wait the provider asked for, if any
}

// startLive runs the live driver for an order in a tracked goroutine,
// unless one already runs for that order.
func (s *Service) startLive(ctx context.Context, orderID string) {
	s.liveMu.Lock()
	defer s.liveMu.Unlock()
	if run, found := s.liveRuns[orderID]; found {
		run.again = true
		return
	}
	run := &liveRun{}
	s.liveRuns[orderID] = run
	s.workers.Add(1)
	go func() {
		defer s.workers.Done()
		for {
			s.provisionLive(ctx, orderID)
			s.liveMu.Lock()
			if run.again && ctx.Err() == nil {
				run.again = false
				s.liveMu.Unlock()
				continue
			}
			delete(s.liveRuns, orderID)
			s.liveMu.Unlock()
			return
		}
	}()
}

// provisionLive orders an order's eSIMs from its provider, or resumes
// polling the provider order already recorded, until the eSIMs are issued,
// a final error fails the order, the deadline passes, or ctx ends. It acts
// only while the order is in provisioning with the live driver.
func (s *Service) provisionLive(ctx context.Context, orderID string) {
	logger := s.logger.With().Str("order_id", orderID).Str("driver", domain.DriverLive).Logger()
	wait := s.pollInterval
	var lastErr error
	for {
		loaded, err := s.loadOrder(ctx, orderID)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			logger.Warn().Err(err).Dur("retry_in", wait).Msg("loading the order for live provisioning failed; retrying")
			if !sleep(ctx, wait) {
				return
			}
			continue
		}
		order := loaded.order
		if order.Status() != domain.StatusProvisioning || order.Driver() != domain.DriverLive {
			return
		}
		step := s.attemptLive(ctx, order, logger)
		if ctx.Err() != nil {
			return
		}
		switch {
		case step.done:
			return
		case step.final != "":
			s.failLive(ctx, orderID, step.final, step.cause, logger)
			return
		}
		if step.retryErr != nil {
			lastErr = step.retryErr
			logger.Warn().Err(step.retryErr).Dur("retry_in", wait).Msg("provider call failed; retrying")
		}

		deadline := order.ProvisioningSince().Add(s.liveDeadline)
		remaining := deadline.Sub(s.now())
		if remaining <= 0 {
			s.failLive(ctx, orderID, deadlineReason(order.Package().Provider, s.liveDeadline, lastErr), domain.FailureDeadline, logger)
			return
		}
		// The last attempt runs at the deadline, so a profile allocated just
		// before it is still issued.
		if !sleep(ctx, min(max(wait, step.retryAfter), remaining)) {
			return
		}
		wait = min(wait*2, s.maxPollInterval)
	}
}

// attemptLive makes one provider call for an order in provisioning: Order
// while no provider order is recorded, QueryOrder afterwards.
func (s *Service) attemptLive(ctx context.Context, order *domain.Order, logger zerolog.Logger) liveStep {
	recorded := order.ProviderOrder()
	slug := order.Package().Provider
	if recorded.ProviderOrderID != "" {
		slug = recorded.Provider
	}
	client, err := s.providers.ClientFor(ctx, slug)
	if err != nil {
		return liveStep{final: fmt.Sprintf("provider %s is not usable: %v", slug, err)}
	}
	if order.TopUpOf() != nil {
		return s.attemptTopUp(ctx, order, client, slug)
	}

	if recorded.ProviderOrderID != "" {
		result, err := client.QueryOrder(ctx, recorded.ProviderOrderID)
		if err != nil {
			return pollFailure(slug, err)
		}
		if !complete(result) {
			return liveStep{}
		}
		return s.recordResult(ctx, order.ID(), slug, result, logger)
	}

	prepared, err := s.beginPurchase(ctx, order.ID(), slug)
	if err != nil {
		return purchaseFailure(err)
	}
	logUnknownOutcome(logger, slug, prepared)
	// The order id is the idempotency key: a retry or a restart sends the
	// same reference, and the adapter then finds the first purchase
	// instead of buying again. Adapters of providers without such a key
	// look up from OutcomeUnknownSince, or OpenedOrderID, instead.
	//
	// TODO: Wholesale is left zero, so no provider checks the price, because
	// the order's package snapshot does not record the wholesale price.
	pkg := order.Package()
	result, err := client.Order(ctx, adapters.OrderRequest{
		Reference:           order.ID(),
		ProviderPackageID:   pkg.ProviderPackageID,
		Quantity:            order.Quantity(),
		OutcomeUnknownSince: prepared.unknownSince,
		Claimed:             s.claimedFunc(order.ID(), slug, prepared),
		OpenedOrderID:       prepared.openedID,
		Opened:              s.recordOpened(order.ID(), slug),
	})
	if err != nil {
		return providerFailure(slug, err)
	}
	if result.ProviderOrderID == "" && !complete(result) {
		return liveStep{final: fmt.Sprintf("order from %s failed (%s): the provider returned no order id",
			slug, adapters.CauseBadResponse), cause: string(adapters.CauseBadResponse)}
	}
	return s.recordResult(ctx, order.ID(), slug, result, logger)
}

// recordResult appends ProviderOrderPlaced for a new provider order, and
// ESIMIssued in the same append when the result carries every eSIM. A
// result whose eSIMs the order rejects still records the provider order,
// then fails the order.
func (s *Service) recordResult(
	ctx context.Context,
	orderID, slug string,
	result adapters.OrderResult,
	logger zerolog.Logger,
) liveStep {
	var placed, issued bool
	var issueErr error
	_, err := s.update(ctx, orderID, func(order *domain.Order) ([]esrepo.Event, error) {
		placed, issued, issueErr = false, false, nil
		if order.Status() != domain.StatusProvisioning {
			return nil, nil
		}
		var events []esrepo.Event
		if result.ProviderOrderID != "" {
			event, err := order.RecordProviderOrder(slug, result.ProviderOrderID, order.ID(), s.now())
			if err != nil {
				return nil, err
			}
			if event != nil {
				events, placed = append(events, *event), true
			}
		}
		if complete(result) {
			event, err := order.Issue(esimsOf(result), s.now())
			if err != nil {
				issueErr = err
				return events, nil
			}
			events, issued = append(events, event), true
		}
		return events, nil
	})
	if err != nil {
		return liveStep{retryErr: fmt.Errorf("record provider order %s: %w", result.ProviderOrderID, err)}
	}
	if placed {
		logger.Info().Str("provider", slug).Str("provider_order_id", result.ProviderOrderID).Msg("provider order placed")
	}
	switch {
	case issueErr != nil:
		return liveStep{final: fmt.Sprintf("order from %s failed (%s): %v", slug, adapters.CauseBadResponse, issueErr),
			cause: string(adapters.CauseBadResponse)}
	case issued:
		logger.Info().Str("provider", slug).Msg("esim issued")
		return liveStep{done: true}
	}
	return liveStep{}
}

// failLive appends OrderFailed with reason and cause unless the order left
// provisioning.
func (s *Service) failLive(ctx context.Context, orderID, reason, cause string, logger zerolog.Logger) {
	reason = truncate(reason, maxFailureReason)
	failed := false
	_, err := s.update(ctx, orderID, func(order *domain.Order) ([]esrepo.Event, error) {
		failed = false
		if order.Status() != domain.StatusProvisioning {
			return nil, nil
		}
		event, err := order.FailWithCause(reason, cause, s.now())
		if err != nil {
			return nil, err
		}
		failed = true
		return []esrepo.Event{event}, nil
	})
	if err != nil {
		// The order stays in provisioning, and the next start resumes it.
		logger.Error().Err(err).Str("reason", reason).Msg("marking the order failed did not work")
		return
	}
	if failed {
		logger.Warn().Str("reason", reason).Str("cause", cause).Msg("order failed")
	}
}

// providerFailure sorts a failed purchase call. A business refusal
// (CauseRejected, such as an insufficient balance) fails the order at once
// with the adapter's message as the reason, which tells the admin what to
// fix before retrying. Credentials, a wrong path, an unreadable response
// and errors outside the adapter contract, such as an invalid request,
// fail the order too. Timeouts, unreachable hosts, rate limits, server
// errors and failures of esimScan's own store or read model during the
// call are retried within the deadline. A call that stopped because the
// order left provisioning ends the driver.
func providerFailure(slug string, err error) liveStep {
	var local *localError
	if errors.As(err, &local) {
		return liveStep{retryErr: err}
	}
	if errors.Is(err, errLeftProvisioning) {
		return liveStep{done: true}
	}
	var providerErr *adapters.Error
	if !errors.As(err, &providerErr) {
		return liveStep{final: fmt.Sprintf("order from %s failed: %v", slug, err)}
	}
	switch providerErr.Cause {
	case adapters.CauseTimeout, adapters.CauseUnreachable, adapters.CauseRateLimited, adapters.CauseServerError:
		return liveStep{retryErr: err, retryAfter: providerErr.RetryAfter}
	case adapters.CauseRejected:
		return liveStep{final: providerErr.Message, cause: domain.FailureRejected}
	}
	return liveStep{final: fmt.Sprintf("order from %s failed (%s): %s", slug, providerErr.Cause, providerErr.Message),
		cause: string(providerErr.Cause)}
}

// purchaseFailure sorts a failure to prepare a purchase call: an order
// that left provisioning needs no call, and the rest is retried.
func purchaseFailure(err error) liveStep {
	if errors.Is(err, errLeftProvisioning) {
		return liveStep{done: true}
	}
	return liveStep{retryErr: err}
}

// logUnknownOutcome logs that a purchase call looks up an earlier call's
// order before buying.
func logUnknownOutcome(logger zerolog.Logger, slug string, prepared purchase) {
	if prepared.unknownSince.IsZero() {
		return
	}
	logger.Info().Str("provider", slug).Time("outcome_unknown_since", prepared.unknownSince).
		Str("opened_provider_order_id", prepared.openedID).
		Msg("an earlier provider call may have bought the order; the adapter looks it up before buying")
}

// pollFailure sorts a failed query of a provider order already recorded.
// The provider accepted that purchase, so its refusal of a query, such as
// an order number it does not list yet, does not fail the order: the
// order is polled again until the deadline, whose reason then names the
// refusal. Other causes are sorted as for a purchase.
func pollFailure(slug string, err error) liveStep {
	if adapters.CauseOf(err) == adapters.CauseRejected {
		return liveStep{retryErr: err}
	}
	return providerFailure(slug, err)
}

func deadlineReason(slug string, deadline time.Duration, lastErr error) string {
	reason := fmt.Sprintf("no eSIM from %s within %s", slug, deadline)
	var providerErr *adapters.Error
	if errors.As(lastErr, &providerErr) {
		reason += fmt.Sprintf("; last error (%s): %s", providerErr.Cause, providerErr.Message)
	}
	return reason
}

// complete reports whether a provider's result carries the order's eSIMs.
func complete(result adapters.OrderResult) bool {
	return !result.Pending && len(result.ESIMs) > 0
}

func esimsOf(result adapters.OrderResult) []domain.ESIM {
	esims := make([]domain.ESIM, 0, len(result.ESIMs))
	for _, esim := range result.ESIMs {
		esims = append(esims, domain.ESIM{
			ICCID:          esim.ICCID,
			LPA:            esim.LPA,
			SMDPAddress:    esim.SMDPAddress,
			ActivationCode: esim.ActivationCode,
		})
	}
	return esims
}

// truncate shortens text to at most limit bytes without splitting a UTF-8
// character.
func truncate(text string, limit int) string {
	if len(text) <= limit {
		return text
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut]
}

// sleep waits for d and returns false when ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
