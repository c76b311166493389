package paypal

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	paypalsdk "github.com/plutov/paypal/v4"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
)

// tokenRefreshMargin is how long before its expiry a token is replaced,
// the margin github.com/plutov/paypal/v4 uses.
const tokenRefreshMargin = paypalsdk.RequestNewTokenBeforeExpiresIn

// maxBodyBytes bounds the PayPal response bodies read.
const maxBodyBytes = 1 << 20

// tokenCache holds one access token. The mutex is held while a token is
// requested, so concurrent callers share one token request.
type tokenCache struct {
	mu        sync.Mutex
	token     string
	refreshAt time.Time
}

// accessToken returns the cached token or requests a new one. rejected,
// when not empty, is a token PayPal has just refused with 401: it is
// dropped unless another caller has already replaced it.
func (g *Gateway) accessToken(ctx context.Context, rejected string) (string, error) {
	g.tokens.mu.Lock()
	defer g.tokens.mu.Unlock()
	if rejected != "" && g.tokens.token == rejected {
		g.tokens.token = ""
	}
	if g.tokens.token != "" && g.config.Now().Before(g.tokens.refreshAt) {
		return g.tokens.token, nil
	}

	requestedAt := g.config.Now()
	token, lifetime, err := g.requestToken(ctx)
	if err != nil {
		return "", err
	}
	margin := tokenRefreshMargin
	if lifetime <= 2*margin {
		margin = lifetime / 2
	}
	g.tokens.token = token
	g.tokens.refreshAt = requestedAt.Add(lifetime - margin)
	g.doer.Logger.Debug().Dur("lifetime", lifetime).Msg("paypal access token issued")
	return token, nil
}

// requestToken runs the OAuth 2.0 client-credentials grant with Basic auth.
func (g *Gateway) requestToken(ctx context.Context) (string, time.Duration, error) {
	var answer paypalsdk.TokenResponse
	err := g.doer.Do(ctx, httpx.Call{
		NewRequest: func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.base+"/v1/oauth2/token",
				strings.NewReader("grant_type=client_credentials"))
			if err != nil {
				return nil, err
			}
			req.SetBasicAuth(g.config.ClientID, g.config.ClientSecret)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Accept", "application/json")
			return req, nil
		},
		HandleStatus: func(resp *http.Response) error {
			if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusBadRequest {
				return nil
			}
			return &adapters.Error{
				Cause: adapters.CauseCredentials,
				Message: fmt.Sprintf("PayPal rejected the client id or secret (HTTP %d, %s): check client_id, client_secret and mode",
					resp.StatusCode, httpx.Label(resp.Request)),
			}
		},
		Handle: func(resp *http.Response) error {
			body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
			if err == nil {
				err = json.Unmarshal(body, &answer)
			}
			if err != nil {
				return httpx.BodyError(resp, "token response", err)
			}
			if answer.Token == "" || answer.ExpiresIn.ToDuration() <= 0 {
				return &adapters.Error{
					Cause:   adapters.CauseBadResponse,
					Message: "token response without access_token or expires_in (" + httpx.Label(resp.Request) + ")",
				}
			}
			return nil
		},
	})
	if err != nil {
		return "", 0, err
	}
	return answer.Token, answer.ExpiresIn.ToDuration(), nil
}
