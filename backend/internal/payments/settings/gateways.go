package settings

import (
	"context"
	"strings"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/apperr"
)

// Secret states shown in views: a secret is never returned.
const (
	SecretSet     = "set"
	SecretMissing = "missing"
)

// StripeInput is a save of the Stripe settings. A blank secret keeps the
// stored value.
type StripeInput struct {
	SecretKey     string `json:"secret_key" validate:"max=255"`
	WebhookSecret string `json:"webhook_secret" validate:"max=255"`
	Enabled       bool   `json:"enabled"`
}

// PayPalInput is a save of the PayPal settings. A blank client_secret
// keeps the stored value; a blank mode means sandbox.
type PayPalInput struct {
	ClientID     string `json:"client_id" validate:"max=255"`
	ClientSecret string `json:"client_secret" validate:"max=255"`
	WebhookID    string `json:"webhook_id" validate:"max=255"`
	Mode         string `json:"mode" validate:"omitempty,oneof=sandbox live"`
	Enabled      bool   `json:"enabled"`
}

// ManualInput is a save of the bank-transfer settings.
type ManualInput struct {
	Enabled      bool   `json:"enabled"`
	Instructions string `json:"instructions" validate:"max=4000"`
}

// StripeView shows the Stripe settings, each secret as "set" or "missing".
type StripeView struct {
	Enabled       bool   `json:"enabled"`
	SecretKey     string `json:"secret_key"`
	WebhookSecret string `json:"webhook_secret"`
}

// PayPalView shows the PayPal settings, the secret as "set" or "missing".
type PayPalView struct {
	Enabled      bool   `json:"enabled"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	WebhookID    string `json:"webhook_id"`
	Mode         string `json:"mode"`
}

// ManualView shows the bank-transfer settings.
type ManualView struct {
	Enabled      bool   `json:"enabled"`
	Instructions string `json:"instructions"`
}

// View is every gateway's settings.
type View struct {
	Stripe StripeView `json:"stripe"`
	PayPal PayPalView `json:"paypal"`
	Manual ManualView `json:"manual"`
}

// ConfigureStripe saves the Stripe settings. Enabling requires a secret
// key ("sk_" or "rk_") and a webhook secret ("whsec_"), given or stored;
// validation errors name the field.
func (s *Service) ConfigureStripe(ctx context.Context, input StripeInput) (eventstore.AppendResult, error) {
	if err := apperr.Validate(input); err != nil {
		return eventstore.AppendResult{}, err
	}
	secrets := givenSecrets(map[string]string{FieldSecretKey: input.SecretKey, FieldWebhookSecret: input.WebhookSecret})
	if key, ok := secrets[FieldSecretKey]; ok && !strings.HasPrefix(key, "sk_") && !strings.HasPrefix(key, "rk_") {
		return eventstore.AppendResult{}, apperr.Invalid(FieldSecretKey, "invalid_format", "secret_key must be a Stripe secret key starting with sk_ or rk_")
	}
	if secret, ok := secrets[FieldWebhookSecret]; ok && !strings.HasPrefix(secret, "whsec_") {
		return eventstore.AppendResult{}, apperr.Invalid(FieldWebhookSecret, "invalid_format", "webhook_secret must be a Stripe signing secret starting with whsec_")
	}
	return s.configure(ctx, save{
		configured: PaymentGatewayConfigured{Gateway: GatewayStripe, Enabled: input.Enabled},
		secrets:    secrets,
		fields:     []string{FieldSecretKey, FieldWebhookSecret},
		required:   []string{FieldSecretKey, FieldWebhookSecret},
	})
}

// ConfigurePayPal saves the PayPal settings. Enabling requires client_id,
// client_secret and webhook_id.
func (s *Service) ConfigurePayPal(ctx context.Context, input PayPalInput) (eventstore.AppendResult, error) {
	if err := apperr.Validate(input); err != nil {
		return eventstore.AppendResult{}, err
	}
	mode := input.Mode
	if mode == "" {
		mode = "sandbox"
	}
	return s.configure(ctx, save{
		configured: PaymentGatewayConfigured{
			Gateway: GatewayPayPal, Enabled: input.Enabled, Mode: mode,
			ClientID: strings.TrimSpace(input.ClientID), WebhookID: strings.TrimSpace(input.WebhookID),
		},
		secrets:  givenSecrets(map[string]string{FieldClientSecret: input.ClientSecret}),
		fields:   []string{FieldClientSecret},
		required: []string{"client_id", FieldClientSecret, "webhook_id"},
	})
}

// ConfigureManual saves the bank-transfer settings. Enabling requires
// instructions.
func (s *Service) ConfigureManual(ctx context.Context, input ManualInput) (eventstore.AppendResult, error) {
	if err := apperr.Validate(input); err != nil {
		return eventstore.AppendResult{}, err
	}
	return s.configure(ctx, save{
		configured: PaymentGatewayConfigured{
			Gateway: GatewayManual, Enabled: input.Enabled, Instructions: strings.TrimSpace(input.Instructions),
		},
		required: []string{"instructions"},
	})
}

// Views returns every gateway's settings, read from the event store so a
// save shows at once.
func (s *Service) Views(ctx context.Context) (View, error) {
	settings, _, err := s.Load(ctx)
	if err != nil {
		return View{}, err
	}
	state := func(gateway, field string) string {
		if settings.HasSecret(gateway, field) {
			return SecretSet
		}
		return SecretMissing
	}
	paypal := settings.Configured(GatewayPayPal)
	manual := settings.Configured(GatewayManual)
	mode := paypal.Mode
	if mode == "" {
		mode = "sandbox"
	}
	return View{
		Stripe: StripeView{
			Enabled:       settings.Configured(GatewayStripe).Enabled,
			SecretKey:     state(GatewayStripe, FieldSecretKey),
			WebhookSecret: state(GatewayStripe, FieldWebhookSecret),
		},
		PayPal: PayPalView{
			Enabled: paypal.Enabled, ClientID: paypal.ClientID, ClientSecret: state(GatewayPayPal, FieldClientSecret),
			WebhookID: paypal.WebhookID, Mode: mode,
		},
		Manual: ManualView{Enabled: manual.Enabled, Instructions: manual.Instructions},
	}, nil
}

// StripeCredentials are the decrypted Stripe settings. They are secrets:
// never log them.
type StripeCredentials struct {
	Enabled       bool
	SecretKey     string
	WebhookSecret string
}

// Stripe returns the decrypted Stripe settings.
func (s *Service) Stripe(ctx context.Context) (StripeCredentials, error) {
	settings, _, err := s.Load(ctx)
	if err != nil {
		return StripeCredentials{}, err
	}
	key, err := settings.Secret(s.keys, GatewayStripe, FieldSecretKey)
	if err != nil {
		return StripeCredentials{}, err
	}
	webhookSecret, err := settings.Secret(s.keys, GatewayStripe, FieldWebhookSecret)
	if err != nil {
		return StripeCredentials{}, err
	}
	return StripeCredentials{Enabled: settings.Configured(GatewayStripe).Enabled, SecretKey: key, WebhookSecret: webhookSecret}, nil
}

// PayPalCredentials are the decrypted PayPal settings. ClientSecret is a
// secret: never log it.
type PayPalCredentials struct {
	Enabled      bool
	ClientID     string
	ClientSecret string
	WebhookID    string
	Mode         string // sandbox or live
}

// PayPal returns the decrypted PayPal settings.
func (s *Service) PayPal(ctx context.Context) (PayPalCredentials, error) {
	settings, _, err := s.Load(ctx)
	if err != nil {
		return PayPalCredentials{}, err
	}
	secret, err := settings.Secret(s.keys, GatewayPayPal, FieldClientSecret)
	if err != nil {
		return PayPalCredentials{}, err
	}
	configured := settings.Configured(GatewayPayPal)
	mode := configured.Mode
	if mode == "" {
		mode = "sandbox"
	}
	return PayPalCredentials{
		Enabled: configured.Enabled, ClientID: configured.ClientID, ClientSecret: secret,
		WebhookID: configured.WebhookID, Mode: mode,
	}, nil
}

// Manual returns the bank-transfer settings.
func (s *Service) Manual(ctx context.Context) (ManualView, error) {
	settings, _, err := s.Load(ctx)
	if err != nil {
		return ManualView{}, err
	}
	configured := settings.Configured(GatewayManual)
	return ManualView{Enabled: configured.Enabled, Instructions: configured.Instructions}, nil
}
