package domain

import (
	"encoding/json"
	"fmt"
	"time"
)

// Security modes of the SMTP connection.
const (
	SecurityNone     = "none"     // plain TCP, no encryption
	SecurityStartTLS = "starttls" // plain TCP upgraded with STARTTLS, which must be offered
	SecurityTLS      = "tls"      // TLS from the first byte (often port 465)
)

// Settings is the SMTP settings aggregate, rebuilt from "settings-smtp".
// The zero value is a store with no SMTP server configured.
type Settings struct {
	Configured bool
	Current    SMTPSettingsConfigured
}

// Apply folds one stored event into the settings. Unknown types are
// skipped.
func (s *Settings) Apply(eventType string, data []byte) error {
	if eventType != EventSMTPSettingsConfigured {
		return nil
	}
	var event SMTPSettingsConfigured
	if err := json.Unmarshal(data, &event); err != nil {
		return fmt.Errorf("decode %s: %w", eventType, err)
	}
	s.Configured, s.Current = true, event
	return nil
}

// Configure decides new settings. sealed and fingerprint are the sealed
// new password and its fingerprint, both empty to keep the stored
// password.
func (s *Settings) Configure(
	host string,
	port int,
	username, sealed, fingerprint, from, security string,
	at time.Time,
) SMTPSettingsConfigured {
	event := SMTPSettingsConfigured{
		Host:         host,
		Port:         port,
		Username:     username,
		From:         from,
		Security:     security,
		ConfiguredAt: at.UTC(),
	}
	if sealed != "" {
		event.PasswordSealed, event.PasswordFingerprint, event.PasswordChanged = sealed, fingerprint, true
	} else {
		event.PasswordSealed, event.PasswordFingerprint = s.Current.PasswordSealed, s.Current.PasswordFingerprint
	}
	return event
}
