package domain

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/money"
)

// Limits of the provider settings.
const (
	MinSyncIntervalMinutes = 5
	MaxSyncIntervalMinutes = 525600 // one year
	MaxMarginPercent       = money.Percent(100_00)
)

// Sealer encrypts and fingerprints credential values. *secrets.Keyring
// implements it.
type Sealer interface {
	Seal(plaintext []byte, associatedData string) (string, error)
	Open(sealed, associatedData string) ([]byte, error)
	Fingerprint(value string) string
}

// Configuration is a save of the provider's settings as the admin sent it.
// A blank or absent credential keeps the stored value.
type Configuration struct {
	BaseURL             string
	MarginPercent       string
	SyncIntervalMinutes int
	RateLimitPerHour    *int
	Credentials         map[string]string
	Advanced            map[string]string
	// AuthMode is Maya's auth mode. It may also arrive as
	// Credentials["auth_mode"], as the HTTP API sends it.
	AuthMode string
}

// Configure validates cfg and returns the events of the save:
// ProviderConfigured with the full settings, ProviderMarginSet when the
// margin changes and one ProviderCredentialSet per changed secret. A save
// that changes nothing returns no events. A validation failure is an
// *apperr.Error naming the JSON field, such as "credentials.secret_key".
func (p *Provider) Configure(cfg Configuration, sealer Sealer) ([]Event, error) {
	baseURL, err := normalizeBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	margin, err := parseMargin("margin_percent", cfg.MarginPercent)
	if err != nil {
		return nil, err
	}
	if err := validateSyncInterval(cfg.SyncIntervalMinutes); err != nil {
		return nil, err
	}
	if cfg.RateLimitPerHour != nil && *cfg.RateLimitPerHour < 1 {
		return nil, apperr.Invalid("rate_limit_per_hour", "invalid_min",
			"rate_limit_per_hour must be at least 1, or absent for no limit")
	}
	authMode, err := p.resolveAuthMode(cfg)
	if err != nil {
		return nil, err
	}
	secrets, err := p.validateCredentials(cfg.Credentials, authMode)
	if err != nil {
		return nil, err
	}
	advanced, err := p.validateAdvanced(cfg.Advanced)
	if err != nil {
		return nil, err
	}

	settings := Settings{
		BaseURL:             baseURL,
		SyncIntervalMinutes: cfg.SyncIntervalMinutes,
		RateLimitPerHour:    cfg.RateLimitPerHour,
		Advanced:            advanced,
		AuthMode:            authMode,
	}
	var changes []Event
	if p.margin == nil || *p.margin != margin {
		changes = append(changes, ProviderMarginSet{Slug: p.slug, OldPercent: p.marginText(), NewPercent: margin.String()})
	}
	credentialEvents, err := p.credentialChanges(secrets, sealer)
	if err != nil {
		return nil, err
	}
	changes = append(changes, credentialEvents...)
	if p.configured && len(changes) == 0 && sameSettings(p.settings, settings) {
		return nil, nil
	}
	configuredEvent := ProviderConfigured{
		Slug:                p.slug,
		BaseURL:             settings.BaseURL,
		SyncIntervalMinutes: settings.SyncIntervalMinutes,
		RateLimitPerHour:    settings.RateLimitPerHour,
		Advanced:            settings.Advanced,
		AuthMode:            settings.AuthMode,
	}
	return append([]Event{configuredEvent}, changes...), nil
}

// sameSettings reports whether a and b hold the same non-secret settings.
func sameSettings(a, b Settings) bool {
	sameLimit := (a.RateLimitPerHour == nil) == (b.RateLimitPerHour == nil) &&
		(a.RateLimitPerHour == nil || *a.RateLimitPerHour == *b.RateLimitPerHour)
	return sameConnection(a, b) && a.SyncIntervalMinutes == b.SyncIntervalMinutes && sameLimit
}

func (p *Provider) marginText() *string {
	if p.margin == nil {
		return nil
	}
	text := p.margin.String()
	return &text
}

func normalizeBaseURL(raw string) (string, error) {
	trimmed := strings.TrimRight(strings.TrimSpace(raw), "/")
	if trimmed == "" {
		return "", apperr.Invalid("base_url", "invalid_required", "base_url is required")
	}
	parsed, err := url.Parse(trimmed)
	if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") {
		return "", apperr.Invalid("base_url", "invalid_url",
			"base_url must be an http or https URL, such as https://api.example.com")
	}
	if parsed.Hostname() == "" {
		return "", apperr.Invalid("base_url", "invalid_url", "base_url must name a host")
	}
	if parsed.User != nil {
		return "", apperr.Invalid("base_url", "invalid_url",
			"base_url must not contain a user name or password. Enter credentials in their own fields.")
	}
	if parsed.RawQuery != "" || parsed.ForceQuery || parsed.Fragment != "" {
		return "", apperr.Invalid("base_url", "invalid_url", "base_url must not contain a query or fragment")
	}
	return trimmed, nil
}

// parseMargin reads a percentage from 0 to 100 with at most two decimals.
func parseMargin(field, text string) (money.Percent, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return 0, apperr.Invalid(field, "invalid_required", field+" is required")
	}
	margin, err := money.ParsePercent(text)
	if err != nil {
		return 0, apperr.Invalid(field, "invalid_percent",
			field+" must be a number from 0 to 100 with at most two decimals")
	}
	if margin > MaxMarginPercent {
		return 0, apperr.Invalid(field, "invalid_max", field+" must be at most 100")
	}
	return margin, nil
}

func validateSyncInterval(minutes int) error {
	if minutes < MinSyncIntervalMinutes || minutes > MaxSyncIntervalMinutes {
		return apperr.Invalid("sync_interval_minutes", "invalid_range",
			fmt.Sprintf("sync_interval_minutes must be from %d to %d", MinSyncIntervalMinutes, MaxSyncIntervalMinutes))
	}
	return nil
}

// resolveAuthMode returns Maya's auth mode after this save: the one sent,
// else the stored one, else basic. Other providers have none.
func (p *Provider) resolveAuthMode(cfg Configuration) (string, error) {
	fromCredentials, inCredentials := cfg.Credentials[CredentialAuthMode]
	fromCredentials = strings.TrimSpace(fromCredentials)
	requested := strings.TrimSpace(cfg.AuthMode)
	if !p.spec.hasAuthMode {
		if inCredentials {
			return "", unknownCredential(CredentialAuthMode)
		}
		if requested != "" {
			return "", apperr.Invalid("auth_mode", "invalid_unknown", "auth_mode applies only to maya")
		}
		return "", nil
	}
	field := "auth_mode"
	if fromCredentials != "" {
		if requested != "" && requested != fromCredentials {
			return "", apperr.Invalid("credentials.auth_mode", "invalid_conflict",
				"credentials.auth_mode and auth_mode disagree. Send only one of them.")
		}
		requested, field = fromCredentials, "credentials.auth_mode"
	}
	switch {
	case requested == AuthModeBasic || requested == AuthModeBearer:
		return requested, nil
	case requested != "":
		return "", apperr.Invalid(field, "invalid_oneof", field+" must be one of: bearer, basic")
	case p.settings.AuthMode != "":
		return p.settings.AuthMode, nil
	default:
		return AuthModeBasic, nil
	}
}

func unknownCredential(field string) error {
	return apperr.Invalid("credentials."+field, "invalid_unknown",
		"credentials."+field+" is not a credential of this provider")
}

// validateCredentials returns the non-blank secrets sent, after checking
// that every field is known and every required field holds a value.
func (p *Provider) validateCredentials(sent map[string]string, authMode string) (map[string]string, error) {
	names := slices.Sorted(maps.Keys(sent))
	secrets := map[string]string{}
	for _, name := range names {
		if name == CredentialAuthMode && p.spec.hasAuthMode {
			continue
		}
		if !slices.Contains(p.spec.credentialFields, name) {
			return nil, unknownCredential(name)
		}
		if value := strings.TrimSpace(sent[name]); value != "" {
			secrets[name] = value
		}
	}
	required := slices.Clone(p.spec.requiredFields)
	if p.spec.hasAuthMode && authMode == AuthModeBasic {
		required = append(required, "api_secret")
	}
	for _, name := range required {
		_, stored := p.credentials[name]
		if _, given := secrets[name]; !given && !stored {
			message := "credentials." + name + " is required"
			if name == "api_secret" {
				message += " when auth_mode is basic"
			}
			return nil, apperr.Invalid("credentials."+name, "invalid_required", message)
		}
	}
	return secrets, nil
}

// credentialChanges seals each secret that differs from the stored one.
func (p *Provider) credentialChanges(secrets map[string]string, sealer Sealer) ([]Event, error) {
	var events []Event
	for _, field := range p.spec.credentialFields {
		value, given := secrets[field]
		if !given {
			continue
		}
		fingerprint := sealer.Fingerprint(value)
		stored, hasStored := p.credentials[field]
		if hasStored && p.storedEquals(sealer, field, stored, fingerprint, value) {
			continue
		}
		sealed, err := sealer.Seal([]byte(value), CredentialContext(p.slug, field))
		if err != nil {
			return nil, fmt.Errorf("seal credential %s: %w", field, err)
		}
		event := ProviderCredentialSet{Slug: p.slug, Field: field, Fingerprint: fingerprint, Sealed: sealed}
		if hasStored {
			old := stored.Fingerprint
			event.OldFingerprint = &old
		}
		events = append(events, event)
	}
	return events, nil
}

// storedEquals reports whether the stored secret equals value. Equal
// fingerprints are confirmed by decrypting, because 12 hex characters can
// collide. A value sealed under another APP_KEY never matches, so entering
// it again after a key change stores it anew.
func (p *Provider) storedEquals(sealer Sealer, field string, stored Credential, fingerprint, value string) bool {
	if stored.Fingerprint != fingerprint {
		return false
	}
	plaintext, err := sealer.Open(stored.Sealed, CredentialContext(p.slug, field))
	return err == nil && string(plaintext) == value
}

// validateAdvanced returns the non-empty advanced settings after checking
// each key is allowed for the provider and each value's form.
func (p *Provider) validateAdvanced(sent map[string]string) (map[string]string, error) {
	advanced := map[string]string{}
	for _, key := range slices.Sorted(maps.Keys(sent)) {
		field := "advanced." + key
		if !slices.Contains(p.spec.advancedKeys, key) {
			return nil, apperr.Invalid(field, "invalid_unknown", field+" is not a setting of this provider")
		}
		value := strings.TrimSpace(sent[key])
		if value == "" {
			continue
		}
		var err error
		if key == AdvancedPackageListBody {
			err = validateJSONObject(field, value)
		} else {
			err = validatePath(field, value)
		}
		if err != nil {
			return nil, err
		}
		advanced[key] = value
	}
	return advanced, nil
}

// validatePath accepts an absolute path on the provider's host, with an
// optional query. A leading "//" would name another host, so it is rejected.
func validatePath(field, value string) error {
	if !strings.HasPrefix(value, "/") || strings.HasPrefix(value, "//") {
		return apperr.Invalid(field, "invalid_path", field+` must be a path starting with a single "/"`)
	}
	if strings.ContainsFunc(value, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return apperr.Invalid(field, "invalid_path", field+" must not contain spaces or control characters")
	}
	parsed, err := url.Parse(value)
	if err != nil || parsed.Scheme != "" || parsed.Host != "" || parsed.Fragment != "" {
		return apperr.Invalid(field, "invalid_path", field+" must be a plain path such as /api/v1/packages")
	}
	return nil
}

func validateJSONObject(field, value string) error {
	var object map[string]any
	if err := json.Unmarshal([]byte(value), &object); err != nil || object == nil {
		return apperr.Invalid(field, "invalid_json", field+" must be a JSON object")
	}
	return nil
}
