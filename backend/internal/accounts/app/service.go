// Package app runs the commands of the accounts context: installing the
// store with its first admin, admin sign-in with throttling, and sessions
// kept in Redis.
package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/accounts/domain"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
)

// DefaultSessionTTL is the lifetime of an admin session when
// Deps.SessionTTL is zero.
const DefaultSessionTTL = 12 * time.Hour

// Deps are the collaborators of the accounts service. SessionTTL is the
// absolute lifetime of a session. PasswordParams are the argon2id costs of
// new password hashes, and the zero value means domain.DefaultPasswordParams.
type Deps struct {
	Repo           *esrepo.Repository
	Redis          redis.UniversalClient
	Logger         zerolog.Logger
	SessionTTL     time.Duration
	Now            func() time.Time
	PasswordParams domain.PasswordParams
}

// Admin is an admin account as other contexts see it.
type Admin struct {
	ID    string
	Email string
}

// Service runs account commands. It is safe for concurrent use.
type Service struct {
	repo           *esrepo.Repository
	redis          redis.UniversalClient
	logger         zerolog.Logger
	sessionTTL     time.Duration
	now            func() time.Time
	passwordParams domain.PasswordParams

	mu        sync.Mutex
	installed *domain.Store // cached once installed, because installation is final

	dummyOnce sync.Once
	dummyHash string
}

// NewService returns a Service with defaults for zero Deps fields.
func NewService(deps Deps) *Service {
	service := &Service{
		repo:           deps.Repo,
		redis:          deps.Redis,
		logger:         deps.Logger.With().Str("component", "accounts").Logger(),
		sessionTTL:     deps.SessionTTL,
		now:            deps.Now,
		passwordParams: deps.PasswordParams,
	}
	if service.sessionTTL <= 0 {
		service.sessionTTL = DefaultSessionTTL
	}
	if service.now == nil {
		service.now = time.Now
	}
	if service.passwordParams == (domain.PasswordParams{}) {
		service.passwordParams = domain.DefaultPasswordParams
	}
	return service
}

// IsInstalled reports whether the store has been installed. A positive
// result is cached, because installation cannot be undone.
func (s *Service) IsInstalled(ctx context.Context) (bool, error) {
	store, err := s.store(ctx)
	if err != nil {
		return false, err
	}
	return store.Installed, nil
}

// store returns the store aggregate, from the cache once installed.
func (s *Service) store(ctx context.Context) (domain.Store, error) {
	s.mu.Lock()
	cached := s.installed
	s.mu.Unlock()
	if cached != nil {
		return *cached, nil
	}
	store, _, err := s.loadStore(ctx)
	if err != nil {
		return domain.Store{}, err
	}
	if store.Installed {
		s.mu.Lock()
		s.installed = &store
		s.mu.Unlock()
	}
	return store, nil
}

func (s *Service) loadStore(ctx context.Context) (domain.Store, eventstore.ExpectedRevision, error) {
	var store domain.Store
	expected, err := s.repo.Load(ctx, domain.StoreStream, func(event eventstore.RecordedEvent) error {
		return store.Apply(event.Type, event.Data)
	})
	if err != nil {
		return domain.Store{}, eventstore.ExpectedRevision{}, fmt.Errorf("load store: %w", err)
	}
	return store, expected, nil
}

func (s *Service) loadAdmin(ctx context.Context, adminID string) (domain.Admin, error) {
	var admin domain.Admin
	_, err := s.repo.Load(ctx, domain.AdminStream(adminID), func(event eventstore.RecordedEvent) error {
		return admin.Apply(event.Type, event.Data)
	})
	if err != nil {
		return domain.Admin{}, fmt.Errorf("load admin %s: %w", adminID, err)
	}
	return admin, nil
}

// loadReservation returns the admin id that reserved email, or "".
func (s *Service) loadReservation(ctx context.Context, email string) (string, error) {
	var reservation domain.EmailReservation
	_, err := s.repo.Load(ctx, domain.AdminEmailStream(email), func(event eventstore.RecordedEvent) error {
		return reservation.Apply(event.Type, event.Data)
	})
	if err != nil {
		return "", fmt.Errorf("load admin email reservation: %w", err)
	}
	return reservation.AdminID, nil
}

// Admin returns the admin with id, or a NotFound error with code
// "admin_not_found".
func (s *Service) Admin(ctx context.Context, id string) (Admin, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Admin{}, errAdminNotFound()
	}
	admin, err := s.loadAdmin(ctx, id)
	if err != nil {
		return Admin{}, err
	}
	if !admin.Exists() {
		return Admin{}, errAdminNotFound()
	}
	return Admin{ID: admin.ID, Email: admin.Email}, nil
}

func errAdminNotFound() error {
	return apperr.NotFound("admin_not_found", "admin not found")
}

// StoreName returns the name given at installation, or "" before it.
func (s *Service) StoreName(ctx context.Context) (string, error) {
	store, err := s.store(ctx)
	if err != nil {
		return "", err
	}
	return store.Name, nil
}
