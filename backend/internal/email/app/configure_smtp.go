package app

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	"esimscan/backend/internal/email/domain"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/apperr"
)

// ConfigureSMTP saves the SMTP settings. A blank Password keeps the stored
// one. From is an address, optionally with a display name
// ("Tokyo SIMs <shop@example.com>").
type ConfigureSMTP struct {
	Host     string `json:"host" validate:"required,max=253"`
	Port     int    `json:"port" validate:"required,min=1,max=65535"`
	Username string `json:"username" validate:"max=254"`
	Password string `json:"password" validate:"max=1024"`
	From     string `json:"from" validate:"required,max=320"`
	Security string `json:"security" validate:"required,oneof=none starttls tls"`
}

// SMTPView is the SMTP settings as the admin sees them. The password is
// "set" or "missing", never the value.
type SMTPView struct {
	Configured bool   `json:"configured"`
	Host       string `json:"host"`
	Port       int    `json:"port"`
	Username   string `json:"username"`
	Password   string `json:"password"`
	From       string `json:"from"`
	Security   string `json:"security"`
}

// ConfigureSMTP validates cmd, seals a new password with the APP_KEY
// keyring and appends SMTPSettingsConfigured. The event carries the
// password's fingerprint for the audit, never the password.
func (s *Service) ConfigureSMTP(ctx context.Context, cmd ConfigureSMTP) (eventstore.AppendResult, error) {
	cmd.Host = strings.TrimSpace(cmd.Host)
	cmd.From = strings.TrimSpace(cmd.From)
	cmd.Username = strings.TrimSpace(cmd.Username)
	if err := apperr.Validate(cmd); err != nil {
		return eventstore.AppendResult{}, err
	}
	if strings.ContainsAny(cmd.Host, " /:@\r\n\t") {
		return eventstore.AppendResult{}, apperr.Invalid("host", "invalid_host", "host must be a host name or IP address, without scheme or port")
	}
	if _, err := mail.ParseAddress(cmd.From); err != nil {
		return eventstore.AppendResult{}, apperr.Invalid("from", "invalid_email", "from must be an email address, such as shop@example.com")
	}
	if strings.ContainsAny(cmd.Username, "\r\n") {
		return eventstore.AppendResult{}, apperr.Invalid("username", "invalid_username", "username must not contain line breaks")
	}

	var sealed, fingerprint string
	if cmd.Password != "" {
		var err error
		if sealed, err = s.keys.Seal([]byte(cmd.Password), passwordAssociatedData); err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("seal smtp password: %w", err)
		}
		fingerprint = s.keys.Fingerprint(cmd.Password)
	}
	settings, expected, err := s.loadSettings(ctx)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	event := settings.Configure(cmd.Host, cmd.Port, cmd.Username, sealed, fingerprint, cmd.From, cmd.Security, s.now())
	result, err := s.repo.Append(ctx, domain.SettingsStream, expected, event)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("configure smtp: %w", err)
	}
	s.logger.Info().Str("host", cmd.Host).Int("port", cmd.Port).Str("security", cmd.Security).
		Bool("password_changed", event.PasswordChanged).Msg("smtp settings configured")
	return result, nil
}

// SMTPSettings returns the current settings without the password.
func (s *Service) SMTPSettings(ctx context.Context) (SMTPView, error) {
	settings, _, err := s.loadSettings(ctx)
	if err != nil {
		return SMTPView{}, err
	}
	current := settings.Current
	view := SMTPView{
		Configured: settings.Configured,
		Host:       current.Host,
		Port:       current.Port,
		Username:   current.Username,
		Password:   "missing",
		From:       current.From,
		Security:   current.Security,
	}
	if current.PasswordSealed != "" {
		view.Password = "set"
	}
	return view, nil
}

// TestResult is the outcome of a test email.
type TestResult struct {
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// TestSMTP sends a test email to to with the saved settings. A failed send
// is a result with OK false and the reason, not an error. An invalid to
// is an Invalid error on field "to".
func (s *Service) TestSMTP(ctx context.Context, to string) (TestResult, error) {
	address, err := mail.ParseAddress(strings.TrimSpace(to))
	if err != nil || address.Name != "" {
		return TestResult{}, apperr.Invalid("to", "invalid_email", "to must be an email address")
	}
	_, err = s.send(ctx, testMessage(address.Address, s.storeName))
	if err != nil {
		s.logger.Warn().Err(err).Msg("smtp test failed")
		return TestResult{OK: false, Message: "the test email was not sent: " + err.Error()}, nil
	}
	s.logger.Info().Msg("smtp test email sent")
	return TestResult{OK: true, Message: "the SMTP server accepted a test email to " + address.Address}, nil
}
