package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"esimscan/backend/internal/accounts/domain"
	"esimscan/backend/internal/platform/apperr"
)

// Failed sign-in throttle. Attempts count per email and client address,
// so that guesses from one address cannot lock the admin out everywhere:
// after MaxLoginAttempts attempts for one email from one address, that
// address is rejected for the email until the window that began with the
// first of them ends. MaxLoginAttemptsPerEmail bounds the attempts for one
// email from all addresses together in the same way, against guessing
// from many addresses. A rejected attempt counts against neither limit, and
// a success clears its address's count.
const (
	MaxLoginAttempts         = 10
	MaxLoginAttemptsPerEmail = 100
	LoginAttemptWindow       = 15 * time.Minute
)

// maxPasswordBytes bounds the password a sign-in hashes, so that a huge
// body cannot buy extra hashing work.
const maxPasswordBytes = 1024

// ErrTooManyAttempts is wrapped by the error Login returns while an email
// is throttled. errors.As with *TooManyAttemptsError gives the wait.
var ErrTooManyAttempts = errors.New("too many failed sign-in attempts")

// TooManyAttemptsError is wrapped by the error Login returns while an
// email is throttled for the client. RetryAfter is the time until an
// attempt is accepted again. The HTTP layer sends it as Retry-After.
type TooManyAttemptsError struct {
	RetryAfter time.Duration
}

func (e *TooManyAttemptsError) Error() string { return ErrTooManyAttempts.Error() }

// Is makes errors.Is(err, ErrTooManyAttempts) hold.
func (e *TooManyAttemptsError) Is(target error) bool { return target == ErrTooManyAttempts }

// RetryAfterSeconds returns RetryAfter in whole seconds, rounded up, and
// at least 1: the value of a Retry-After header.
func (e *TooManyAttemptsError) RetryAfterSeconds() int {
	return max(1, int(math.Ceil(e.RetryAfter.Seconds())))
}

// countAttempt counts a sign-in attempt against the keys KEYS[1] (email
// and client address) and KEYS[2] (email), atomically. ARGV contains the
// window in milliseconds and the two limits. When either count reached its
// limit it counts nothing and returns the milliseconds until that key
// expires. Otherwise it counts the attempt on both keys, starting each
// key's window on its first attempt so a key never outlives its window,
// and returns 0.
var countAttempt = redis.NewScript(`
local limits = {tonumber(ARGV[2]), tonumber(ARGV[3])}
for i = 1, 2 do
  local attempts = tonumber(redis.call("GET", KEYS[i]) or "0")
  if attempts >= limits[i] then
    local wait = redis.call("PTTL", KEYS[i])
    if wait <= 0 then
      wait = tonumber(ARGV[1])
    end
    return wait
  end
end
for i = 1, 2 do
  local attempts = redis.call("INCR", KEYS[i])
  if attempts == 1 or redis.call("PTTL", KEYS[i]) < 0 then
    redis.call("PEXPIRE", KEYS[i], ARGV[1])
  end
end
return 0
`)

// Login is LoginFrom with an unknown client address: every such caller
// shares one per-address count.
func (s *Service) Login(ctx context.Context, email, password string) (Session, error) {
	return s.LoginFrom(ctx, email, password, "")
}

// LoginFrom checks an admin's email and password and opens a session.
// clientIP is the caller's address, which the throttle counts attempts by.
// NOTE: behind a reverse proxy, clientIP must be the client's address from
// the proxy's header, or all clients share the proxy's count.
// Unknown emails and wrong passwords return the same Unauthorized error
// with code "invalid_credentials", after the same hashing work. Each
// attempt counts against the throttle before the password is checked, so
// parallel guesses cannot exceed it. A throttled attempt gets a
// TooManyRequests error with code "too_many_attempts" that wraps a
// *TooManyAttemptsError (and so ErrTooManyAttempts). Only the admin named
// in StoreInstalled can sign in.
func (s *Service) LoginFrom(ctx context.Context, email, password, clientIP string) (Session, error) {
	email = domain.NormalizeEmail(email)
	if email == "" || password == "" || len(password) > maxPasswordBytes {
		return Session{}, errInvalidCredentials()
	}
	if err := s.countLoginAttempt(ctx, email, clientIP); err != nil {
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

	if err := s.redis.Del(ctx, clientAttemptsKey(email, clientIP)).Err(); err != nil {
		return Session{}, fmt.Errorf("reset sign-in attempts: %w", err)
	}
	session, err := s.openSession(ctx, admin)
	if err != nil {
		return Session{}, err
	}
	s.logger.Info().Str("admin_id", admin.ID).Msg("admin signed in")
	return session, nil
}

func (s *Service) countLoginAttempt(ctx context.Context, email, clientIP string) error {
	keys := []string{clientAttemptsKey(email, clientIP), attemptsKey(email)}
	waitMillis, err := countAttempt.Run(ctx, s.redis, keys,
		LoginAttemptWindow.Milliseconds(), MaxLoginAttempts, MaxLoginAttemptsPerEmail).Int64()
	if err != nil {
		return fmt.Errorf("count sign-in attempt: %w", err)
	}
	if waitMillis <= 0 {
		return nil
	}
	wait := time.Duration(waitMillis) * time.Millisecond
	minutes := int(math.Ceil(wait.Minutes()))
	s.logger.Warn().Str("email_key", domain.EmailKey(email)).Str("client_key", clientKey(clientIP)).
		Dur("retry_after", wait).Msg("admin sign-in throttled")
	return &apperr.Error{
		Kind:    apperr.KindTooManyRequests,
		Code:    "too_many_attempts",
		Message: fmt.Sprintf("too many failed sign-in attempts for this email. Try again in %d minutes.", minutes),
		Err:     &TooManyAttemptsError{RetryAfter: wait},
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

// attemptsKey is the Redis key counting one email's attempts from all
// addresses. The braces keep both keys of one email in one Redis Cluster
// slot, as the script that counts them needs.
func attemptsKey(email string) string { return "loginattempts:{" + domain.EmailKey(email) + "}" }

// clientAttemptsKey is the Redis key counting one email's attempts from
// one client address.
func clientAttemptsKey(email, clientIP string) string {
	return attemptsKey(email) + ":" + clientKey(clientIP)
}

// clientKey names a client address in keys and logs without the address
// itself: the first 16 hex digits of its SHA-256.
func clientKey(clientIP string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(clientIP)))
	return hex.EncodeToString(sum[:])[:16]
}

func errInvalidCredentials() error {
	return &apperr.Error{Kind: apperr.KindUnauthorized, Code: "invalid_credentials", Message: "invalid email or password"}
}
