package app

import (
	"context"
	"errors"
	"fmt"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/domain"
	"esimscan/backend/money"
)

// TestOutcome is the result of a connection test. Cause and Message are set
// when OK is false, and Balance when OK is true. Message never contains a
// secret.
type TestOutcome struct {
	OK      bool
	Cause   adapters.Cause
	Message string
	Balance *money.Money
}

// TestProvider calls the provider's Balance endpoint with the saved
// settings, with a deadline of TestTimeout (Deps.TestTimeout when set), and
// appends ProviderTested whatever the outcome. A failed call is an outcome,
// not an error. The errors are domain.ErrProviderNotConfigured,
// domain.ErrSettingsChangedDuringTest when a save changed the connection
// settings while the call ran, and failures to load or append.
func (s *Service) TestProvider(ctx context.Context, slug string) (TestOutcome, eventstore.AppendResult, error) {
	provider, _, err := s.load(ctx, slug)
	if err != nil {
		return TestOutcome{}, eventstore.AppendResult{}, err
	}
	if err := provider.CheckTestable(); err != nil {
		return TestOutcome{}, eventstore.AppendResult{}, fmt.Errorf("test provider %s: %w", slug, err)
	}

	tested := provider.ConnectionRevision()
	outcome := s.callBalance(ctx, provider)
	result, err := s.execute(ctx, slug, func(provider *domain.Provider) ([]domain.Event, error) {
		return provider.RecordTest(domain.TestResult{
			OK:      outcome.OK,
			Cause:   string(outcome.Cause),
			Message: outcome.Message,
			Balance: outcome.Balance,
			At:      s.now(),
		}, tested)
	})
	if err != nil {
		return TestOutcome{}, eventstore.AppendResult{}, fmt.Errorf("record test of provider %s: %w", slug, err)
	}
	return outcome, result, nil
}

func (s *Service) callBalance(ctx context.Context, provider *domain.Provider) TestOutcome {
	logger := s.logger.With().Str("provider", provider.Slug()).Logger()
	client, err := s.clientFor(provider)
	if err == nil {
		callCtx, cancel := context.WithTimeout(ctx, s.testTimeout)
		defer cancel()
		var balance adapters.Balance
		balance, err = client.Balance(callCtx)
		if err == nil {
			logger.Info().Msg("provider test succeeded")
			return TestOutcome{OK: true, Balance: &balance.Amount, Message: "connected"}
		}
		if errors.Is(callCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			// The test's deadline ended the call. The client's own message
			// names its per-attempt deadline, which did not apply.
			err = fmt.Errorf("provider test deadline: %w", context.DeadlineExceeded)
		}
	}
	cause, message := describeFailure(err, s.testTimeout)
	logger.Warn().Err(err).Str("cause", string(cause)).Msg("provider test failed")
	return TestOutcome{OK: false, Cause: cause, Message: message}
}
