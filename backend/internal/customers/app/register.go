package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"unicode/utf8"

	"github.com/google/uuid"

	"esimscan/backend/internal/customers/domain"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/platform/passwords"
)

// Register is a storefront visitor's new account.
type Register struct {
	Email    string `json:"email" validate:"required,email,max=254"`
	Password string `json:"password" validate:"required,max=1024"`
}

// Register is RegisterFrom with an unknown client address: every such
// caller shares one count of the emails it causes.
func (s *Service) Register(ctx context.Context, cmd Register) error {
	return s.RegisterFrom(ctx, cmd, "")
}

// RegisterFrom opens an account and emails a verification link. An email
// that already has an account gets an email saying so, within MailLimits
// for the address and for clientIP. An email whose customer was erased
// opens a new account, with a new customer id and data key. The caller gets the same response as
// for a new account, so registration does not reveal which addresses have
// accounts.
func (s *Service) RegisterFrom(ctx context.Context, cmd Register, clientIP string) error {
	cmd.Email = NormalizeEmail(cmd.Email)
	if err := apperr.Validate(cmd); err != nil {
		return err
	}
	if utf8.RuneCountInString(cmd.Password) < minPasswordLength {
		return apperr.Invalid("password", "invalid_min", fmt.Sprintf("password must be at least %d characters", minPasswordLength))
	}
	passwordHash, err := passwords.HashPassword(cmd.Password, s.passwordParams)
	if err != nil {
		return fmt.Errorf("hash customer password: %w", err)
	}
	emailHash, err := s.emailHash(ctx, cmd.Email)
	if err != nil {
		return err
	}
	customerID := uuid.NewString()
	reserved, err := s.reserveEmail(ctx, emailHash, customerID)
	if err != nil {
		return err
	}
	if !reserved {
		s.logger.Info().Msg("registration for an existing customer email")
		if allowed, err := s.allowMail(ctx, "existing_account", emailHash, clientIP); err != nil || !allowed {
			return err
		}
		s.mailInBackground(cmd.Email, "You already have an account",
			"Someone tried to register with this address, which already has an account.\n"+
				"If that was you, sign in or reset your password at "+s.baseURL+"/account/reset-password\n")
		return nil
	}
	if err := s.openAccount(ctx, customerID, cmd.Email, emailHash, passwordHash); err != nil {
		return err
	}
	s.logger.Info().Str("customer_id", customerID).Msg("customer registered")
	return nil
}

// reserveEmail claims the email with keyed hash emailHash for customerID:
// the first time, or again once the customer it was reserved for was
// erased, so that an erased customer's address can open a new account. It
// returns false when a customer who was not erased holds the email, or a
// concurrent registration claimed it first.
func (s *Service) reserveEmail(ctx context.Context, emailHash, customerID string) (bool, error) {
	holder, expected, err := s.emailReservation(ctx, emailHash)
	if err != nil {
		return false, err
	}
	if holder != "" {
		_, key, err := s.dataKey(ctx, holder)
		if err != nil {
			return false, err
		}
		if !key.Erased {
			return false, nil
		}
	}
	_, err = s.repo.Append(ctx, domain.EmailStream(emailHash), expected,
		domain.CustomerEmailReserved{CustomerID: customerID, EmailHash: emailHash})
	if errors.Is(err, esrepo.ErrConflict) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reserve customer email: %w", err)
	}
	if holder != "" {
		s.logger.Info().Str("customer_id", customerID).Str("erased_customer_id", holder).
			Msg("email of an erased customer reserved for a new account")
	}
	return true, nil
}

// openAccount issues the data key and appends the registration with its
// verification token, then emails the link.
func (s *Service) openAccount(ctx context.Context, customerID, email, emailHash, passwordHash string) error {
	dataKey := randomBytes(32)
	sealedKey, err := s.keys.Seal(dataKey, "customer-key:"+customerID)
	if err != nil {
		return fmt.Errorf("seal data key of customer %s: %w", customerID, err)
	}
	now := s.now().UTC()
	_, err = s.repo.Append(ctx, domain.KeyStream(customerID), eventstore.NoStream(),
		domain.CustomerKeyIssued{CustomerID: customerID, SealedKey: sealedKey, IssuedAt: now})
	if err != nil {
		return fmt.Errorf("issue data key of customer %s: %w", customerID, err)
	}
	emailSealed, err := sealWith(dataKey, email, emailAssociatedData(customerID))
	if err != nil {
		return fmt.Errorf("seal email of customer %s: %w", customerID, err)
	}
	token := newToken(customerID)
	_, err = s.repo.Append(ctx, domain.CustomerStream(customerID), eventstore.NoStream(),
		domain.CustomerRegistered{
			CustomerID: customerID, EmailSealed: emailSealed, EmailHash: emailHash,
			PasswordHash: passwordHash, RegisteredAt: now,
		},
		domain.VerificationTokenIssued{CustomerID: customerID, TokenHash: hashToken(token), ExpiresAt: now.Add(VerificationTTL)})
	if err != nil {
		return fmt.Errorf("register customer %s: %w", customerID, err)
	}
	link := s.baseURL + "/account/verify?token=" + url.QueryEscape(token)
	s.mailInBackground(email, "Confirm your email address",
		"Confirm your email address to finish creating your account:\n\n"+link+"\n\nThe link works once, for 48 hours.\n")
	return nil
}

// Verify marks the customer of token verified. A token that is unknown,
// expired or used is an Invalid error on field "token".
func (s *Service) Verify(ctx context.Context, token string) error {
	customerID := tokenCustomer(token)
	if customerID == "" {
		return errInvalidToken()
	}
	customer, expected, err := s.loadCustomer(ctx, customerID)
	if err != nil {
		return err
	}
	tokenHash := hashToken(token)
	if !customer.Exists() || customer.CheckToken(tokenHash, domain.PurposeVerify, s.now()) != nil {
		return errInvalidToken()
	}
	_, err = s.repo.Append(ctx, domain.CustomerStream(customerID), expected,
		domain.CustomerVerified{CustomerID: customerID, TokenHash: tokenHash, VerifiedAt: s.now().UTC()})
	if errors.Is(err, esrepo.ErrConflict) {
		return errInvalidToken() // a concurrent use of the same token won
	}
	if err != nil {
		return fmt.Errorf("verify customer %s: %w", customerID, err)
	}
	s.logger.Info().Str("customer_id", customerID).Msg("customer verified")
	return nil
}

func errInvalidToken() error {
	return apperr.Invalid("token", "invalid_token", domain.ErrInvalidToken.Error())
}

func jsonDecode(data []byte, into any) error {
	if err := json.Unmarshal(data, into); err != nil {
		return fmt.Errorf("decode event: %w", err)
	}
	return nil
}
