package airalo

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
)

// Token lifetime handling. Airalo documents a lifetime of 24 hours, while
// its example response carries 366 days, so the cache keeps a token for at
// most 24 hours and refreshes it a little before the end.
const (
	maxTokenLifetime     = 24 * time.Hour
	defaultTokenLifetime = 24 * time.Hour // when expires_in is absent
	maxRefreshMargin     = 5 * time.Minute
)

// tokenCache holds one access token and at most one token request in
// flight. Airalo allows only a few token requests per minute, so the token
// is shared by every call of the Client.
type tokenCache struct {
	mu     sync.Mutex
	token  string
	expiry time.Time // refresh at or after this time
	flight *tokenFlight
}

// tokenFlight is a token request that concurrent callers wait for.
type tokenFlight struct {
	done  chan struct{}
	token string
	err   error
}

// accessToken returns the cached token or fetches a new one. rejected, when
// not empty, is a token the provider has just refused with 401: it is
// dropped, and callers that saw it rejected share one new token request.
func (c *Client) accessToken(ctx context.Context, rejected string) (string, error) {
	c.tokens.mu.Lock()
	if rejected != "" && c.tokens.token == rejected {
		c.tokens.token = ""
	}
	if c.tokens.token != "" && c.now().Before(c.tokens.expiry) {
		token := c.tokens.token
		c.tokens.mu.Unlock()
		return token, nil
	}
	flight := c.tokens.flight
	if flight == nil {
		flight = &tokenFlight{done: make(chan struct{})}
		c.tokens.flight = flight
		// The request outlives a caller that gives up, so that the callers
		// still waiting get its token. The Doer's deadlines bound it.
		go c.fetchToken(context.WithoutCancel(ctx), flight)
	}
	c.tokens.mu.Unlock()

	select {
	case <-flight.done:
		return flight.token, flight.err
	case <-ctx.Done():
		return "", &adapters.Error{
			Cause:   adapters.CauseTimeout,
			Message: "call cancelled while waiting for an Airalo access token",
			Err:     ctx.Err(),
		}
	}
}

func (c *Client) fetchToken(ctx context.Context, flight *tokenFlight) {
	requestedAt := c.now()
	token, lifetime, err := c.requestToken(ctx)

	c.tokens.mu.Lock()
	if err == nil {
		c.tokens.token = token
		c.tokens.expiry = requestedAt.Add(refreshAfter(lifetime))
		c.doer.Logger.Info().Dur("refresh_after", refreshAfter(lifetime)).Msg("airalo access token obtained")
	}
	flight.token, flight.err = token, err
	c.tokens.flight = nil
	c.tokens.mu.Unlock()
	close(flight.done)
}

// refreshAfter returns how long a token is used: its lifetime capped at 24
// hours, less a tenth of that or five minutes, whichever is shorter.
func refreshAfter(lifetime time.Duration) time.Duration {
	lifetime = min(lifetime, maxTokenLifetime)
	return lifetime - min(lifetime/10, maxRefreshMargin)
}

type tokenBody struct {
	Data *struct {
		TokenType   string  `json:"token_type"`
		ExpiresIn   flexInt `json:"expires_in"` // seconds
		AccessToken string  `json:"access_token"`
	} `json:"data"`
}

// requestToken runs POST /token with the client credentials as form fields
// and returns the token and its lifetime.
func (c *Client) requestToken(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{
		"client_id":     {c.clientID},
		"client_secret": {c.clientSecret},
		"grant_type":    {"client_credentials"},
	}
	body := form.Encode()
	var answer tokenBody
	err := c.doer.Do(ctx, httpx.Call{
		NewRequest: func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+tokenPath, strings.NewReader(body))
			if err != nil {
				return nil, fmt.Errorf("build token request: %w", err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Accept", "application/json")
			return req, nil
		},
		HandleStatus: c.tokenStatus,
		Handle:       func(resp *http.Response) error { return readJSON(resp, "token response", &answer) },
	})
	if err != nil {
		return "", 0, fmt.Errorf("get airalo access token: %w", err)
	}

	data := answer.Data
	switch {
	case data == nil || data.AccessToken == "":
		return "", 0, fmt.Errorf("get airalo access token: %w", badResponse("token response has no data.access_token", nil))
	case data.TokenType != "" && !strings.EqualFold(data.TokenType, "Bearer"):
		return "", 0, fmt.Errorf("get airalo access token: %w",
			badResponse(fmt.Sprintf("token type %q is not Bearer", shorten(data.TokenType)), nil))
	case !data.ExpiresIn.Set:
		return data.AccessToken, defaultTokenLifetime, nil
	case data.ExpiresIn.Value <= 0:
		return "", 0, fmt.Errorf("get airalo access token: %w",
			badResponse(fmt.Sprintf("token expires_in %d is not positive", data.ExpiresIn.Value), nil))
	}
	return data.AccessToken, time.Duration(min(data.ExpiresIn.Value, int64(maxTokenLifetime/time.Second))) * time.Second, nil
}

// tokenStatus classifies a failed token request: 401 is a wrong secret and
// 422 a wrong or missing client id. A 429 without Retry-After is not
// retried, because the token endpoint allows about three requests a minute
// and a quick retry would fail again.
func (c *Client) tokenStatus(resp *http.Response) error {
	label := httpx.Label(resp.Request)
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return &adapters.Error{
			Cause:   adapters.CauseCredentials,
			Message: "rejected credentials: Airalo refused the client secret (HTTP 401, " + label + ")",
		}
	case http.StatusUnprocessableEntity, http.StatusBadRequest:
		detail := c.describeBody(resp)
		return &adapters.Error{
			Cause:   adapters.CauseCredentials,
			Message: fmt.Sprintf("rejected credentials: Airalo refused the client id (HTTP %d, %s)%s", resp.StatusCode, label, detail),
		}
	case http.StatusTooManyRequests:
		if resp.Header.Get("Retry-After") != "" {
			return nil // the Doer waits for Retry-After and retries
		}
		return &adapters.Error{
			Cause: adapters.CauseRateLimited,
			Message: "Airalo token requests are rate limited (HTTP 429, " + label +
				"): Airalo allows a few per minute, try again in a minute",
		}
	}
	return nil
}
