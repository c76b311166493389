package app

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/redis/go-redis/v9"

	"esimscan/backend/internal/accounts/domain"
	"esimscan/backend/internal/platform/apperr"
)

// Failed sign-in throttle: after MaxLoginAttempts attempts for one email
// without a success, further attempts are rejected until the window that
// began with the first of them ends. A success clears the count.
const (
	MaxLoginAttempts   = 10
	LoginAttemptWindow = 15 * time.Minute
)

// maxPasswordBytes bounds the password a sign-in hashes, so that a huge
// body cannot buy extra hashing work.
const maxPasswordBytes = 1024

// ErrTooManyAttempts is wrapped by the error Login returns while an email
// is throttled.
var ErrTooManyAttempts = errors.New("too many failed sign-in attempts")

// countAttempt increments an email's attempt counter and starts its window
// on the first attempt, atomically, so the key can never outlive it.
var countAttempt = redis.NewScript(`
local attempts = redis.call("INCR", KEYS[1])
if attempts == 1 or redis.call("PTTL", KEYS[1]) < 0 then
  redis.call("PEXPIRE", KEYS[1], ARGV[1])
end
return attempts
`)

// Login checks an admin's email and password and opens a session. Unknown
// emails and wrong passwords return the same Unauthorized error with code
// "invalid_credentials", after the same hashing work. Each attempt counts
// against the email's throttle before the password is checked, so parallel
// guesses cannot exceed it. Over MaxLoginAttempts the error wraps
// ErrTooManyAttempts and has code "too_many_attempts". Only the admin named
// in StoreInstalled can sign in, which excludes the admin that the loser of
// an Install race may have created.
func (s *Service) Login(ctx context.Context, email, password string) (Session, error) {
	email = domain.NormalizeEmail(email)
	if email == "" || password == "" || len(password) > maxPasswordBytes {
		return Session{}, errInvalidCredentials()
	}
	if err := s.countLoginAttempt(ctx, email); err != nil {
		return Session{}, err
	}

	admin, err := s.adminByEmail(ctx, email)
	if err != nil {
		return Session{}, err
	}
	if !admin.Exists() {
		s.spendHashing(password)
		s.logger.Info().Str("email_key", domain.EmailKey(email)).Msg("admin sign-in rejected")
		return Session{}, errInvalidCredentials()
	}
	matches, err := domain.VerifyPassword(admin.PasswordHash, password)
	if err != nil {
		return Session{}, fmt.Errorf("verify password of admin %s: %w", admin.ID, err)
	}
	if !matches {
		s.logger.Info().Str("admin_id", admin.ID).Msg("admin sign-in rejected")
		return Session{}, errInvalidCredentials()
	}

	if err := s.redis.Del(ctx, attemptsKey(email)).Err(); err != nil {
		return Session{}, fmt.Errorf("reset sign-in attempts: %w", err)
	}
	session, err := s.openSession(ctx, admin)
	if err != nil {
		return Session{}, err
	}
	s.logger.Info().Str("admin_id", admin.ID).Msg("admin signed in")
	return session, nil
}

func (s *Service) countLoginAttempt(ctx context.Context, email string) error {
	key := attemptsKey(email)
	attempts, err := countAttempt.Run(ctx, s.redis, []string{key}, LoginAttemptWindow.Milliseconds()).Int64()
	if err != nil {
		return fmt.Errorf("count sign-in attempt: %w", err)
	}
	if attempts <= MaxLoginAttempts {
		return nil
	}
	wait, err := s.redis.PTTL(ctx, key).Result()
	if err != nil || wait < 0 {
		wait = LoginAttemptWindow
	}
	minutes := int(math.Ceil(wait.Minutes()))
	s.logger.Warn().Str("email_key", domain.EmailKey(email)).Int64("attempts", attempts).Msg("admin sign-in throttled")
	return &apperr.Error{
		Kind:    apperr.KindTooManyRequests,
		Code:    "too_many_attempts",
		Message: fmt.Sprintf("too many failed sign-in attempts for this email; try again in %d minutes", minutes),
		Err:     ErrTooManyAttempts,
	}
}

// adminByEmail returns the installed store's admin with email, or a zero
// Admin when there is none.
func (s *Service) adminByEmail(ctx context.Context, email string) (domain.Admin, error) {
	store, err := s.store(ctx)
	if err != nil || !store.Installed {
		return domain.Admin{}, err
	}
	adminID, err := s.loadReservation(ctx, email)
	if err != nil || adminID != store.AdminID {
		return domain.Admin{}, err
	}
	return s.loadAdmin(ctx, adminID)
}

// spendHashing verifies password against a hash of a random password with
// the current parameters, so an unknown email costs what a known one does.
func (s *Service) spendHashing(password string) {
	s.dummyOnce.Do(func() {
		hash, err := domain.HashPassword(randomToken(), s.passwordParams)
		if err != nil {
			s.logger.Error().Err(err).Msg("hash placeholder password")
		}
		s.dummyHash = hash
	})
	_, _ = domain.VerifyPassword(s.dummyHash, password)
}

func attemptsKey(email string) string { return "loginattempts:" + domain.EmailKey(email) }

func errInvalidCredentials() error {
	return &apperr.Error{Kind: apperr.KindUnauthorized, Code: "invalid_credentials", Message: "invalid email or password"}
}
