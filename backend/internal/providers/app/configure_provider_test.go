package app_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/providers/adapters"
	providersapp "esimscan/backend/internal/providers/app"
	"esimscan/backend/internal/providers/domain"
	"esimscan/backend/money"
)

const esimAccessStream = "provider-esim-access"

func TestService_ConfigureProvider_appendsEvents(t *testing.T) {
	f := newFixture(t)

	result := f.configure(t, esimAccessCommand())

	events := f.store.Stream(esimAccessStream)
	require.Len(t, events, 4)
	assert.Equal(t, events[3].Revision, result.NextRevision)
	assert.Equal(t, []string{"ProviderConfigured", "ProviderMarginSet", "ProviderCredentialSet", "ProviderCredentialSet"},
		f.store.Types(esimAccessStream))
	assert.JSONEq(t, `{"slug": "esim-access", "base_url": "https://api.esimaccess.example",
		"sync_interval_minutes": 60, "rate_limit_per_hour": null, "advanced": {}}`, string(events[0].Data))
	assert.JSONEq(t, `{"slug": "esim-access", "old_percent": null, "new_percent": "25"}`, string(events[1].Data))
	assert.Equal(t, "admin-1", events[0].Metadata.ActorID)
	assert.Equal(t, 1, events[0].Metadata.SchemaVersion)
}

func TestService_ConfigureProvider_credentialEventsSealed(t *testing.T) {
	f := newFixture(t)
	f.configure(t, esimAccessCommand())
	cmd := esimAccessCommand()
	cmd.Credentials = map[string]string{"secret_key": "plain-secret-key-2", "access_code": ""}

	f.configure(t, cmd)

	events := f.store.Stream(esimAccessStream)
	require.Len(t, events, 6, "second save adds ProviderConfigured and one credential event")
	var set struct {
		Slug           string  `json:"slug"`
		Field          string  `json:"field"`
		OldFingerprint *string `json:"old_fingerprint"`
		Fingerprint    string  `json:"fingerprint"`
		Sealed         string  `json:"sealed"`
	}
	require.NoError(t, json.Unmarshal(events[5].Data, &set))
	assert.Equal(t, "secret_key", set.Field)
	require.NotNil(t, set.OldFingerprint)
	assert.Equal(t, f.keys.Fingerprint("plain-secret-key-1"), *set.OldFingerprint)
	assert.Equal(t, f.keys.Fingerprint("plain-secret-key-2"), set.Fingerprint)
	opened, err := f.keys.Open(set.Sealed, "provider:esim-access:secret_key")
	require.NoError(t, err)
	assert.Equal(t, "plain-secret-key-2", string(opened))
}

func TestService_ConfigureProvider_noPlaintextSecretStored(t *testing.T) {
	f := newFixture(t)
	secretValues := []string{"plain-access-code-1", "plain-secret-key-1", "plain-secret-key-2", "maya-key-1", "maya-secret-1"}
	f.configure(t, esimAccessCommand())
	cmd := esimAccessCommand()
	cmd.Credentials = map[string]string{"secret_key": "plain-secret-key-2"}
	f.configure(t, cmd)
	f.configure(t, providersapp.ConfigureProvider{
		Slug: "maya", BaseURL: "https://api.maya.example", MarginPercent: "10", SyncIntervalMinutes: 30,
		Credentials: map[string]string{"api_key": "maya-key-1", "api_secret": "maya-secret-1", "auth_mode": "basic"},
	})
	f.passTest(t, "esim-access")
	_, _, err := f.service.StartSync(adminContext(), "esim-access")
	require.NoError(t, err)
	f.handleLastSyncStarted(t, esimAccessStream)

	stored := f.store.Stream(esimAccessStream)
	stored = append(stored, f.store.Stream("provider-maya")...)
	require.NotEmpty(t, stored)
	for _, event := range stored {
		metadata, err := json.Marshal(event.Metadata)
		require.NoError(t, err)
		for _, secret := range secretValues {
			assert.NotContains(t, string(event.Data), secret, "event %s data", event.Type)
			assert.NotContains(t, string(metadata), secret, "event %s metadata", event.Type)
		}
	}
	for _, secret := range append(secretValues, f.appKey) {
		assert.NotContains(t, f.logs.String(), secret, "log output")
	}
}

func TestService_ConfigureProvider_validationAppendsNothing(t *testing.T) {
	zero := 0
	cases := []struct {
		name   string
		change func(cmd *providersapp.ConfigureProvider)
		field  string
	}{
		{"base url", func(c *providersapp.ConfigureProvider) { c.BaseURL = "file:///etc/passwd" }, "base_url"},
		{"margin", func(c *providersapp.ConfigureProvider) { c.MarginPercent = "150" }, "margin_percent"},
		{"interval", func(c *providersapp.ConfigureProvider) { c.SyncIntervalMinutes = 1 }, "sync_interval_minutes"},
		{"rate limit", func(c *providersapp.ConfigureProvider) { c.RateLimitPerHour = &zero }, "rate_limit_per_hour"},
		{"missing secret", func(c *providersapp.ConfigureProvider) { delete(c.Credentials, "secret_key") }, "credentials.secret_key"},
		{"unknown credential", func(c *providersapp.ConfigureProvider) { c.Credentials["password"] = "x" }, "credentials.password"},
		{"balance path", func(c *providersapp.ConfigureProvider) { c.Advanced = map[string]string{"balance_path": "x"} }, "advanced.balance_path"},
		{"list body", func(c *providersapp.ConfigureProvider) { c.Advanced = map[string]string{"package_list_body": "1"} }, "advanced.package_list_body"},
		{"unknown advanced", func(c *providersapp.ConfigureProvider) { c.Advanced = map[string]string{"proxy": "x"} }, "advanced.proxy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			cmd := esimAccessCommand()
			tc.change(&cmd)

			_, err := f.service.ConfigureProvider(adminContext(), cmd)

			appErr, ok := apperr.As(err)
			require.True(t, ok, "error %v", err)
			assert.Equal(t, apperr.KindInvalid, appErr.Kind)
			assert.Equal(t, tc.field, appErr.Field)
			assert.Empty(t, f.store.Stream(esimAccessStream))
		})
	}
}

func TestService_ConfigureProvider_unknownSlug(t *testing.T) {
	f := newFixture(t)
	cmd := esimAccessCommand()
	cmd.Slug = "acme"

	_, err := f.service.ConfigureProvider(adminContext(), cmd)

	assert.ErrorIs(t, err, domain.ErrProviderNotFound)
	assert.Empty(t, f.store.Stream("provider-acme"))
}

func TestService_ConfigureProvider_concurrentSavesOneConflict(t *testing.T) {
	f := newFixture(t)
	// Hold both saves at their append until both have loaded the stream.
	var arrivals atomic.Int32
	bothLoaded := make(chan struct{})
	f.store.SetBeforeAppend(func(string) {
		switch arrivals.Add(1) {
		case 1:
		case 2:
			close(bothLoaded)
		default:
			return
		}
		select {
		case <-bothLoaded:
		case <-time.After(10 * time.Second):
			t.Error("the second save did not reach its append within 10s")
		}
	})
	errs := make(chan error, 2)
	for _, margin := range []string{"10", "20"} {
		go func() {
			cmd := esimAccessCommand()
			cmd.MarginPercent = margin
			_, err := f.service.ConfigureProvider(adminContext(), cmd)
			errs <- err
		}()
	}

	var results []error
	for range 2 {
		select {
		case err := <-errs:
			results = append(results, err)
		case <-time.After(10 * time.Second):
			t.Fatal("concurrent saves did not return within 10s")
		}
	}

	conflicts := 0
	for _, err := range results {
		if err != nil {
			assert.ErrorIs(t, err, esrepo.ErrConflict)
			conflicts++
		}
	}
	assert.Equal(t, 1, conflicts)
	assert.Len(t, f.store.Types(esimAccessStream), 4, "only the winner's events are stored")
}

func TestService_ConfigureProvider_expectedVersion(t *testing.T) {
	f := newFixture(t)
	first := f.configure(t, esimAccessCommand())
	edited := uint64(first.NextRevision)

	cmd := esimAccessCommand()
	cmd.ExpectedVersion = &edited
	cmd.MarginPercent = "30"
	second := f.configure(t, cmd)

	stale := esimAccessCommand()
	stale.ExpectedVersion = &edited
	_, err := f.service.ConfigureProvider(adminContext(), stale)
	assert.ErrorIs(t, err, esrepo.ErrConflict, "settings changed after the edited version")

	future := uint64(second.NextRevision) + 5
	stale.ExpectedVersion = &future
	_, err = f.service.ConfigureProvider(adminContext(), stale)
	assert.ErrorIs(t, err, esrepo.ErrConflict, "a version the stream never had")

	maya := providersapp.ConfigureProvider{Slug: "maya", ExpectedVersion: &edited}
	_, err = f.service.ConfigureProvider(adminContext(), maya)
	assert.ErrorIs(t, err, esrepo.ErrConflict, "a version of a stream that does not exist")
	assert.Len(t, f.store.Types(esimAccessStream), 6, "only the two accepted saves are stored")
}

func TestService_ConfigureProvider_syncEventsNotConflicts(t *testing.T) {
	f := newFixture(t)
	first := f.configure(t, esimAccessCommand())
	edited := uint64(first.NextRevision)
	f.passTest(t, "esim-access")
	_, _, err := f.service.StartSync(adminContext(), "esim-access")
	require.NoError(t, err)

	cmd := esimAccessCommand()
	cmd.ExpectedVersion = &edited
	_, err = f.service.ConfigureProvider(adminContext(), cmd)

	assert.NoError(t, err, "a test result and a sync start are not settings changes")
}

func TestService_ConfigureProvider_testDuringSaveRetried(t *testing.T) {
	f := newFixture(t)
	f.configure(t, esimAccessCommand())
	f.client.balance = func(ctx context.Context) (adapters.Balance, error) {
		return adapters.Balance{Amount: money.New(1_000_000, "USD")}, nil
	}
	// A test result lands between the save's load and its append.
	var interleaved atomic.Bool
	f.store.SetBeforeAppend(func(stream string) {
		if interleaved.CompareAndSwap(false, true) {
			_, _, err := f.service.TestProvider(context.Background(), "esim-access")
			assert.NoError(t, err)
		}
	})

	cmd := esimAccessCommand()
	cmd.MarginPercent = "40"
	_, err := f.service.ConfigureProvider(adminContext(), cmd)

	require.NoError(t, err)
	assert.Equal(t, []string{
		"ProviderConfigured", "ProviderMarginSet", "ProviderCredentialSet", "ProviderCredentialSet",
		"ProviderTested", "ProviderConfigured", "ProviderMarginSet",
	}, f.store.Types(esimAccessStream))
}

func TestService_ConfigureProvider_unchangedSaveAppendsNothing(t *testing.T) {
	f := newFixture(t)
	f.configure(t, esimAccessCommand())
	f.passTest(t, "esim-access")
	before := f.store.Stream(esimAccessStream)
	last := before[len(before)-1]

	again := esimAccessCommand()
	again.Credentials = map[string]string{"access_code": "", "secret_key": ""}
	for _, cmd := range []providersapp.ConfigureProvider{esimAccessCommand(), again} {
		result, err := f.service.ConfigureProvider(adminContext(), cmd)

		require.NoError(t, err)
		assert.Len(t, f.store.Stream(esimAccessStream), len(before), "an unchanged save appends nothing")
		assert.Equal(t, last.Revision, result.NextRevision, "the current revision")
		assert.Equal(t, last.Position, result.Position, "the current position")
	}
}
