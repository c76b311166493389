package domain_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/secrets"
	"esimscan/backend/internal/providers/domain"
	"esimscan/backend/money"
)

var testTime = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func newKeyring(t *testing.T) *secrets.Keyring {
	t.Helper()
	appKey, err := secrets.GenerateAppKey()
	require.NoError(t, err)
	keyring, err := secrets.ParseAppKey(appKey)
	require.NoError(t, err)
	return keyring
}

// given returns the provider with slug after events.
func given(t *testing.T, slug string, events ...domain.Event) *domain.Provider {
	t.Helper()
	provider, err := domain.New(slug)
	require.NoError(t, err)
	for i, event := range events {
		provider.Apply(event, uint64(i))
	}
	return provider
}

func airaloConfiguration() domain.Configuration {
	return domain.Configuration{
		BaseURL:             "https://partners-api.airalo.com/v2/",
		MarginPercent:       "20",
		SyncIntervalMinutes: 60,
		Credentials:         map[string]string{"client_id": "id-1", "client_secret": "secret-1"},
	}
}

// configured returns a provider after a first save of cfg.
func configured(t *testing.T, slug string, cfg domain.Configuration, keyring *secrets.Keyring) *domain.Provider {
	t.Helper()
	provider := given(t, slug)
	events, err := provider.Configure(cfg, keyring)
	require.NoError(t, err)
	provider.ApplyAll(events)
	return provider
}

func requireInvalid(t *testing.T, err error, field string) {
	t.Helper()
	require.Error(t, err)
	appErr, ok := apperr.As(err)
	require.True(t, ok, "error %v is an *apperr.Error", err)
	assert.Equal(t, apperr.KindInvalid, appErr.Kind)
	assert.Equal(t, field, appErr.Field)
}

func TestNew_unknownSlug(t *testing.T) {
	_, err := domain.New("acme")

	assert.ErrorIs(t, err, domain.ErrProviderNotFound)
}

func TestProvider_Configure_firstSave(t *testing.T) {
	keyring := newKeyring(t)
	provider := given(t, "airalo")

	events, err := provider.Configure(airaloConfiguration(), keyring)

	require.NoError(t, err)
	require.Len(t, events, 4)
	assert.Equal(t, domain.ProviderConfigured{
		Slug:                "airalo",
		BaseURL:             "https://partners-api.airalo.com/v2",
		SyncIntervalMinutes: 60,
		Advanced:            map[string]string{},
	}, events[0])
	assert.Equal(t, domain.ProviderMarginSet{Slug: "airalo", OldPercent: nil, NewPercent: "20"}, events[1])
	for i, field := range []string{"client_id", "client_secret"} {
		set, ok := events[2+i].(domain.ProviderCredentialSet)
		require.True(t, ok)
		assert.Equal(t, field, set.Field)
		assert.Nil(t, set.OldFingerprint)
		value := map[string]string{"client_id": "id-1", "client_secret": "secret-1"}[field]
		assert.Equal(t, keyring.Fingerprint(value), set.Fingerprint)
		opened, err := keyring.Open(set.Sealed, domain.CredentialContext("airalo", field))
		require.NoError(t, err)
		assert.Equal(t, value, string(opened))
	}
}

func TestProvider_Configure_sameValuesAppendNothing(t *testing.T) {
	keyring := newKeyring(t)
	provider := configured(t, "airalo", airaloConfiguration(), keyring)

	events, err := provider.Configure(airaloConfiguration(), keyring)

	require.NoError(t, err)
	assert.Empty(t, events)

	blankSecrets := airaloConfiguration()
	blankSecrets.Credentials = map[string]string{"client_id": "", "client_secret": " "}
	blankSecrets.BaseURL += "/"
	events, err = provider.Configure(blankSecrets, keyring)
	require.NoError(t, err)
	assert.Empty(t, events, "blank secrets and a trailing slash change nothing")
}

func TestProvider_Configure_anyChangeWritesFullSettings(t *testing.T) {
	keyring := newKeyring(t)
	limit := 50
	changes := map[string]func(cfg *domain.Configuration){
		"sync interval": func(cfg *domain.Configuration) { cfg.SyncIntervalMinutes++ },
		"rate limit":    func(cfg *domain.Configuration) { cfg.RateLimitPerHour = &limit },
		"base url":      func(cfg *domain.Configuration) { cfg.BaseURL = "https://other.example.com" },
		"secret":        func(cfg *domain.Configuration) { cfg.Credentials = map[string]string{"api_key": "new key"} },
		"advanced":      func(cfg *domain.Configuration) { cfg.Advanced = map[string]string{"balance_path": "/v2/balance"} },
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			provider := configured(t, "esim-go", validConfiguration("esim-go"), keyring)
			cfg := validConfiguration("esim-go")
			change(&cfg)
			events, err := provider.Configure(cfg, keyring)
			require.NoError(t, err)
			require.NotEmpty(t, events)
			assert.IsType(t, domain.ProviderConfigured{}, events[0])
		})
	}
}

func TestProvider_Configure_blankSecretKeepsStored(t *testing.T) {
	keyring := newKeyring(t)
	provider := configured(t, "airalo", airaloConfiguration(), keyring)
	cfg := airaloConfiguration()
	cfg.Credentials = map[string]string{"client_id": "  ", "client_secret": ""}

	events, err := provider.Configure(cfg, keyring)

	require.NoError(t, err)
	assert.Empty(t, events, "blank secrets keep the stored ones, so nothing changes")
	cfg.Credentials = nil
	events, err = provider.Configure(cfg, keyring)
	require.NoError(t, err)
	assert.Empty(t, events)
}

func TestProvider_Configure_changedSecret(t *testing.T) {
	keyring := newKeyring(t)
	provider := configured(t, "airalo", airaloConfiguration(), keyring)
	oldFingerprint := keyring.Fingerprint("secret-1")
	cfg := airaloConfiguration()
	cfg.Credentials = map[string]string{"client_secret": "secret-2"}

	events, err := provider.Configure(cfg, keyring)

	require.NoError(t, err)
	require.Len(t, events, 2)
	set := events[1].(domain.ProviderCredentialSet)
	assert.Equal(t, "client_secret", set.Field)
	require.NotNil(t, set.OldFingerprint)
	assert.Equal(t, oldFingerprint, *set.OldFingerprint)
	assert.Equal(t, keyring.Fingerprint("secret-2"), set.Fingerprint)
}

func TestProvider_Configure_secretAfterKeyChange(t *testing.T) {
	provider := configured(t, "airalo", airaloConfiguration(), newKeyring(t))
	newKey := newKeyring(t)

	events, err := provider.Configure(airaloConfiguration(), newKey)

	require.NoError(t, err)
	require.Len(t, events, 3, "both secrets are sealed again under the new key")
	opened, err := newKey.Open(events[2].(domain.ProviderCredentialSet).Sealed, domain.CredentialContext("airalo", "client_secret"))
	require.NoError(t, err)
	assert.Equal(t, "secret-1", string(opened))
}

func TestProvider_Configure_marginChange(t *testing.T) {
	keyring := newKeyring(t)
	provider := configured(t, "airalo", airaloConfiguration(), keyring)
	cfg := airaloConfiguration()
	cfg.MarginPercent = "12.50"

	events, err := provider.Configure(cfg, keyring)

	require.NoError(t, err)
	require.Len(t, events, 2)
	old := "20"
	assert.Equal(t, domain.ProviderMarginSet{Slug: "airalo", OldPercent: &old, NewPercent: "12.5"}, events[1])
}

func TestProvider_Configure_sameMarginOtherSpelling(t *testing.T) {
	keyring := newKeyring(t)
	provider := configured(t, "airalo", airaloConfiguration(), keyring)
	cfg := airaloConfiguration()
	cfg.MarginPercent = "20.00"

	events, err := provider.Configure(cfg, keyring)

	require.NoError(t, err)
	assert.Empty(t, events)
}

func TestProvider_Configure_validation(t *testing.T) {
	cases := []struct {
		name   string
		slug   string
		change func(cfg *domain.Configuration)
		field  string
	}{
		{"missing base url", "airalo", func(c *domain.Configuration) { c.BaseURL = "" }, "base_url"},
		{"ftp base url", "airalo", func(c *domain.Configuration) { c.BaseURL = "ftp://example.com" }, "base_url"},
		{"base url without host", "airalo", func(c *domain.Configuration) { c.BaseURL = "https:///v2" }, "base_url"},
		{"base url not a url", "airalo", func(c *domain.Configuration) { c.BaseURL = "example.com" }, "base_url"},
		{"base url with user", "airalo", func(c *domain.Configuration) { c.BaseURL = "https://u:p@example.com" }, "base_url"},
		{"base url with query", "airalo", func(c *domain.Configuration) { c.BaseURL = "https://example.com?a=1" }, "base_url"},
		{"missing margin", "airalo", func(c *domain.Configuration) { c.MarginPercent = "" }, "margin_percent"},
		{"negative margin", "airalo", func(c *domain.Configuration) { c.MarginPercent = "-1" }, "margin_percent"},
		{"margin over 100", "airalo", func(c *domain.Configuration) { c.MarginPercent = "100.01" }, "margin_percent"},
		{"margin three decimals", "airalo", func(c *domain.Configuration) { c.MarginPercent = "1.125" }, "margin_percent"},
		{"margin not a number", "airalo", func(c *domain.Configuration) { c.MarginPercent = "ten" }, "margin_percent"},
		{"interval too short", "airalo", func(c *domain.Configuration) { c.SyncIntervalMinutes = 4 }, "sync_interval_minutes"},
		{"interval too long", "airalo", func(c *domain.Configuration) { c.SyncIntervalMinutes = 525601 }, "sync_interval_minutes"},
		{"rate limit zero", "airalo", func(c *domain.Configuration) { zero := 0; c.RateLimitPerHour = &zero }, "rate_limit_per_hour"},
		{"unknown credential", "airalo", func(c *domain.Configuration) { c.Credentials["api_key"] = "x" }, "credentials.api_key"},
		{"missing client secret", "airalo", func(c *domain.Configuration) { delete(c.Credentials, "client_secret") }, "credentials.client_secret"},
		{"blank client id", "airalo", func(c *domain.Configuration) { c.Credentials["client_id"] = " " }, "credentials.client_id"},
		{"auth mode on airalo", "airalo", func(c *domain.Configuration) { c.Credentials["auth_mode"] = "basic" }, "credentials.auth_mode"},
		{"airalo has no advanced", "airalo", func(c *domain.Configuration) { c.Advanced = map[string]string{"balance_path": "/b"} }, "advanced.balance_path"},
		{"missing secret key", "esim-access", func(c *domain.Configuration) { c.Credentials = map[string]string{"access_code": "a"} }, "credentials.secret_key"},
		{"unknown advanced key", "esim-access", func(c *domain.Configuration) { c.Advanced = map[string]string{"timeout": "1"} }, "advanced.timeout"},
		{"relative path", "esim-access", func(c *domain.Configuration) { c.Advanced = map[string]string{"balance_path": "balance"} }, "advanced.balance_path"},
		{"other host path", "esim-access", func(c *domain.Configuration) { c.Advanced = map[string]string{"package_list_path": "//evil.example/x"} }, "advanced.package_list_path"},
		{"path with space", "esim-access", func(c *domain.Configuration) { c.Advanced = map[string]string{"balance_path": "/a b"} }, "advanced.balance_path"},
		{"body not json", "esim-access", func(c *domain.Configuration) { c.Advanced = map[string]string{"package_list_body": "{"} }, "advanced.package_list_body"},
		{"body an array", "esim-access", func(c *domain.Configuration) { c.Advanced = map[string]string{"package_list_body": "[1]"} }, "advanced.package_list_body"},
		{"body on maya", "maya", func(c *domain.Configuration) { c.Advanced = map[string]string{"package_list_body": "{}"} }, "advanced.package_list_body"},
		{"maya bad auth mode", "maya", func(c *domain.Configuration) { c.Credentials["auth_mode"] = "oauth" }, "credentials.auth_mode"},
		{"maya basic without secret", "maya", func(c *domain.Configuration) { delete(c.Credentials, "api_secret") }, "credentials.api_secret"},
		{"maya missing key", "maya", func(c *domain.Configuration) { delete(c.Credentials, "api_key") }, "credentials.api_key"},
		{"esim-go missing key", "esim-go", func(c *domain.Configuration) { c.Credentials = map[string]string{} }, "credentials.api_key"},
		{"esim-go unknown field", "esim-go", func(c *domain.Configuration) { c.Credentials["api_secret"] = "x" }, "credentials.api_secret"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfiguration(tc.slug)
			tc.change(&cfg)

			events, err := given(t, tc.slug).Configure(cfg, newKeyring(t))

			requireInvalid(t, err, tc.field)
			assert.Empty(t, events)
		})
	}
}

func validConfiguration(slug string) domain.Configuration {
	credentials := map[string]map[string]string{
		"airalo":      {"client_id": "id", "client_secret": "secret"},
		"esim-access": {"access_code": "code", "secret_key": "key"},
		"maya":        {"api_key": "key", "api_secret": "secret"},
		"esim-go":     {"api_key": "key"},
	}[slug]
	return domain.Configuration{
		BaseURL:             "https://api.example.com",
		MarginPercent:       "15",
		SyncIntervalMinutes: 1440,
		Credentials:         credentials,
	}
}

func TestProvider_Configure_validEdges(t *testing.T) {
	for _, margin := range []string{"0", "100", "99.99", "12.5"} {
		cfg := validConfiguration("esim-go")
		cfg.MarginPercent = margin
		_, err := given(t, "esim-go").Configure(cfg, newKeyring(t))
		assert.NoError(t, err, "margin %s", margin)
	}
	for _, minutes := range []int{5, 525600} {
		cfg := validConfiguration("esim-go")
		cfg.SyncIntervalMinutes = minutes
		_, err := given(t, "esim-go").Configure(cfg, newKeyring(t))
		assert.NoError(t, err, "interval %d", minutes)
	}
}

func TestProvider_Configure_advancedAccepted(t *testing.T) {
	cfg := validConfiguration("esim-access")
	limit := 1
	cfg.RateLimitPerHour = &limit
	cfg.Advanced = map[string]string{
		"balance_path":      "/api/v1/open/balance/query",
		"package_list_path": "/api/v1/open/package/list?type=BASE",
		"package_list_body": `{"locationCode": ""}`,
	}

	events, err := given(t, "esim-access").Configure(cfg, newKeyring(t))

	require.NoError(t, err)
	configuredEvent := events[0].(domain.ProviderConfigured)
	assert.Equal(t, cfg.Advanced, configuredEvent.Advanced)
	assert.Equal(t, &limit, configuredEvent.RateLimitPerHour)
	assert.Empty(t, configuredEvent.AuthMode)
}

func TestProvider_Configure_emptyAdvancedDropped(t *testing.T) {
	cfg := validConfiguration("esim-go")
	cfg.Advanced = map[string]string{"balance_path": " "}

	events, err := given(t, "esim-go").Configure(cfg, newKeyring(t))

	require.NoError(t, err)
	assert.Empty(t, events[0].(domain.ProviderConfigured).Advanced)
}

func TestProvider_Configure_mayaAuthMode(t *testing.T) {
	keyring := newKeyring(t)

	t.Run("default basic", func(t *testing.T) {
		events, err := given(t, "maya").Configure(validConfiguration("maya"), keyring)
		require.NoError(t, err)
		assert.Equal(t, domain.AuthModeBasic, events[0].(domain.ProviderConfigured).AuthMode)
	})
	t.Run("bearer needs no secret on first save", func(t *testing.T) {
		cfg := validConfiguration("maya")
		cfg.Credentials = map[string]string{"api_key": "key", "auth_mode": "bearer"}
		events, err := given(t, "maya").Configure(cfg, keyring)
		require.NoError(t, err)
		assert.Equal(t, domain.AuthModeBearer, events[0].(domain.ProviderConfigured).AuthMode)
		assert.Len(t, events, 3, "configured, margin and api_key")
	})
	t.Run("stored mode kept when absent", func(t *testing.T) {
		cfg := validConfiguration("maya")
		cfg.AuthMode = domain.AuthModeBearer
		provider := configured(t, "maya", cfg, keyring)
		cfg.AuthMode = ""
		cfg.SyncIntervalMinutes++
		events, err := provider.Configure(cfg, keyring)
		require.NoError(t, err)
		assert.Equal(t, domain.AuthModeBearer, events[0].(domain.ProviderConfigured).AuthMode)
	})
	t.Run("switch to basic without stored secret", func(t *testing.T) {
		cfg := validConfiguration("maya")
		cfg.Credentials = map[string]string{"api_key": "key", "auth_mode": "bearer"}
		provider := configured(t, "maya", cfg, keyring)
		cfg.Credentials = map[string]string{"auth_mode": "basic"}
		_, err := provider.Configure(cfg, keyring)
		requireInvalid(t, err, "credentials.api_secret")
	})
	t.Run("secret stays optional on later saves", func(t *testing.T) {
		provider := configured(t, "maya", validConfiguration("maya"), keyring)
		cfg := validConfiguration("maya")
		cfg.Credentials = map[string]string{"api_secret": ""}
		events, err := provider.Configure(cfg, keyring)
		require.NoError(t, err)
		assert.Empty(t, events, "the stored secret is kept, so nothing changes")
	})
	t.Run("conflicting modes", func(t *testing.T) {
		cfg := validConfiguration("maya")
		cfg.AuthMode = domain.AuthModeBasic
		cfg.Credentials["auth_mode"] = domain.AuthModeBearer
		_, err := given(t, "maya").Configure(cfg, keyring)
		requireInvalid(t, err, "credentials.auth_mode")
	})
}

func TestProvider_Enable_requiresSuccessfulTest(t *testing.T) {
	configuredEvent := domain.ProviderConfigured{Slug: "esim-go", BaseURL: "https://api.example.com", SyncIntervalMinutes: 60}

	_, err := given(t, "esim-go").Enable()
	assert.ErrorIs(t, err, domain.ErrProviderNotConfigured)

	_, err = given(t, "esim-go", configuredEvent).Enable()
	assert.ErrorIs(t, err, domain.ErrProviderNotTested)

	failed := domain.ProviderTested{Slug: "esim-go", OK: false, Cause: "credentials", At: testTime}
	_, err = given(t, "esim-go", configuredEvent, failed).Enable()
	assert.ErrorIs(t, err, domain.ErrProviderNotTested)
	appErr, ok := apperr.As(err)
	require.True(t, ok)
	assert.Equal(t, apperr.KindConflict, appErr.Kind)
	assert.Equal(t, "provider_not_tested", appErr.Code)

	passed := domain.ProviderTested{Slug: "esim-go", OK: true, At: testTime}
	events, err := given(t, "esim-go", configuredEvent, failed, passed).Enable()
	require.NoError(t, err)
	assert.Equal(t, []domain.Event{domain.ProviderEnabled{Slug: "esim-go"}}, events)

	events, err = given(t, "esim-go", configuredEvent, passed, domain.ProviderEnabled{Slug: "esim-go"}).Enable()
	require.NoError(t, err)
	assert.Empty(t, events, "enabling twice appends nothing")
}

func TestProvider_Enable_staleTestRejected(t *testing.T) {
	keyring := newKeyring(t)
	passed := domain.ProviderTested{Slug: "maya", OK: true, At: testTime}
	changes := map[string]func(cfg *domain.Configuration){
		"base url":   func(cfg *domain.Configuration) { cfg.BaseURL = "https://other.example.com" },
		"credential": func(cfg *domain.Configuration) { cfg.Credentials = map[string]string{"api_key": "another key"} },
		"auth mode":  func(cfg *domain.Configuration) { cfg.AuthMode = domain.AuthModeBearer },
		"advanced":   func(cfg *domain.Configuration) { cfg.Advanced = map[string]string{"balance_path": "/v2/balance"} },
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			provider := configured(t, "maya", validConfiguration("maya"), keyring)
			provider.ApplyAll([]domain.Event{passed})
			require.True(t, provider.LastTestCurrent())
			cfg := validConfiguration("maya")
			change(&cfg)
			events, err := provider.Configure(cfg, keyring)
			require.NoError(t, err)
			provider.ApplyAll(events)

			assert.False(t, provider.LastTestCurrent())
			_, err = provider.Enable()
			assert.ErrorIs(t, err, domain.ErrProviderNotTested)

			provider.ApplyAll([]domain.Event{passed})
			events, err = provider.Enable()
			require.NoError(t, err, "a new successful test allows enabling")
			assert.Len(t, events, 1)
		})
	}
	nonConnection := map[string]func(cfg *domain.Configuration){
		"margin":        func(cfg *domain.Configuration) { cfg.MarginPercent = "30" },
		"sync interval": func(cfg *domain.Configuration) { cfg.SyncIntervalMinutes = 60 },
	}
	for name, change := range nonConnection {
		t.Run(name+" keeps the test", func(t *testing.T) {
			provider := configured(t, "maya", validConfiguration("maya"), keyring)
			provider.ApplyAll([]domain.Event{passed})
			cfg := validConfiguration("maya")
			change(&cfg)
			events, err := provider.Configure(cfg, keyring)
			require.NoError(t, err)
			require.NotEmpty(t, events)
			provider.ApplyAll(events)
			_, err = provider.Enable()
			assert.NoError(t, err)
		})
	}
}

func TestProvider_RecordTest_settingsChangedRejected(t *testing.T) {
	keyring := newKeyring(t)
	provider := configured(t, "esim-go", validConfiguration("esim-go"), keyring)
	tested := provider.ConnectionRevision()
	cfg := validConfiguration("esim-go")
	cfg.BaseURL = "https://other.example.com"
	events, err := provider.Configure(cfg, keyring)
	require.NoError(t, err)
	provider.ApplyAll(events)

	_, err = provider.RecordTest(domain.TestResult{OK: true, At: testTime}, tested)
	assert.ErrorIs(t, err, domain.ErrSettingsChangedDuringTest)
	events, err = provider.RecordTest(domain.TestResult{OK: true, At: testTime}, provider.ConnectionRevision())
	require.NoError(t, err)
	assert.Len(t, events, 1)
}

func TestProvider_Disable_onlyWhenEnabled(t *testing.T) {
	events, err := given(t, "esim-go").Disable()
	require.NoError(t, err)
	assert.Empty(t, events)

	events, err = given(t, "esim-go", domain.ProviderEnabled{Slug: "esim-go"}).Disable()
	require.NoError(t, err)
	assert.Equal(t, []domain.Event{domain.ProviderDisabled{Slug: "esim-go"}}, events)
}

func TestProvider_StartSync_rules(t *testing.T) {
	configuredEvent := domain.ProviderConfigured{Slug: "maya", BaseURL: "https://api.example.com", SyncIntervalMinutes: 60}
	started := domain.SyncStarted{Slug: "maya", SyncID: "sync-1", StartedAt: testTime}

	_, err := given(t, "maya").StartSync("sync-1", testTime)
	assert.ErrorIs(t, err, domain.ErrProviderNotConfigured)

	_, err = given(t, "maya", configuredEvent, started).StartSync("sync-2", testTime)
	assert.ErrorIs(t, err, domain.ErrSyncRunning)

	finished := domain.SyncFailed{Slug: "maya", SyncID: "sync-1", Cause: "timeout", FinishedAt: testTime}
	events, err := given(t, "maya", configuredEvent, started, finished).StartSync("sync-2", testTime)
	require.NoError(t, err)
	assert.Equal(t, []domain.Event{domain.SyncStarted{Slug: "maya", SyncID: "sync-2", StartedAt: testTime}}, events)
}

func TestProvider_RecordTest_requiresConfigured(t *testing.T) {
	_, err := given(t, "airalo").RecordTest(domain.TestResult{OK: true, At: testTime}, 0)

	assert.ErrorIs(t, err, domain.ErrProviderNotConfigured)
}

func TestProvider_CompleteSync_afterFinishRejected(t *testing.T) {
	configuredEvent := domain.ProviderConfigured{Slug: "maya", BaseURL: "https://api.example.com", SyncIntervalMinutes: 60}
	started := domain.SyncStarted{Slug: "maya", SyncID: "sync-1", StartedAt: testTime}
	completed := domain.SyncCompleted{Slug: "maya", SyncID: "sync-1", PackagesSeen: 3, FinishedAt: testTime}
	provider := given(t, "maya", configuredEvent, started, completed)

	_, err := provider.CompleteSync("sync-1", domain.SyncCounts{}, testTime)
	assert.ErrorIs(t, err, domain.ErrSyncNotRunning)
	_, err = provider.FailSync("sync-1", 0, "timeout", "late", testTime)
	assert.ErrorIs(t, err, domain.ErrSyncNotRunning)
	_, err = provider.ProgressSync("sync-1", 4)
	assert.ErrorIs(t, err, domain.ErrSyncNotRunning)
	assert.Equal(t, 3, provider.LastSync().Counts.Seen)
}

func TestProvider_Apply_progressOfOtherSyncIgnored(t *testing.T) {
	configuredEvent := domain.ProviderConfigured{Slug: "maya", BaseURL: "https://api.example.com", SyncIntervalMinutes: 60}
	started := domain.SyncStarted{Slug: "maya", SyncID: "sync-2", StartedAt: testTime}

	provider := given(t, "maya", configuredEvent, started,
		domain.SyncProgressed{Slug: "maya", SyncID: "sync-1", PackagesSeen: 9},
		domain.SyncProgressed{Slug: "maya", SyncID: "sync-2", PackagesSeen: 4})

	require.NotNil(t, provider.RunningSync())
	assert.Equal(t, 4, provider.RunningSync().Counts.Seen)
}

func TestProvider_SettingsRevision_skipsSyncEvents(t *testing.T) {
	configuredEvent := domain.ProviderConfigured{Slug: "maya", BaseURL: "https://api.example.com", SyncIntervalMinutes: 60}

	provider := given(t, "maya", configuredEvent,
		domain.SyncStarted{Slug: "maya", SyncID: "sync-1", StartedAt: testTime},
		domain.ProviderTested{Slug: "maya", OK: true, At: testTime})

	revision, ok := provider.Revision()
	require.True(t, ok)
	assert.Equal(t, uint64(2), revision)
	assert.Equal(t, uint64(0), provider.SettingsRevision())
}

func TestDecode_roundTripsEveryType(t *testing.T) {
	limit := 10
	oldPercent := "10"
	balance := money.New(12_500_000, "USD")
	events := []domain.Event{
		domain.ProviderConfigured{Slug: "maya", BaseURL: "https://a.example", SyncIntervalMinutes: 5,
			RateLimitPerHour: &limit, Advanced: map[string]string{"balance_path": "/b"}, AuthMode: "basic"},
		domain.ProviderMarginSet{Slug: "maya", OldPercent: &oldPercent, NewPercent: "12.5"},
		domain.ProviderCredentialSet{Slug: "maya", Field: "api_key", Fingerprint: "abc", Sealed: "v1:xyz"},
		domain.ProviderTested{Slug: "maya", OK: true, Balance: &balance, At: testTime},
		domain.SyncStarted{Slug: "maya", SyncID: "s", StartedAt: testTime},
		domain.SyncProgressed{Slug: "maya", SyncID: "s", PackagesSeen: 3},
		domain.SyncCompleted{Slug: "maya", SyncID: "s", PackagesSeen: 3, PackagesAdded: 1, FinishedAt: testTime},
		domain.SyncFailed{Slug: "maya", SyncID: "s", Cause: "timeout", Message: "m", FinishedAt: testTime},
		domain.ProviderEnabled{Slug: "maya"},
		domain.ProviderDisabled{Slug: "maya"},
	}
	for _, event := range events {
		data, err := json.Marshal(event)
		require.NoError(t, err)

		decoded, known, err := domain.Decode(event.EventType(), data)

		require.NoError(t, err)
		assert.True(t, known)
		assert.Equal(t, event, decoded)
	}
}

func TestDecode_unknownAndMalformed(t *testing.T) {
	_, known, err := domain.Decode("SomethingElse", []byte(`{}`))
	require.NoError(t, err)
	assert.False(t, known)

	_, known, err = domain.Decode(domain.TypeSyncStarted, []byte(`{"slug": 1}`))
	assert.True(t, known)
	assert.Error(t, err)
}
