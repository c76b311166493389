package app

import (
	"context"
	"fmt"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/domain"
)

// ClientFor returns the client of the provider with slug, built from its
// saved settings and decrypted credentials. It fails with
// domain.ErrProviderNotConfigured, secrets.ErrUndecryptable when APP_KEY
// changed since the credentials were saved, or ErrNoAdapter. Clients are
// reused until the provider's settings change.
func (s *Service) ClientFor(ctx context.Context, slug string) (adapters.Client, error) {
	provider, _, err := s.load(ctx, slug)
	if err != nil {
		return nil, err
	}
	if !provider.Configured() {
		return nil, domain.ErrProviderNotConfigured
	}
	return s.clientFor(provider)
}

func (s *Service) clientFor(provider *domain.Provider) (adapters.Client, error) {
	slug := provider.Slug()
	revision := provider.SettingsRevision()
	s.mu.Lock()
	cached, found := s.clients[slug]
	s.mu.Unlock()
	if found && cached.settingsRevision == revision {
		return cached.client, nil
	}

	factory, found := s.factories[slug]
	if !found {
		return nil, fmt.Errorf("build client %s: %w", slug, ErrNoAdapter)
	}
	settings, err := s.settingsFor(provider)
	if err != nil {
		return nil, err
	}
	client, err := factory(settings)
	if err != nil {
		return nil, fmt.Errorf("build client %s: %w", slug, err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	// Another caller may have built a client for newer settings meanwhile.
	if current, found := s.clients[slug]; !found || current.settingsRevision <= revision {
		s.clients[slug] = cachedClient{settingsRevision: revision, client: client}
	}
	return client, nil
}

// settingsFor decrypts the provider's credentials into adapter settings.
// Maya's auth mode travels as the credential "auth_mode".
func (s *Service) settingsFor(provider *domain.Provider) (adapters.Settings, error) {
	saved := provider.Settings()
	credentials := map[string]string{}
	for field, credential := range provider.Credentials() {
		plaintext, err := s.keys.Open(credential.Sealed, domain.CredentialContext(provider.Slug(), field))
		if err != nil {
			return adapters.Settings{}, fmt.Errorf("open credential %s of %s: %w", field, provider.Slug(), err)
		}
		credentials[field] = string(plaintext)
	}
	if saved.AuthMode != "" {
		credentials[domain.CredentialAuthMode] = saved.AuthMode
	}
	settings := adapters.Settings{
		BaseURL:     saved.BaseURL,
		Credentials: credentials,
		Advanced:    saved.Advanced,
	}
	if saved.RateLimitPerHour != nil {
		settings.RateLimitPerHour = *saved.RateLimitPerHour
	}
	return settings, nil
}
