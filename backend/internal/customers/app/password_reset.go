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

// RequestPasswordReset emails a reset link when email has an account that
// was not erased. It returns nil either way, and the email goes out in the
// background, so callers cannot tell which addresses have accounts.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	email = NormalizeEmail(email)
	if email == "" || len(email) > 254 {
		return apperr.Invalid("email", "invalid_email", "email must be an email address")
	}
	customerID, err := s.customerByEmail(ctx, email)
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
// with every other reset token of the customer. Sessions opened before
// stay valid until they expire.
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
