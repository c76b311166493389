package settings

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/rs/zerolog"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
)

// maxAttempts bounds how often a save reloads after a concurrent change.
const maxAttempts = 5

// Secret field names, as the API and PaymentCredentialSet name them.
const (
	FieldSecretKey     = "secret_key"
	FieldWebhookSecret = "webhook_secret"
	FieldClientSecret  = "client_secret"
)

// Deps are the collaborators of the Service.
type Deps struct {
	Repo   *esrepo.Repository
	Keys   Sealer
	Logger zerolog.Logger
}

// Service saves and reads the payment settings, deciding on the event
// store. It is safe for concurrent use.
type Service struct {
	repo   *esrepo.Repository
	keys   Sealer
	logger zerolog.Logger
}

// NewService returns a Service.
func NewService(deps Deps) *Service {
	return &Service{repo: deps.Repo, keys: deps.Keys, logger: deps.Logger.With().Str("component", "payment-settings").Logger()}
}

// Load rebuilds the settings from their stream.
func (s *Service) Load(ctx context.Context) (*Settings, eventstore.ExpectedRevision, error) {
	settings := newSettings()
	expected, err := s.repo.Load(ctx, Stream, func(event eventstore.RecordedEvent) error {
		return settings.Apply(event.Type, event.Data)
	})
	if err != nil {
		return nil, eventstore.ExpectedRevision{}, fmt.Errorf("load payment settings: %w", err)
	}
	return settings, expected, nil
}

// save is one gateway's save: its plain settings, the secrets given (blank
// ones left out), and the fields required when it is enabled.
type save struct {
	configured PaymentGatewayConfigured
	secrets    map[string]string
	fields     []string // every secret field of the gateway
	required   []string // fields, secret or plain, required when enabled
}

// configure appends the changed secrets and, when it differs, the plain
// settings, reloading on a concurrent change.
func (s *Service) configure(ctx context.Context, change save) (eventstore.AppendResult, error) {
	gateway := change.configured.Gateway
	for attempt := 1; ; attempt++ {
		settings, expected, err := s.Load(ctx)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		if change.configured.Enabled {
			if err := checkRequired(settings, change); err != nil {
				return eventstore.AppendResult{}, err
			}
		}
		credentialEvents, err := settings.credentialChanges(s.keys, gateway, change.fields, change.secrets)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		events := make([]esrepo.Event, 0, len(credentialEvents)+1)
		for _, event := range credentialEvents {
			events = append(events, event)
		}
		if previous, ok := settings.configured[gateway]; !ok || previous != change.configured {
			events = append(events, change.configured)
		}
		if len(events) == 0 {
			return eventstore.AppendResult{}, nil
		}
		result, err := s.repo.Append(ctx, Stream, expected, events...)
		if errors.Is(err, esrepo.ErrConflict) && attempt < maxAttempts {
			continue
		}
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("save %s payment settings: %w", gateway, err)
		}
		for _, event := range credentialEvents {
			s.logger.Info().Str("gateway", gateway).Str("field", event.Field).Str("fingerprint", event.Fingerprint).
				Msg("payment credential changed")
		}
		s.logger.Info().Str("gateway", gateway).Bool("enabled", change.configured.Enabled).Msg("payment gateway configured")
		return result, nil
	}
}

// checkRequired names the first required field that is neither given nor
// stored.
func checkRequired(settings *Settings, change save) error {
	gateway := change.configured.Gateway
	for _, field := range change.required {
		if _, given := change.secrets[field]; given || settings.HasSecret(gateway, field) {
			continue
		}
		if plainValue(change.configured, field) != "" {
			continue
		}
		return apperr.Invalid(field, "invalid_required", field+" is required when enabled is true")
	}
	return nil
}

func plainValue(configured PaymentGatewayConfigured, field string) string {
	switch field {
	case "client_id":
		return configured.ClientID
	case "webhook_id":
		return configured.WebhookID
	case "instructions":
		return configured.Instructions
	}
	return ""
}

// givenSecrets returns the non-blank secrets, trimmed.
func givenSecrets(values map[string]string) map[string]string {
	given := map[string]string{}
	for field, value := range values {
		if value = strings.TrimSpace(value); value != "" {
			given[field] = value
		}
	}
	return given
}
