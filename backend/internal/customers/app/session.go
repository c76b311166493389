package app

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/redis/go-redis/v9"

	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/passwords"
	"esimscan/backend/internal/platform/throttle"
)

// Session is a signed-in customer. Token goes in the HttpOnly cookie and
// CSRFToken in the X-CSRF-Token header of state-changing requests. Redis
// keeps only the SHA-256 of Token, as the key.
//
// Generation is the customer's session generation read before the
// password check that opened the session. A session whose generation is
// below the customer's current one no longer authenticates.
type Session struct {
	Token      string    `json:"-"`
	CSRFToken  string    `json:"csrf_token"`
	CustomerID string    `json:"customer_id"`
	ExpiresAt  time.Time `json:"expires_at"`
	Generation int64     `json:"generation"`
}

func sessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "customersession:" + hex.EncodeToString(sum[:])
}

// sessionIndexKey is the set of the session keys of one customer, so that
// erasure and a password reset can end every session of the customer.
func sessionIndexKey(customerID string) string { return "customersessions:" + customerID }

// sessionGenerationKey holds the customer's session generation, a
// counter that revokeSessions increments. The key never expires, because
// a session opened by a sign-in that raced a revocation keeps the older
// generation for its whole lifetime, and a lost counter would let it
// authenticate again.
func sessionGenerationKey(customerID string) string { return "customersessiongen:" + customerID }

// sessionGeneration returns the customer's current session generation,
// 0 before the first revocation.
func (s *Service) sessionGeneration(ctx context.Context, customerID string) (int64, error) {
	generation, err := s.redis.Get(ctx, sessionGenerationKey(customerID)).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read session generation of customer %s: %w", customerID, err)
	}
	return generation, nil
}

// revokeSessions ends every session of the customer. It first increments
// the session generation, so that a sign-in whose password check was
// running meanwhile opens a session that never authenticates, then
// deletes the stored sessions.
func (s *Service) revokeSessions(ctx context.Context, customerID string) error {
	if err := s.redis.Incr(ctx, sessionGenerationKey(customerID)).Err(); err != nil {
		return fmt.Errorf("advance session generation of customer %s: %w", customerID, err)
	}
	index := sessionIndexKey(customerID)
	keys, err := s.redis.SMembers(ctx, index).Result()
	if err != nil {
		return fmt.Errorf("list sessions of customer %s: %w", customerID, err)
	}
	if err := s.redis.Del(ctx, append(keys, index)...).Err(); err != nil {
		return fmt.Errorf("end sessions of customer %s: %w", customerID, err)
	}
	return nil
}

// Login checks a customer's email and password and opens a session.
// Unknown emails, erased customers and wrong passwords return the same
// Unauthorized error after the same hashing work. An unverified email is
// a Forbidden error with code "email_not_verified".
func (s *Service) Login(ctx context.Context, email, password string) (Session, error) {
	return s.LoginFrom(ctx, email, password, "")
}

// LoginFrom is Login for a client at clientIP. Wrong passwords and
// unknown emails count as failures against LoginLimits per email and
// address, and an attempt in progress holds a place under them, so
// parallel guesses cannot exceed them. A throttled attempt is a
// TooManyRequests error with code "too_many_attempts". A successful
// sign-in clears the address's failures and counts nothing. An email that
// breaks the rules of Register is an Invalid error naming "email".
func (s *Service) LoginFrom(ctx context.Context, email, password, clientIP string) (Session, error) {
	email = NormalizeEmail(email)
	if email == "" || password == "" || len(password) > maxPasswordBytes {
		return Session{}, errInvalidCredentials()
	}
	if err := apperr.Validate(emailField{Email: email}); err != nil {
		return Session{}, err
	}
	account := hashToken(email)[:32]
	attempt, wait, err := throttle.Begin(ctx, s.redis, loginAttemptsPrefix, account, clientIP, LoginLimits)
	if err != nil {
		return Session{}, err
	}
	if attempt == nil {
		s.logger.Warn().Str("client_key", throttle.AddressKey(clientIP)).Dur("retry_after", wait).Msg("customer sign-in throttled")
		return Session{}, &apperr.Error{
			Kind: apperr.KindTooManyRequests, Code: "too_many_attempts", RetryAfter: wait,
			Message: fmt.Sprintf("too many failed sign-in attempts for this email. Try again in %d minutes.", int(math.Ceil(wait.Minutes()))),
		}
	}
	session, err := s.checkLogin(ctx, email, password)
	if finishErr := finishAttempt(ctx, attempt, err); finishErr != nil {
		return Session{}, errors.Join(err, finishErr)
	}
	return session, err
}

// finishAttempt ends a sign-in attempt by its outcome: a success clears
// the address's failures, wrong credentials count as a failure, and any
// other error, such as an unverified email or a server fault, counts
// nothing.
func finishAttempt(ctx context.Context, attempt *throttle.Attempt, loginErr error) error {
	if loginErr == nil {
		return attempt.Succeed(ctx)
	}
	if appErr, ok := apperr.As(loginErr); ok && appErr.Code == "invalid_credentials" {
		return attempt.Fail(ctx)
	}
	return attempt.Abandon(ctx)
}

// LoginLimits bound failed customer sign-ins like the admin's.
var LoginLimits = throttle.Limits{Window: 15 * time.Minute, PerClient: 10, PerAccount: 100}

const loginAttemptsPrefix = "customerloginattempts"

func (s *Service) checkLogin(ctx context.Context, email, password string) (Session, error) {
	customerID, err := s.customerByEmail(ctx, email)
	if err != nil {
		return Session{}, err
	}
	if customerID != "" {
		// The generation is read before the customer's state. An erasure or
		// a password reset appends first and then advances the generation,
		// so a check that read the state from before either one opens a
		// session with an outdated generation.
		generation, err := s.sessionGeneration(ctx, customerID)
		if err != nil {
			return Session{}, err
		}
		key, _, err := s.dataKey(ctx, customerID)
		if err != nil {
			return Session{}, err
		}
		customer, _, err := s.loadCustomer(ctx, customerID)
		if err != nil {
			return Session{}, err
		}
		if key != nil && customer.Exists() {
			matches, err := passwords.VerifyPassword(customer.PasswordHash, password)
			if err != nil {
				return Session{}, fmt.Errorf("verify password of customer %s: %w", customerID, err)
			}
			if !matches {
				return Session{}, errInvalidCredentials()
			}
			if !customer.Verified {
				return Session{}, &apperr.Error{Kind: apperr.KindForbidden, Code: "email_not_verified",
					Message: "confirm your email address with the link we sent before signing in"}
			}
			if s.passwordChecked != nil {
				s.passwordChecked(customerID)
			}
			return s.openSession(ctx, customerID, generation)
		}
	}
	s.spendHashing(password)
	return Session{}, errInvalidCredentials()
}

func (s *Service) spendHashing(password string) {
	s.dummyOnce.Do(func() {
		s.dummyHash, _ = passwords.HashPassword(base64.RawURLEncoding.EncodeToString(randomBytes(32)), s.passwordParams)
	})
	_, _ = passwords.VerifyPassword(s.dummyHash, password)
}

func (s *Service) openSession(ctx context.Context, customerID string, generation int64) (Session, error) {
	session := Session{
		Token:      base64.RawURLEncoding.EncodeToString(randomBytes(32)),
		CSRFToken:  base64.RawURLEncoding.EncodeToString(randomBytes(32)),
		CustomerID: customerID,
		ExpiresAt:  s.now().Add(s.sessionTTL).UTC(),
		Generation: generation,
	}
	value, err := json.Marshal(session)
	if err != nil {
		return Session{}, fmt.Errorf("encode customer session: %w", err)
	}
	index := sessionIndexKey(customerID)
	_, err = s.redis.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		tx.Set(ctx, sessionKey(session.Token), value, s.sessionTTL)
		tx.SAdd(ctx, index, sessionKey(session.Token))
		tx.Expire(ctx, index, s.sessionTTL)
		return nil
	})
	if err != nil {
		return Session{}, fmt.Errorf("store session of customer %s: %w", customerID, err)
	}
	s.logger.Info().Str("customer_id", customerID).Msg("customer signed in")
	return session, nil
}

// Authenticate returns the session of token. A missing, unknown or
// expired token, or one whose sessions were revoked by an erasure or a
// password reset, is an Unauthorized error with code "unauthenticated".
func (s *Service) Authenticate(ctx context.Context, token string) (Session, error) {
	if token == "" {
		return Session{}, errUnauthenticated()
	}
	value, err := s.redis.Get(ctx, sessionKey(token)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Session{}, errUnauthenticated()
	}
	if err != nil {
		return Session{}, fmt.Errorf("read customer session: %w", err)
	}
	var session Session
	if err := json.Unmarshal(value, &session); err != nil {
		return Session{}, fmt.Errorf("decode customer session: %w", err)
	}
	if !s.now().Before(session.ExpiresAt) {
		return Session{}, errUnauthenticated()
	}
	current, err := s.sessionGeneration(ctx, session.CustomerID)
	if err != nil {
		return Session{}, err
	}
	if session.Generation < current {
		// A sign-in that raced a revocation opened this session, so it is
		// deleted for good.
		if err := s.redis.Del(ctx, sessionKey(token)).Err(); err != nil {
			s.logger.Warn().Err(err).Str("customer_id", session.CustomerID).Msg("delete revoked customer session failed")
		}
		return Session{}, errUnauthenticated()
	}
	session.Token = token
	return session, nil
}

// CheckCSRF compares header with the session's CSRF token in constant
// time. A mismatch is a Forbidden error with code "csrf_token_invalid".
func (s *Service) CheckCSRF(session Session, header string) error {
	if header == "" || subtle.ConstantTimeCompare([]byte(header), []byte(session.CSRFToken)) != 1 {
		return &apperr.Error{Kind: apperr.KindForbidden, Code: "csrf_token_invalid", Message: "missing or invalid X-CSRF-Token header"}
	}
	return nil
}

// Logout ends the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	if err := s.redis.Del(ctx, sessionKey(token)).Err(); err != nil {
		return fmt.Errorf("delete customer session: %w", err)
	}
	return nil
}

func errInvalidCredentials() error {
	return &apperr.Error{Kind: apperr.KindUnauthorized, Code: "invalid_credentials", Message: "invalid email or password"}
}

func errUnauthenticated() error {
	return &apperr.Error{Kind: apperr.KindUnauthorized, Code: "unauthenticated", Message: "sign in first"}
}
