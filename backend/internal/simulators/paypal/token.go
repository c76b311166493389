package paypal

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"time"
)

type tokenResponse struct {
	Scope       string `json:"scope"`
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	AppID       string `json:"app_id"`
	ExpiresIn   int64  `json:"expires_in"`
	Nonce       string `json:"nonce"`
}

// serveToken issues an access token for Basic auth with the configured
// client id and secret and grant_type=client_credentials.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.tokenCalls++
	s.mu.Unlock()

	id, secret, ok := r.BasicAuth()
	if !ok || id != s.opts.ClientID || secret != s.opts.ClientSecret || s.opts.ClientID == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]string{
			"error":             "invalid_client",
			"error_description": "Client Authentication failed",
		})
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{
			"error":             "unsupported_grant_type",
			"error_description": "Grant Type is NULL or not supported",
		})
		return
	}

	raw := make([]byte, 24)
	_, _ = rand.Read(raw)
	token := "A21AA" + hex.EncodeToString(raw)
	s.mu.Lock()
	s.tokens[token] = time.Now().Add(s.opts.TokenLifetime)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, tokenResponse{
		Scope:       "https://uri.paypal.com/services/payments/payment",
		AccessToken: token,
		TokenType:   "Bearer",
		AppID:       "APP-SIMULATOR",
		ExpiresIn:   int64(s.opts.TokenLifetime / time.Second),
		Nonce:       time.Now().UTC().Format(time.RFC3339),
	})
}
