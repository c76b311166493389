package airalo

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strconv"
	"time"
)

// serveToken issues a bearer token for client credentials sent as form
// fields, with Airalo's responses: 422 naming the field for a missing or
// unknown client_id or grant_type, 401 for a wrong secret, and 429 beyond
// TokenRequestsPerMinute.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeInvalid(w, "client_id", "The client id field is required.")
		return
	}
	if retryAfter, limited := s.takeTokenRequest(); limited {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "Too Many Attempts."})
		return
	}
	clientID := r.PostForm.Get("client_id")
	switch {
	case r.PostForm.Get("grant_type") != "client_credentials":
		writeInvalid(w, "grant_type", "The selected grant type is invalid.")
		return
	case clientID == "":
		writeInvalid(w, "client_id", "The client id field is required.")
		return
	case !hmac.Equal([]byte(clientID), []byte(s.opts.ClientID)):
		writeInvalid(w, "client_id", "The selected client id is invalid.")
		return
	case !hmac.Equal([]byte(r.PostForm.Get("client_secret")), []byte(s.opts.ClientSecret)):
		writeJSON(w, http.StatusUnauthorized, metaBody("Client authentication failed"))
		return
	}

	token := newAccessToken()
	s.mu.Lock()
	s.tokens[token] = s.opts.Now().Add(s.opts.TokenLifetime)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"data": map[string]any{
			"token_type":   "Bearer",
			"expires_in":   int64(s.opts.TokenLifetime / time.Second),
			"access_token": token,
		},
		"meta": map[string]string{"message": "success"},
	})
}

// takeTokenRequest counts a token request against the per-minute limit and
// returns the seconds to wait when the limit is reached.
func (s *Server) takeTokenRequest() (int, bool) {
	limit := s.opts.TokenRequestsPerMinute
	if limit <= 0 {
		return 0, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	cutoff := now.Add(-time.Minute)
	recent := s.tokenRequests[:0]
	for _, at := range s.tokenRequests {
		if at.After(cutoff) {
			recent = append(recent, at)
		}
	}
	s.tokenRequests = recent
	if len(recent) >= limit {
		wait := recent[0].Add(time.Minute).Sub(now)
		return max(int((wait+time.Second-1)/time.Second), 1), true
	}
	s.tokenRequests = append(s.tokenRequests, now)
	return 0, false
}

// RevokeTokens invalidates every issued token, as when Airalo rotates the
// partner's credentials, and returns how many there were.
func (s *Server) RevokeTokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	revoked := len(s.tokens)
	s.tokens = map[string]time.Time{}
	return revoked
}

// newAccessToken returns a random opaque token in the shape of a JWT.
func newAccessToken() string {
	var random [32]byte
	_, _ = rand.Read(random[:])
	encoding := base64.RawURLEncoding
	return encoding.EncodeToString([]byte(`{"typ":"JWT","alg":"none"}`)) + "." +
		encoding.EncodeToString(random[:16]) + "." + encoding.EncodeToString(random[16:])
}
