package app

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"esimscan/backend/internal/accounts/domain"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/throttle"
)

// Failed sign-in throttle. Failures count per email and client address,
// so that guesses from one address cannot lock the admin out everywhere:
// after MaxLoginAttempts failures for one email from one address, that
// address is rejected for the email until the window that began with the
// first of them ends. MaxLoginAttemptsPerEmail bounds the failures for one
// email from all addresses together in the same way, against guessing
// from many addresses. Successful sign-ins and rejected attempts count
// against neither limit, and a success clears its address's failures.
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

// Login is LoginFrom with an unknown client address: every such caller
// shares one per-address count.
func (s *Service) Login(ctx context.Context, email, password string) (Session, error) {
	return s.LoginFrom(ctx, email, password, "")
}

// LoginFrom checks an admin's email and password and opens a session.
// clientIP is the caller's address, which the throttle counts failures by.
// NOTE: behind a reverse proxy, clientIP must be the client's address from
// the proxy's header, or all clients share the proxy's count.
// Unknown emails and wrong passwords return the same Unauthorized error
// with code "invalid_credentials", after the same hashing work, and count
// as failures. An attempt in progress holds a place under the throttle's
// limits, so parallel guesses cannot exceed them. A throttled attempt gets
// a TooManyRequests error with code "too_many_attempts" that wraps a
// *TooManyAttemptsError (and so ErrTooManyAttempts). Only the admin named
// in StoreInstalled can sign in.
func (s *Service) LoginFrom(ctx context.Context, email, password, clientIP string) (Session, error) {
	email = domain.NormalizeEmail(email)
	if email == "" || password == "" || len(password) > maxPasswordBytes {
		return Session{}, errInvalidCredentials()
	}
	attempt, err := s.beginLoginAttempt(ctx, email, clientIP)
	if err != nil {
		return Session{}, err
	}
	admin, err := s.checkLogin(ctx, email, password)
	if err != nil {
		return Session{}, s.finishFailedAttempt(ctx, attempt, err)
	}
	if err := attempt.Succeed(ctx); err != nil {
		return Session{}, err
	}
	session, err := s.openSession(ctx, admin)
	if err != nil {
		return Session{}, err
	}
	s.logger.Info().Str("admin_id", admin.ID).Msg("admin signed in")
	return session, nil
}

// checkLogin returns the admin whose email and password match, or an
// Unauthorized error with code "invalid_credentials".
func (s *Service) checkLogin(ctx context.Context, email, password string) (domain.Admin, error) {
	admin, err := s.adminByEmail(ctx, email)
	if err != nil {
		return domain.Admin{}, err
	}
	if !admin.Exists() {
		s.spendHashing(password)
		s.logger.Info().Str("email_key", domain.EmailKey(email)).Msg("admin sign-in rejected")
		return domain.Admin{}, errInvalidCredentials()
	}
	matches, err := domain.VerifyPassword(admin.PasswordHash, password)
	if err != nil {
		return domain.Admin{}, fmt.Errorf("verify password of admin %s: %w", admin.ID, err)
	}
	if !matches {
		s.logger.Info().Str("admin_id", admin.ID).Msg("admin sign-in rejected")
		return domain.Admin{}, errInvalidCredentials()
	}
	return admin, nil
}

// finishFailedAttempt counts loginErr as a failure when the credentials
// were wrong, and abandons the attempt uncounted on a server fault. It
// returns loginErr, joined with any error of the throttle.
func (s *Service) finishFailedAttempt(ctx context.Context, attempt *throttle.Attempt, loginErr error) error {
	finish := attempt.Abandon
	if appErr, ok := apperr.As(loginErr); ok && appErr.Code == "invalid_credentials" {
		finish = attempt.Fail
	}
	if err := finish(ctx); err != nil {
		return errors.Join(loginErr, err)
	}
	return loginErr
}

func (s *Service) beginLoginAttempt(ctx context.Context, email, clientIP string) (*throttle.Attempt, error) {
	attempt, wait, err := throttle.Begin(ctx, s.redis, attemptsPrefix, domain.EmailKey(email), clientIP, throttle.Limits{
		Window: LoginAttemptWindow, PerClient: MaxLoginAttempts, PerAccount: MaxLoginAttemptsPerEmail,
	})
	if err != nil {
		return nil, err
	}
	if wait <= 0 {
		return attempt, nil
	}
	minutes := int(math.Ceil(wait.Minutes()))
	s.logger.Warn().Str("email_key", domain.EmailKey(email)).Str("client_key", clientKey(clientIP)).
		Dur("retry_after", wait).Msg("admin sign-in throttled")
	return nil, &apperr.Error{
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

// attemptsPrefix starts the Redis keys of the admin sign-in throttle.
const attemptsPrefix = "loginattempts"

// clientKey names a client address in logs without the address itself.
func clientKey(clientIP string) string { return throttle.AddressKey(clientIP) }

func errInvalidCredentials() error {
	return &apperr.Error{Kind: apperr.KindUnauthorized, Code: "invalid_credentials", Message: "invalid email or password"}
}
