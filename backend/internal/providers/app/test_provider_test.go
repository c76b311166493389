package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/secrets"
	"esimscan/backend/internal/providers/adapters"
	providersapp "esimscan/backend/internal/providers/app"
	"esimscan/backend/internal/providers/domain"
	"esimscan/backend/money"
)

func lastEvent(t *testing.T, f *fixture, stream string) (string, map[string]any) {
	t.Helper()
	events := f.store.Stream(stream)
	require.NotEmpty(t, events)
	last := events[len(events)-1]
	var data map[string]any
	require.NoError(t, json.Unmarshal(last.Data, &data))
	return last.Type, data
}

func TestService_TestProvider_ok(t *testing.T) {
	f := newFixture(t)
	f.configure(t, esimAccessCommand())
	f.client.balance = func(ctx context.Context) (adapters.Balance, error) {
		_, hasDeadline := ctx.Deadline()
		assert.True(t, hasDeadline, "the balance call has a deadline")
		return adapters.Balance{Amount: money.New(12_500_000, "USD")}, nil
	}

	outcome, result, err := f.service.TestProvider(adminContext(), "esim-access")

	require.NoError(t, err)
	assert.True(t, outcome.OK)
	require.NotNil(t, outcome.Balance)
	assert.Equal(t, "12.50 USD", outcome.Balance.String())
	assert.NotZero(t, result.Position)
	eventType, data := lastEvent(t, f, esimAccessStream)
	assert.Equal(t, "ProviderTested", eventType)
	assert.Equal(t, true, data["ok"])
	assert.Equal(t, "", data["cause"])
	assert.Equal(t, map[string]any{"amount": "12.50", "currency": "USD"}, data["balance"])
	assert.Equal(t, "2025-03-01T12:00:00Z", data["at"])

	builds := f.factory.builds()
	require.Len(t, builds, 1)
	assert.Equal(t, "https://api.esimaccess.example", builds[0].BaseURL)
	assert.Equal(t, map[string]string{"access_code": "plain-access-code-1", "secret_key": "plain-secret-key-1"},
		builds[0].Credentials)
}

func TestService_TestProvider_failureCauses(t *testing.T) {
	cases := []struct {
		name    string
		err     error
		cause   adapters.Cause
		message string
	}{
		{"rejected credentials", &adapters.Error{Cause: adapters.CauseCredentials, Message: "the provider rejected the access code"},
			adapters.CauseCredentials, "the provider rejected the access code"},
		{"not found", &adapters.Error{Cause: adapters.CauseNotFound, Message: "GET /balance returned 404"},
			adapters.CauseNotFound, "GET /balance returned 404"},
		{"deadline", context.DeadlineExceeded, adapters.CauseTimeout, "the provider did not answer within 20s"},
		{"unexpected", errors.New("internal detail"), adapters.CauseServerError,
			"the call failed inside esimScan. See the server log for the error."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.configure(t, esimAccessCommand())
			f.client.balance = func(ctx context.Context) (adapters.Balance, error) { return adapters.Balance{}, tc.err }

			outcome, _, err := f.service.TestProvider(adminContext(), "esim-access")

			require.NoError(t, err)
			assert.Equal(t, providersapp.TestOutcome{Cause: tc.cause, Message: tc.message}, outcome)
			eventType, data := lastEvent(t, f, esimAccessStream)
			assert.Equal(t, "ProviderTested", eventType)
			assert.Equal(t, false, data["ok"])
			assert.Equal(t, string(tc.cause), data["cause"])
			assert.Nil(t, data["balance"])
		})
	}
}

func TestService_TestProvider_undecryptableAfterKeyChange(t *testing.T) {
	f := newFixture(t)
	f.configure(t, esimAccessCommand())
	f.passTest(t, "esim-access")
	otherKey, err := secrets.GenerateAppKey()
	require.NoError(t, err)
	f.restart(t, otherKey)

	outcome, _, err := f.service.TestProvider(adminContext(), "esim-access")

	require.NoError(t, err)
	assert.False(t, outcome.OK)
	assert.Equal(t, adapters.CauseCredentials, outcome.Cause)
	assert.Contains(t, outcome.Message, "APP_KEY")
	assert.Len(t, f.factory.builds(), 1, "no client is built without credentials")
	_, err = f.service.EnableProvider(adminContext(), "esim-access")
	assert.ErrorIs(t, err, domain.ErrProviderNotTested)
	_, err = f.service.ClientFor(context.Background(), "esim-access")
	assert.ErrorIs(t, err, secrets.ErrUndecryptable)

	f.configure(t, esimAccessCommand())
	f.passTest(t, "esim-access")
}

func TestService_TestProvider_notConfigured(t *testing.T) {
	f := newFixture(t)

	_, _, err := f.service.TestProvider(adminContext(), "airalo")
	assertConflict(t, err, "provider_not_configured")

	_, _, err = f.service.StartSync(adminContext(), "airalo")
	assertConflict(t, err, "provider_not_configured")

	_, err = f.service.EnableProvider(adminContext(), "airalo")
	assertConflict(t, err, "provider_not_configured")

	_, err = f.service.ClientFor(context.Background(), "airalo")
	assert.ErrorIs(t, err, domain.ErrProviderNotConfigured)
	assert.Empty(t, f.store.Stream("provider-airalo"))
}

func assertConflict(t *testing.T, err error, code string) {
	t.Helper()
	appErr, ok := apperr.As(err)
	require.True(t, ok, "error %v is an *apperr.Error", err)
	assert.Equal(t, apperr.KindConflict, appErr.Kind)
	assert.Equal(t, code, appErr.Code)
}

func TestService_EnableProvider_afterTest(t *testing.T) {
	f := newFixture(t)
	f.configure(t, esimAccessCommand())

	_, err := f.service.EnableProvider(adminContext(), "esim-access")
	assertConflict(t, err, "provider_not_tested")

	f.passTest(t, "esim-access")
	_, err = f.service.EnableProvider(adminContext(), "esim-access")
	require.NoError(t, err)
	eventType, _ := lastEvent(t, f, esimAccessStream)
	assert.Equal(t, "ProviderEnabled", eventType)

	_, err = f.service.DisableProvider(adminContext(), "esim-access")
	require.NoError(t, err)
	eventType, _ = lastEvent(t, f, esimAccessStream)
	assert.Equal(t, "ProviderDisabled", eventType)
}

func TestService_ClientFor_cachedUntilSettingsChange(t *testing.T) {
	f := newFixture(t)
	f.configure(t, providersapp.ConfigureProvider{
		Slug: "maya", BaseURL: "https://api.maya.example", MarginPercent: "10", SyncIntervalMinutes: 30,
		Credentials: map[string]string{"api_key": "maya-key", "auth_mode": "bearer"},
	})

	first, err := f.service.ClientFor(context.Background(), "maya")
	require.NoError(t, err)
	second, err := f.service.ClientFor(context.Background(), "maya")
	require.NoError(t, err)

	assert.Same(t, first, second)
	builds := f.factory.builds()
	require.Len(t, builds, 1)
	assert.Equal(t, map[string]string{"api_key": "maya-key", "auth_mode": "bearer"}, builds[0].Credentials)

	limit := 100
	f.configure(t, providersapp.ConfigureProvider{
		Slug: "maya", BaseURL: "https://api2.maya.example", MarginPercent: "10", SyncIntervalMinutes: 30,
		RateLimitPerHour: &limit,
	})
	_, err = f.service.ClientFor(context.Background(), "maya")
	require.NoError(t, err)
	builds = f.factory.builds()
	require.Len(t, builds, 2)
	assert.Equal(t, "https://api2.maya.example", builds[1].BaseURL)
	assert.Equal(t, 100, builds[1].RateLimitPerHour)
}

func TestService_EnableProvider_changeNeedsNewTest(t *testing.T) {
	changes := map[string]func(cmd *providersapp.ConfigureProvider){
		"base url": func(cmd *providersapp.ConfigureProvider) { cmd.BaseURL = "https://other.esimaccess.example" },
		"credential": func(cmd *providersapp.ConfigureProvider) {
			cmd.Credentials = map[string]string{"secret_key": "plain-secret-key-2"}
		},
		"advanced": func(cmd *providersapp.ConfigureProvider) {
			cmd.Advanced = map[string]string{"package_list_body": `{"type":"BASE"}`}
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.configure(t, esimAccessCommand())
			f.passTest(t, "esim-access")
			cmd := esimAccessCommand()
			change(&cmd)
			f.configure(t, cmd)

			_, err := f.service.EnableProvider(adminContext(), "esim-access")
			assertConflict(t, err, "provider_not_tested")

			f.passTest(t, "esim-access")
			_, err = f.service.EnableProvider(adminContext(), "esim-access")
			require.NoError(t, err)
		})
	}
}

func TestService_TestProvider_changedSettingsNotRecorded(t *testing.T) {
	f := newFixture(t)
	f.configure(t, esimAccessCommand())
	f.client.balance = func(ctx context.Context) (adapters.Balance, error) {
		// A save lands while the provider is responding to the old settings.
		cmd := esimAccessCommand()
		cmd.BaseURL = "https://other.esimaccess.example"
		_, err := f.service.ConfigureProvider(adminContext(), cmd)
		assert.NoError(t, err)
		return adapters.Balance{Amount: money.New(1_000_000, "USD")}, nil
	}

	_, _, err := f.service.TestProvider(adminContext(), "esim-access")

	assertConflict(t, err, "provider_settings_changed")
	assert.NotContains(t, f.store.Types(esimAccessStream), "ProviderTested")
	_, err = f.service.EnableProvider(adminContext(), "esim-access")
	assertConflict(t, err, "provider_not_tested")
}

func TestService_TestProvider_timeoutNamesTestDeadline(t *testing.T) {
	f := newFixture(t)
	f.testTimeout = 50 * time.Millisecond
	f.restart(t, f.appKey)
	f.configure(t, esimAccessCommand())
	f.client.balance = func(ctx context.Context) (adapters.Balance, error) {
		// As the HTTP client reports it: with its own per-attempt deadline.
		<-ctx.Done()
		return adapters.Balance{}, &adapters.Error{Cause: adapters.CauseTimeout, Message: "no response within 30s", Err: ctx.Err()}
	}

	outcome, _, err := f.service.TestProvider(adminContext(), "esim-access")

	require.NoError(t, err)
	assert.Equal(t, adapters.CauseTimeout, outcome.Cause)
	assert.Equal(t, "the provider did not answer within 50ms", outcome.Message)
}
