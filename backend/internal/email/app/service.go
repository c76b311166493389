// Package app runs the commands of the email context: saving and testing
// the SMTP settings, sending transactional email for other contexts, and
// the SendESIMEmailOnESIMIssued reaction that emails each issued order its
// eSIMs, retrying failures with backoff.
package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"esimscan/backend/internal/email/domain"
	"esimscan/backend/internal/email/smtp"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/platform/secrets"
)

// Defaults of the delivery retries: the first retry waits RetryDelay, each
// later one twice as long up to MaxRetryDelay, and after MaxAttempts
// failed attempts in a row the order waits for the next start or a resend.
const (
	DefaultRetryDelay    = 30 * time.Second
	DefaultMaxRetryDelay = 30 * time.Minute
	DefaultMaxAttempts   = 8
)

// passwordAssociatedData binds the sealed SMTP password to its field.
const passwordAssociatedData = "smtp:password"

// Sender sends one encoded message through an SMTP server. smtp.Sender
// implements it.
type Sender interface {
	Send(ctx context.Context, server smtp.Server, msg smtp.Encoded) error
}

// Deps are the collaborators of the email service. StoreName appears in
// the subject and greeting of the eSIM email; empty means "esimScan".
type Deps struct {
	Repo          *esrepo.Repository
	Keys          *secrets.Keyring
	Sender        Sender
	Logger        zerolog.Logger
	Now           func() time.Time
	StoreName     string
	RetryDelay    time.Duration
	MaxRetryDelay time.Duration
	MaxAttempts   int
}

// Service runs email commands and the delivery reaction. It is safe for
// concurrent use.
type Service struct {
	repo      *esrepo.Repository
	keys      *secrets.Keyring
	sender    Sender
	logger    zerolog.Logger
	now       func() time.Time
	storeName string
	addresses AddressBook // set by UseAddressBook

	retryDelay    time.Duration
	maxRetryDelay time.Duration
	maxAttempts   int

	mu      sync.Mutex
	running map[string]bool // orders whose delivery loop runs
	again   map[string]bool // orders to check once more when their loop ends
	workers sync.WaitGroup
}

// NewService returns a Service with defaults for zero Deps fields.
func NewService(deps Deps) *Service {
	service := &Service{
		repo:          deps.Repo,
		keys:          deps.Keys,
		sender:        deps.Sender,
		logger:        deps.Logger.With().Str("component", "email").Logger(),
		now:           deps.Now,
		storeName:     deps.StoreName,
		retryDelay:    deps.RetryDelay,
		maxRetryDelay: deps.MaxRetryDelay,
		maxAttempts:   deps.MaxAttempts,
		running:       map[string]bool{},
		again:         map[string]bool{},
	}
	if service.sender == nil {
		service.sender = smtp.Sender{}
	}
	if service.now == nil {
		service.now = time.Now
	}
	if service.storeName == "" {
		service.storeName = "esimScan"
	}
	if service.retryDelay <= 0 {
		service.retryDelay = DefaultRetryDelay
	}
	if service.maxRetryDelay <= 0 {
		service.maxRetryDelay = DefaultMaxRetryDelay
	}
	service.maxRetryDelay = max(service.maxRetryDelay, service.retryDelay)
	if service.maxAttempts <= 0 {
		service.maxAttempts = DefaultMaxAttempts
	}
	return service
}

// Wait blocks until every delivery loop has returned, for tests and
// shutdown. Loops end when the context of the reaction that started them
// ends.
func (s *Service) Wait() { s.workers.Wait() }

// ErrNotConfigured reports a send before any SMTP settings were saved.
var ErrNotConfigured = errors.New("SMTP is not configured: save the SMTP settings first (PUT /api/admin/settings/smtp)")

func (s *Service) loadSettings(ctx context.Context) (domain.Settings, eventstore.ExpectedRevision, error) {
	var settings domain.Settings
	expected, err := s.repo.Load(ctx, domain.SettingsStream, func(event eventstore.RecordedEvent) error {
		return settings.Apply(event.Type, event.Data)
	})
	if err != nil {
		return domain.Settings{}, eventstore.ExpectedRevision{}, fmt.Errorf("load smtp settings: %w", err)
	}
	return settings, expected, nil
}

// server returns the SMTP server of the current settings with the
// password opened, and the From address.
func (s *Service) server(ctx context.Context) (smtp.Server, string, error) {
	settings, _, err := s.loadSettings(ctx)
	if err != nil {
		return smtp.Server{}, "", err
	}
	if !settings.Configured {
		return smtp.Server{}, "", ErrNotConfigured
	}
	current := settings.Current
	server := smtp.Server{
		Host:     current.Host,
		Port:     current.Port,
		Username: current.Username,
		Security: current.Security,
	}
	if current.PasswordSealed != "" {
		password, err := s.keys.Open(current.PasswordSealed, passwordAssociatedData)
		if err != nil {
			return smtp.Server{}, "", fmt.Errorf("open smtp password (re-enter it in the SMTP settings): %w", err)
		}
		server.Password = string(password)
	}
	return server, current.From, nil
}

// send encodes msg with the settings' From address and sends it. It
// returns the Message-ID.
func (s *Service) send(ctx context.Context, msg smtp.Message) (string, error) {
	server, from, err := s.server(ctx)
	if err != nil {
		return "", err
	}
	msg.From = from
	encoded, err := smtp.Encode(msg, s.now())
	if err != nil {
		return "", err
	}
	if err := s.sender.Send(ctx, server, encoded); err != nil {
		return "", err
	}
	return encoded.MessageID, nil
}

// Send sends one transactional email, such as a verification link, to
// to, synchronously. It fails with ErrNotConfigured before SMTP settings
// exist. Nothing is recorded in the log, so the caller retries.
func (s *Service) Send(ctx context.Context, to, subject, text, html string) error {
	_, err := s.send(ctx, smtp.Message{To: to, Subject: subject, Text: text, HTML: html})
	return err
}

func errOrderNotFound() error {
	return apperr.NotFound("order_not_found", "order not found")
}
