package app

import (
	"context"
	"errors"
	"fmt"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/providers/domain"
)

// ConfigureProvider is an admin's save of a provider's settings.
// MarginPercent is the decimal text as sent. A blank or absent credential
// keeps the stored value. ExpectedVersion is the provider stream revision
// the admin edited, nil for the latest or for a provider never configured.
type ConfigureProvider struct {
	Slug                string
	BaseURL             string
	MarginPercent       string
	SyncIntervalMinutes int
	RateLimitPerHour    *int
	Credentials         map[string]string
	Advanced            map[string]string
	AuthMode            string
	ExpectedVersion     *uint64
}

// ConfigureProvider validates cmd and appends ProviderConfigured, plus
// ProviderMarginSet and ProviderCredentialSet events for what changed.
// A save that changes nothing appends nothing and returns the stream's
// current revision and position. Validation errors are *apperr.Error
// values naming the JSON field. Nothing is appended on any error.
//
// It returns esrepo.ErrConflict when the settings changed after
// ExpectedVersion, or when another save landed between this one's load and
// append. Sync progress and test results landing meanwhile are not
// conflicts: the save is then decided again on the reloaded state.
func (s *Service) ConfigureProvider(ctx context.Context, cmd ConfigureProvider) (eventstore.AppendResult, error) {
	provider, expected, err := s.load(ctx, cmd.Slug)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	baseline, err := editedVersion(provider, cmd.ExpectedVersion)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("configure provider %s: %w", cmd.Slug, err)
	}
	cfg := domain.Configuration{
		BaseURL:             cmd.BaseURL,
		MarginPercent:       cmd.MarginPercent,
		SyncIntervalMinutes: cmd.SyncIntervalMinutes,
		RateLimitPerHour:    cmd.RateLimitPerHour,
		Credentials:         cmd.Credentials,
		Advanced:            cmd.Advanced,
		AuthMode:            cmd.AuthMode,
	}

	for attempt := 1; ; attempt++ {
		events, err := provider.Configure(cfg, s.keys)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		result, err := s.repo.Append(ctx, domain.StreamName(cmd.Slug), expected, toRepoEvents(events)...)
		if err == nil {
			if len(events) > 0 {
				s.logConfigured(cmd.Slug, events)
			}
			return result, nil
		}
		if !errors.Is(err, esrepo.ErrConflict) || attempt == maxAppendAttempts {
			return eventstore.AppendResult{}, fmt.Errorf("configure provider %s: %w", cmd.Slug, err)
		}
		provider, expected, err = s.load(ctx, cmd.Slug)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		if settingsChangedSince(provider, baseline) {
			// Another save won, and deciding again would silently overwrite it.
			return eventstore.AppendResult{}, fmt.Errorf("configure provider %s: %w", cmd.Slug, esrepo.ErrConflict)
		}
	}
}

// editedVersion returns the revision the save is based on, nil when the
// provider has no events, or ErrConflict when expectedVersion is stale.
func editedVersion(provider *domain.Provider, expectedVersion *uint64) (*uint64, error) {
	revision, hasEvents := provider.Revision()
	if expectedVersion == nil {
		if !hasEvents {
			return nil, nil
		}
		return &revision, nil
	}
	if !hasEvents || *expectedVersion > revision || settingsChangedSince(provider, expectedVersion) {
		return nil, esrepo.ErrConflict
	}
	return expectedVersion, nil
}

// settingsChangedSince reports whether a settings event follows baseline,
// or exists at all when baseline is nil.
func settingsChangedSince(provider *domain.Provider, baseline *uint64) bool {
	if !provider.Configured() {
		return false
	}
	return baseline == nil || provider.SettingsRevision() > *baseline
}

// logConfigured logs which settings changed, naming credential fields but
// never their values.
func (s *Service) logConfigured(slug string, events []domain.Event) {
	var fields []string
	marginChanged := false
	for _, event := range events {
		switch e := event.(type) {
		case domain.ProviderCredentialSet:
			fields = append(fields, e.Field)
		case domain.ProviderMarginSet:
			marginChanged = true
		}
	}
	s.logger.Info().Str("provider", slug).Bool("margin_changed", marginChanged).
		Strs("credentials_changed", fields).Msg("provider configured")
}
