package settings

import (
	"encoding/json"
	"fmt"
)

// Sealer encrypts and fingerprints secrets. *secrets.Keyring implements it.
type Sealer interface {
	Seal(plaintext []byte, associatedData string) (string, error)
	Open(sealed, associatedData string) ([]byte, error)
	Fingerprint(value string) string
}

type credential struct {
	fingerprint string
	sealed      string
}

// Settings is the payment settings aggregate, rebuilt by Apply. It is not
// safe for concurrent use.
type Settings struct {
	configured  map[string]PaymentGatewayConfigured
	credentials map[string]credential // by gateway + ":" + field
}

func newSettings() *Settings {
	return &Settings{configured: map[string]PaymentGatewayConfigured{}, credentials: map[string]credential{}}
}

// Apply folds one stored event into the settings. Unknown types are
// skipped.
func (s *Settings) Apply(eventType string, data []byte) error {
	switch eventType {
	case EventPaymentGatewayConfigured:
		var event PaymentGatewayConfigured
		if err := json.Unmarshal(data, &event); err != nil {
			return fmt.Errorf("decode %s: %w", eventType, err)
		}
		s.configured[event.Gateway] = event
	case EventPaymentCredentialSet:
		var event PaymentCredentialSet
		if err := json.Unmarshal(data, &event); err != nil {
			return fmt.Errorf("decode %s: %w", eventType, err)
		}
		s.credentials[event.Gateway+":"+event.Field] = credential{fingerprint: event.Fingerprint, sealed: event.Sealed}
	}
	return nil
}

// Configured returns the gateway's last saved settings.
func (s *Settings) Configured(gateway string) PaymentGatewayConfigured {
	configured := s.configured[gateway]
	configured.Gateway = gateway
	return configured
}

// HasSecret reports whether a value is stored for the gateway's field.
func (s *Settings) HasSecret(gateway, field string) bool {
	_, ok := s.credentials[gateway+":"+field]
	return ok
}

// Secret decrypts the gateway's field, or returns "" when none is stored.
func (s *Settings) Secret(sealer Sealer, gateway, field string) (string, error) {
	stored, ok := s.credentials[gateway+":"+field]
	if !ok {
		return "", nil
	}
	plaintext, err := sealer.Open(stored.sealed, CredentialContext(gateway, field))
	if err != nil {
		return "", fmt.Errorf("open %s %s: %w", gateway, field, err)
	}
	return string(plaintext), nil
}

// credentialChanges seals each given secret that differs from the stored
// one. Blank secrets are never given: they keep the stored value.
func (s *Settings) credentialChanges(sealer Sealer, gateway string, fields []string, given map[string]string) ([]PaymentCredentialSet, error) {
	var events []PaymentCredentialSet
	for _, field := range fields {
		value, ok := given[field]
		if !ok {
			continue
		}
		fingerprint := sealer.Fingerprint(value)
		stored, hasStored := s.credentials[gateway+":"+field]
		if hasStored && stored.fingerprint == fingerprint {
			// Equal fingerprints are confirmed by decrypting, because 12 hex
			// characters can collide.
			if plaintext, err := sealer.Open(stored.sealed, CredentialContext(gateway, field)); err == nil && string(plaintext) == value {
				continue
			}
		}
		sealed, err := sealer.Seal([]byte(value), CredentialContext(gateway, field))
		if err != nil {
			return nil, fmt.Errorf("seal %s %s: %w", gateway, field, err)
		}
		event := PaymentCredentialSet{Gateway: gateway, Field: field, Fingerprint: fingerprint, Sealed: sealed}
		if hasStored {
			old := stored.fingerprint
			event.OldFingerprint = &old
		}
		events = append(events, event)
	}
	return events, nil
}
