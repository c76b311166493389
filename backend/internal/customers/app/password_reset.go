package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"unicode/utf8"

	"esimscan/backend/internal/customers/domain"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/platform/passwords"
)

// RequestPasswordReset is RequestPasswordResetFrom with an unknown client
// address: every such caller shares one count of the emails it causes.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	return s.RequestPasswordResetFrom(ctx, email, "")
}

// RequestPasswordResetFrom emails a reset link when email has an account
// that was not erased, within MailLimits for the address and for
// clientIP. It returns nil either way, and the email goes out in the
// background, so callers cannot tell which addresses have accounts.
func (s *Service) RequestPasswordResetFrom(ctx context.Context, email, clientIP string) error {
	email = NormalizeEmail(email)
	if err := apperr.Validate(emailField{Email: email}); err != nil {
		return err
	}
	emailHash, err := s.emailHash(ctx, email)
	if err != nil {
		return err
	}
	customerID, err := s.customerWithEmailHash(ctx, emailHash)
	if err != nil || customerID == "" {
		return err
	}
	key, _, err := s.dataKey(ctx, customerID)
	if err != nil || key == nil {
		return err
	}
	customer, expected, err := s.loadCustomer(ctx, customerID)
	if err != nil || !customer.Exists() {
		return err
	}
	if allowed, err := s.allowMail(ctx, "password_reset", emailHash, clientIP); err != nil || !allowed {
		return err
	}
	token := newToken(customerID)
	now := s.now().UTC()
	_, err = s.repo.Append(ctx, domain.CustomerStream(customerID), expected, domain.PasswordResetRequested{
		CustomerID: customerID, TokenHash: hashToken(token), ExpiresAt: now.Add(PasswordResetTTL), RequestedAt: now,
	})
	if err != nil {
		return fmt.Errorf("request password reset of customer %s: %w", customerID, err)
	}
	link := s.baseURL + "/account/reset-password?token=" + url.QueryEscape(token)
	s.mailInBackground(email, "Reset your password",
		"Choose a new password here:\n\n"+link+"\n\nThe link works once, for one hour. If you did not ask for it, ignore this email.\n")
	s.logger.Info().Str("customer_id", customerID).Msg("customer password reset requested")
	return nil
}

// ConfirmPasswordReset sets password with a reset token, which is used up
// with every other reset token of the customer, and ends every session of
// the customer.
// emailField validates the email of a reset request or a sign-in with
// the rules of Register.
type emailField struct {
	Email string `json:"email" validate:"required,email,max=254"`
}

func (s *Service) ConfirmPasswordReset(ctx context.Context, token, password string) error {
	if utf8.RuneCountInString(password) < minPasswordLength || len(password) > maxPasswordBytes {
		return apperr.Invalid("password", "invalid_length",
			fmt.Sprintf("password must be %d to %d characters", minPasswordLength, maxPasswordBytes))
	}
	customerID := tokenCustomer(token)
	if customerID == "" {
		return errInvalidToken()
	}
	customer, expected, err := s.loadCustomer(ctx, customerID)
	if err != nil {
		return err
	}
	tokenHash := hashToken(token)
	if !customer.Exists() || customer.CheckToken(tokenHash, domain.PurposeReset, s.now()) != nil {
		return errInvalidToken()
	}
	hash, err := passwords.HashPassword(password, s.passwordParams)
	if err != nil {
		return fmt.Errorf("hash customer password: %w", err)
	}
	_, err = s.repo.Append(ctx, domain.CustomerStream(customerID), expected, domain.CustomerPasswordReset{
		CustomerID: customerID, TokenHash: tokenHash, PasswordHash: hash, ResetAt: s.now().UTC(),
	})
	if errors.Is(err, esrepo.ErrConflict) {
		return errInvalidToken()
	}
	if err != nil {
		return fmt.Errorf("reset password of customer %s: %w", customerID, err)
	}
	// A reset usually follows a lost or stolen password, so every session
	// opened with the old one ends.
	if err := s.revokeSessions(ctx, customerID); err != nil {
		s.logger.Error().Err(err).Str("customer_id", customerID).Msg("end sessions after password reset failed")
	}
	s.logger.Info().Str("customer_id", customerID).Msg("customer password reset")
	return nil
}
