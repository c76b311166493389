package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"esimscan/backend/internal/accounts/domain"
	"esimscan/backend/internal/platform/apperr"
)

// Session is a signed-in admin. Token goes in the HttpOnly cookie and
// CSRFToken in the X-CSRF-Token header of state-changing requests. Only
// the SHA-256 of Token is stored, as the Redis key.
type Session struct {
	Token     string
	CSRFToken string
	AdminID   string
	Email     string
	ExpiresAt time.Time
}

// storedSession is the Redis value of a session.
type storedSession struct {
	AdminID   string    `json:"admin_id"`
	Email     string    `json:"email"`
	CSRFToken string    `json:"csrf_token"`
	ExpiresAt time.Time `json:"expires_at"`
}

const tokenBytes = 32

// randomToken returns 32 random bytes as unpadded base64url. Since Go 1.24
// crypto/rand.Read never returns an error: it crashes the program rather
// than return weak bytes.
func randomToken() string {
	raw := make([]byte, tokenBytes)
	_, _ = rand.Read(raw)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func sessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "session:" + hex.EncodeToString(sum[:])
}

func (s *Service) openSession(ctx context.Context, admin domain.Admin) (Session, error) {
	session := Session{
		Token:     randomToken(),
		CSRFToken: randomToken(),
		AdminID:   admin.ID,
		Email:     admin.Email,
		ExpiresAt: s.now().Add(s.sessionTTL).UTC(),
	}
	value, err := json.Marshal(storedSession{
		AdminID: session.AdminID, Email: session.Email, CSRFToken: session.CSRFToken, ExpiresAt: session.ExpiresAt,
	})
	if err != nil {
		return Session{}, fmt.Errorf("encode session: %w", err)
	}
	if err := s.redis.Set(ctx, sessionKey(session.Token), value, s.sessionTTL).Err(); err != nil {
		return Session{}, fmt.Errorf("store session of admin %s: %w", admin.ID, err)
	}
	return session, nil
}

// Authenticate returns the session of token. A missing, unknown or expired
// token is an Unauthorized error with code "unauthenticated".
func (s *Service) Authenticate(ctx context.Context, token string) (Session, error) {
	if token == "" {
		return Session{}, errUnauthenticated()
	}
	value, err := s.redis.Get(ctx, sessionKey(token)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Session{}, errUnauthenticated()
	}
	if err != nil {
		return Session{}, fmt.Errorf("read session: %w", err)
	}
	var stored storedSession
	if err := json.Unmarshal(value, &stored); err != nil {
		return Session{}, fmt.Errorf("decode session: %w", err)
	}
	// Redis expires the key. This check also rejects a session that expired
	// by the service's clock before Redis removed it.
	if !s.now().Before(stored.ExpiresAt) {
		return Session{}, errUnauthenticated()
	}
	return Session{
		Token:     token,
		CSRFToken: stored.CSRFToken,
		AdminID:   stored.AdminID,
		Email:     stored.Email,
		ExpiresAt: stored.ExpiresAt,
	}, nil
}

// Logout ends the session of token. Ending a missing session is not an
// error.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	if err := s.redis.Del(ctx, sessionKey(token)).Err(); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// CheckCSRF compares the X-CSRF-Token header with the session's token in
// constant time. A missing or different header is a Forbidden error with
// code "csrf_token_invalid".
func (s *Service) CheckCSRF(session Session, header string) error {
	if header == "" || session.CSRFToken == "" ||
		subtle.ConstantTimeCompare([]byte(header), []byte(session.CSRFToken)) != 1 {
		return &apperr.Error{Kind: apperr.KindForbidden, Code: "csrf_token_invalid", Message: "missing or invalid X-CSRF-Token header"}
	}
	return nil
}

func errUnauthenticated() error {
	return &apperr.Error{Kind: apperr.KindUnauthorized, Code: "unauthenticated", Message: "sign in required: the session is missing or expired"}
}
