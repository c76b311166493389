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

// Install claims the store by appending StoreInstallStarted to the empty
// "store" stream, then appends AdminEmailReserved, AdminCreated and
// StoreInstalled. Of racing installers only the one whose claim lands goes
// on. The others get a Conflict error with code "already_installed" and
// append nothing, as does an install after the store is installed.
//
// An installation that stopped after its claim is completed by installing
// again with the claim's email and password. Another password for that
// email is a Conflict with code "admin_email_taken", and another email a
// Conflict with code "already_installed". Neither appends anything.
func (s *Service) Install(ctx context.Context, cmd Install) (eventstore.AppendResult, error) {
	cmd.StoreName = strings.TrimSpace(cmd.StoreName)
	cmd.AdminEmail = domain.NormalizeEmail(cmd.AdminEmail)
	if err := apperr.Validate(cmd); err != nil {
		return eventstore.AppendResult{}, err
	}
	if installed, err := s.IsInstalled(ctx); err != nil || installed {
		return eventstore.AppendResult{}, errOr(err, errAlreadyInstalled())
	}
	store, expected, err := s.loadStore(ctx)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	switch {
	case store.Installed:
		return eventstore.AppendResult{}, errAlreadyInstalled()
	case store.Started != nil:
		return s.resumeInstall(ctx, cmd, *store.Started, expected)
	}

	adminID, hash, err := s.chooseAdmin(ctx, cmd)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	started, err := store.StartInstall(cmd.StoreName, adminID, cmd.AdminEmail, hash)
	if err != nil {
		return eventstore.AppendResult{}, errAlreadyInstalled()
	}
	claimed, err := s.repo.Append(ctx, domain.StoreStream, eventstore.NoStream(), started)
	if errors.Is(err, esrepo.ErrConflict) {
		// Another installer claimed the store first.
		return eventstore.AppendResult{}, errAlreadyInstalled()
	}
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("claim store installation: %w", err)
	}
	return s.completeInstall(ctx, cmd.StoreName, started, eventstore.Exact(claimed.NextRevision))
}

// chooseAdmin returns the id and password hash of the admin to install.
// An email reserved by an installation that stopped before the claim
// existed (an older version of Install) keeps its admin id, and keeps its
// admin when the password matches. Another password is a Conflict with
// code "admin_email_taken".
func (s *Service) chooseAdmin(ctx context.Context, cmd Install) (string, string, error) {
	adminID, err := s.loadReservation(ctx, cmd.AdminEmail)
	if err != nil {
		return "", "", err
	}
	if adminID != "" {
		admin, err := s.loadAdmin(ctx, adminID)
		if err != nil {
			return "", "", err
		}
		if admin.Exists() {
			if err := s.checkPassword(adminID, admin.PasswordHash, cmd.AdminPassword); err != nil {
				return "", "", err
			}
			return adminID, admin.PasswordHash, nil
		}
	} else {
		adminID = uuid.NewString()
	}
	hash, err := domain.HashPassword(cmd.AdminPassword, s.passwordParams)
	if err != nil {
		return "", "", fmt.Errorf("hash admin password: %w", err)
	}
	return adminID, hash, nil
}

// resumeInstall completes the installation claimed by started when cmd
// names its email and password.
func (s *Service) resumeInstall(
	ctx context.Context,
	cmd Install,
	started domain.StoreInstallStarted,
	expected eventstore.ExpectedRevision,
) (eventstore.AppendResult, error) {
	if started.AdminEmail != cmd.AdminEmail {
		return eventstore.AppendResult{}, apperr.Conflict("already_installed",
			"the store is being installed with another admin_email. To finish an interrupted installation, run the installer again with that email and password.")
	}
	if err := s.checkPassword(started.AdminID, started.PasswordHash, cmd.AdminPassword); err != nil {
		return eventstore.AppendResult{}, err
	}
	return s.completeInstall(ctx, cmd.StoreName, started, expected)
}

// checkPassword returns nil when password matches hash, the stored hash
// of the admin with adminID, and a Conflict with code "admin_email_taken"
// otherwise.
func (s *Service) checkPassword(adminID, hash, password string) error {
	matches, err := domain.VerifyPassword(hash, password)
	if err != nil {
		return fmt.Errorf("verify password of admin %s: %w", adminID, err)
	}
	if !matches {
		return &apperr.Error{
			Kind:    apperr.KindConflict,
			Code:    "admin_email_taken",
			Field:   "admin_email",
			Message: "admin_email belongs to an unfinished installation with another password; use that password or another address",
		}
	}
	return nil
}

// completeInstall appends what the claim started still lacks: the email
// reservation, the admin and StoreInstalled at expected. Each step finds
// the work of an earlier or racing run of the same installation done and
// goes on, so at most one StoreInstalled is appended.
func (s *Service) completeInstall(
	ctx context.Context,
	storeName string,
	started domain.StoreInstallStarted,
	expected eventstore.ExpectedRevision,
) (eventstore.AppendResult, error) {
	if err := s.reserveEmail(ctx, started.AdminID, started.AdminEmail); err != nil {
		return eventstore.AppendResult{}, err
	}
	if err := s.createAdmin(ctx, started.AdminID, started.AdminEmail, started.PasswordHash); err != nil {
		return eventstore.AppendResult{}, err
	}
	event := domain.StoreInstalled{StoreName: storeName, AdminID: started.AdminID, AdminEmail: started.AdminEmail}
	result, err := s.repo.Append(ctx, domain.StoreStream, expected, event)
	if errors.Is(err, esrepo.ErrConflict) {
		return eventstore.AppendResult{}, errAlreadyInstalled()
	}
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("install store: %w", err)
	}
	s.logger.Info().Str("admin_id", started.AdminID).Msg("store installed")
	return result, nil
}

func (s *Service) reserveEmail(ctx context.Context, adminID, email string) error {
	_, err := s.repo.Append(ctx, domain.AdminEmailStream(email), eventstore.NoStream(),
		domain.AdminEmailReserved{AdminID: adminID, Email: email})
	if !errors.Is(err, esrepo.ErrConflict) {
		if err != nil {
			return fmt.Errorf("reserve admin email: %w", err)
		}
		return nil
	}
	reservedBy, err := s.loadReservation(ctx, email)
	if err != nil {
		return err
	}
	if reservedBy != adminID {
		return fmt.Errorf("reserve admin email for admin %s: reserved by admin %s", adminID, reservedBy)
	}
	return nil
}

func (s *Service) createAdmin(ctx context.Context, adminID, email, hash string) error {
	_, err := s.repo.Append(ctx, domain.AdminStream(adminID), eventstore.NoStream(),
		domain.AdminCreated{AdminID: adminID, Email: email, PasswordHash: hash})
	if errors.Is(err, esrepo.ErrConflict) {
		// An earlier or racing run of this installation created it.
		return nil
	}
	if err != nil {
		return fmt.Errorf("create admin %s: %w", adminID, err)
	}
	return nil
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
