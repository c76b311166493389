package paypal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
)

// APIError is PayPal's error body of a 4xx response, kept as the Err of the
// *adapters.Error a call returns.
type APIError struct {
	Status  int
	Name    string // such as UNPROCESSABLE_ENTITY
	Issues  []string
	DebugID string
}

func (e *APIError) Error() string {
	text := fmt.Sprintf("HTTP %d %s", e.Status, e.Name)
	if len(e.Issues) > 0 {
		text += " " + strings.Join(e.Issues, ", ")
	}
	if e.DebugID != "" {
		text += " (debug id " + e.DebugID + ")"
	}
	return text
}

// HasIssue reports whether PayPal named issue, such as
// ORDER_ALREADY_CAPTURED, in the error details.
func (e *APIError) HasIssue(issue string) bool {
	for _, i := range e.Issues {
		if i == issue {
			return true
		}
	}
	return false
}

// errTokenRejected marks a 401 response to a call with a bearer token.
var errTokenRejected = errors.New("access token rejected")

// request is one authenticated call to the PayPal API.
type request struct {
	method    string
	path      string
	requestID string // PayPal-Request-Id; PayPal returns the first result to a repeat
	body      []byte // JSON, or nil
	what      string // names the response in errors, as in "order"
	out       any
}

// call runs req with the cached access token. A 401 drops the token, and
// the call runs once more with a new one.
func (g *Gateway) call(ctx context.Context, req request) error {
	token, err := g.accessToken(ctx, "")
	if err != nil {
		return err
	}
	err = g.callWithToken(ctx, req, token)
	if !errors.Is(err, errTokenRejected) {
		return err
	}
	g.doer.Logger.Warn().Str("call", req.method+" "+req.path).Msg("paypal rejected the access token, requesting a new one")
	token, err = g.accessToken(ctx, token)
	if err != nil {
		return err
	}
	return g.callWithToken(ctx, req, token)
}

func (g *Gateway) callWithToken(ctx context.Context, req request, token string) error {
	return g.doer.Do(ctx, httpx.Call{
		NewRequest: func(ctx context.Context) (*http.Request, error) {
			var body io.Reader
			if req.body != nil {
				body = bytes.NewReader(req.body)
			}
			httpReq, err := http.NewRequestWithContext(ctx, req.method, g.base+req.path, body)
			if err != nil {
				return nil, err
			}
			httpReq.Header.Set("Authorization", "Bearer "+token)
			httpReq.Header.Set("Accept", "application/json")
			httpReq.Header.Set("Content-Type", "application/json")
			httpReq.Header.Set("Prefer", "return=representation")
			if req.requestID != "" {
				httpReq.Header.Set("PayPal-Request-Id", req.requestID)
			}
			return httpReq, nil
		},
		HandleStatus: handleStatus,
		Handle: func(resp *http.Response) error {
			data, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
			if err == nil {
				err = json.Unmarshal(data, req.out)
			}
			if err != nil {
				return httpx.BodyError(resp, req.what, err)
			}
			return nil
		},
	})
}

// handleStatus classifies 4xx responses other than 429, keeping PayPal's
// error name and issues. 429 and 5xx fall through to httpx's retries.
func handleStatus(resp *http.Response) error {
	status := resp.StatusCode
	if status == http.StatusTooManyRequests || status >= 500 || status < 400 {
		return nil
	}
	label := httpx.Label(resp.Request)
	apiErr := readAPIError(resp)
	switch status {
	case http.StatusUnauthorized:
		return &adapters.Error{
			Cause:   adapters.CauseCredentials,
			Message: "PayPal rejected the access token (" + label + "): check client_id, client_secret and mode",
			Err:     fmt.Errorf("%w: %w", errTokenRejected, apiErr),
		}
	case http.StatusForbidden:
		return &adapters.Error{
			Cause:   adapters.CauseCredentials,
			Message: "PayPal app is not permitted to make this call (" + label + ")",
			Err:     apiErr,
		}
	case http.StatusNotFound:
		return &adapters.Error{
			Cause:   adapters.CauseNotFound,
			Message: "PayPal has no such resource (" + label + "): check the id and PAYPAL_API_BASE",
			Err:     apiErr,
		}
	}
	return &adapters.Error{
		Cause:   adapters.CauseServerError,
		Message: "PayPal rejected the request (" + label + ")",
		Err:     apiErr,
	}
}

func readAPIError(resp *http.Response) *APIError {
	apiErr := &APIError{Status: resp.StatusCode}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		return apiErr
	}
	var body struct {
		Name    string `json:"name"`
		DebugID string `json:"debug_id"`
		Details []struct {
			Issue string `json:"issue"`
		} `json:"details"`
	}
	if json.Unmarshal(data, &body) != nil {
		return apiErr
	}
	apiErr.Name, apiErr.DebugID = body.Name, body.DebugID
	for _, d := range body.Details {
		apiErr.Issues = append(apiErr.Issues, d.Issue)
	}
	return apiErr
}
