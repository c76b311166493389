package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"esimscan/backend/internal/accounts/domain"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
)

// Install is the first-run form that creates the store and its admin.
type Install struct {
	StoreName     string `json:"store_name" validate:"required,max=100"`
	AdminEmail    string `json:"admin_email" validate:"required,email,max=254"`
	AdminPassword string `json:"admin_password" validate:"required,min=10,max=200"`
}

// Install appends AdminEmailReserved, AdminCreated and StoreInstalled, each
// to an empty stream. It returns a Conflict error with code
// "already_installed" once the store stream exists, so of two racing
// installers exactly one succeeds.
//
// An installation interrupted before StoreInstalled left its email
// reserved. Installing again with that email completes it when the admin
// was not created yet or the password matches the one stored. With another
// password it is a Conflict with code "admin_email_taken".
func (s *Service) Install(ctx context.Context, cmd Install) (eventstore.AppendResult, error) {
	cmd.StoreName = strings.TrimSpace(cmd.StoreName)
	cmd.AdminEmail = domain.NormalizeEmail(cmd.AdminEmail)
	if err := apperr.Validate(cmd); err != nil {
		return eventstore.AppendResult{}, err
	}
	if installed, err := s.IsInstalled(ctx); err != nil || installed {
		return eventstore.AppendResult{}, errOr(err, errAlreadyInstalled())
	}
	hash, err := domain.HashPassword(cmd.AdminPassword, s.passwordParams)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("hash admin password: %w", err)
	}
	adminID := uuid.NewString()
	_, err = s.repo.Append(ctx, domain.AdminEmailStream(cmd.AdminEmail), eventstore.NoStream(),
		domain.AdminEmailReserved{AdminID: adminID, Email: cmd.AdminEmail})
	switch {
	case errors.Is(err, esrepo.ErrConflict):
		adminID, err = s.resumeInstall(ctx, cmd, hash)
	case err == nil:
		err = s.createAdmin(ctx, adminID, cmd.AdminEmail, hash)
	}
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	return s.appendStoreInstalled(ctx, cmd, adminID)
}

// resumeInstall handles an email that is already reserved: by a racing
// installer, or by an installation that stopped before StoreInstalled. It
// returns the reserved admin id once that admin exists with this password.
func (s *Service) resumeInstall(ctx context.Context, cmd Install, hash string) (string, error) {
	if installed, err := s.IsInstalled(ctx); err != nil || installed {
		return "", errOr(err, errAlreadyInstalled())
	}
	adminID, err := s.loadReservation(ctx, cmd.AdminEmail)
	if err != nil {
		return "", err
	}
	admin, err := s.loadAdmin(ctx, adminID)
	if err != nil {
		return "", err
	}
	if !admin.Exists() {
		return adminID, s.createAdmin(ctx, adminID, cmd.AdminEmail, hash)
	}
	matches, err := domain.VerifyPassword(admin.PasswordHash, cmd.AdminPassword)
	if err != nil {
		return "", fmt.Errorf("verify password of admin %s: %w", adminID, err)
	}
	if !matches {
		return "", &apperr.Error{
			Kind:    apperr.KindConflict,
			Code:    "admin_email_taken",
			Field:   "admin_email",
			Message: "admin_email belongs to an unfinished installation with another password; use that password or another address",
		}
	}
	return adminID, nil
}

func (s *Service) createAdmin(ctx context.Context, adminID, email, hash string) error {
	_, err := s.repo.Append(ctx, domain.AdminStream(adminID), eventstore.NoStream(),
		domain.AdminCreated{AdminID: adminID, Email: email, PasswordHash: hash})
	if errors.Is(err, esrepo.ErrConflict) {
		// A racing installer with the same email created this admin first.
		return errAlreadyInstalled()
	}
	if err != nil {
		return fmt.Errorf("create admin %s: %w", adminID, err)
	}
	return nil
}

func (s *Service) appendStoreInstalled(ctx context.Context, cmd Install, adminID string) (eventstore.AppendResult, error) {
	event, err := (&domain.Store{}).Install(cmd.StoreName, adminID, cmd.AdminEmail)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	result, err := s.repo.Append(ctx, domain.StoreStream, eventstore.NoStream(), event)
	if errors.Is(err, esrepo.ErrConflict) {
		return eventstore.AppendResult{}, errAlreadyInstalled()
	}
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("install store: %w", err)
	}
	s.logger.Info().Str("admin_id", adminID).Msg("store installed")
	return result, nil
}

func errAlreadyInstalled() error {
	return apperr.Conflict("already_installed", "the store is already installed")
}

// errOr returns err when it is not nil, otherwise fallback.
func errOr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}
