package airalo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
)

// maxResponseBytes bounds every response except the package list, which is
// streamed.
const maxResponseBytes = 4 << 20

// maxErrorBodyBytes bounds the error bodies read for their message.
const maxErrorBodyBytes = 64 << 10

// errTokenRejected marks a 401 on a call made with a bearer token, which
// makes authorized refresh the token once.
var errTokenRejected = errors.New("access token rejected")

// errOutcomeUnknown marks an order call that failed in a way that may have
// left an order behind (HTTP 5xx).
var errOutcomeUnknown = errors.New("order outcome unknown")

// request is one authenticated call.
type request struct {
	method string
	path   string
	query  url.Values
	// body returns a fresh body and its content type for each attempt; nil
	// sends none.
	body func() (io.Reader, string, error)
	// handle reads a 2xx response.
	handle func(resp *http.Response) error
	// handleStatus, when set, receives non-2xx responses before the defaults.
	handleStatus func(resp *http.Response) error
	timeout      time.Duration
}

// authorized runs req with the cached bearer token. A 401 drops the token,
// fetches a new one (one request shared by concurrent callers) and repeats
// the call once, so a revoked token is replaced and a rejected one is not
// retried forever.
func (c *Client) authorized(ctx context.Context, req request) error {
	token, err := c.accessToken(ctx, "")
	if err != nil {
		return err
	}
	err = c.doer.Do(ctx, c.httpCall(req, token))
	if !errors.Is(err, errTokenRejected) {
		return err
	}
	c.doer.Logger.Info().Str("path", req.path).Msg("airalo rejected the access token, fetching a new one")
	token, err = c.accessToken(ctx, token)
	if err != nil {
		return err
	}
	return c.doer.Do(ctx, c.httpCall(req, token))
}

func (c *Client) httpCall(req request, token string) httpx.Call {
	target := c.baseURL + req.path
	if len(req.query) > 0 {
		target += "?" + req.query.Encode()
	}
	return httpx.Call{
		NewRequest: func(ctx context.Context) (*http.Request, error) {
			var body io.Reader
			contentType := ""
			if req.body != nil {
				var err error
				if body, contentType, err = req.body(); err != nil {
					return nil, err
				}
			}
			httpReq, err := http.NewRequestWithContext(ctx, req.method, target, body)
			if err != nil {
				return nil, fmt.Errorf("build request for %s: %w", req.path, err)
			}
			if contentType != "" {
				httpReq.Header.Set("Content-Type", contentType)
			}
			httpReq.Header.Set("Accept", "application/json")
			httpReq.Header.Set("Authorization", "Bearer "+token)
			return httpReq, nil
		},
		Handle: req.handle,
		HandleStatus: func(resp *http.Response) error {
			if req.handleStatus != nil {
				if err := req.handleStatus(resp); err != nil {
					return err
				}
			}
			return c.apiStatus(resp)
		},
		Timeout: req.timeout,
	}
}

// apiStatus classifies the failures that the Doer's defaults do not
// describe well: 401 marks the token as rejected, and 4xx bodies carry
// Airalo's reason (422 validation details, or a numeric business code). A
// business refusal is a CauseRejected, see rejection. Other statuses fall
// back to the defaults.
func (c *Client) apiStatus(resp *http.Response) error {
	label := httpx.Label(resp.Request)
	status := resp.StatusCode
	switch {
	case status == http.StatusUnauthorized:
		return &adapters.Error{
			Cause:   adapters.CauseCredentials,
			Message: "rejected credentials: Airalo refused the access token (HTTP 401, " + label + ")",
			Err:     errTokenRejected,
		}
	case status == http.StatusTooManyRequests, status == http.StatusNotFound, status == http.StatusMethodNotAllowed,
		status == http.StatusGone, status == http.StatusForbidden, status < 400, status >= 500:
		return nil
	}
	body, _ := readErrorBody(resp)
	if rejection, ok := c.rejection(status, label, body); ok {
		return rejection
	}
	return &adapters.Error{
		Cause:   adapters.CauseServerError,
		Message: fmt.Sprintf("Airalo rejected the request (HTTP %d, %s)%s", status, label, c.describe(body)),
	}
}

// errorBody holds the error shapes Airalo sends: validation
// {"data": {field: message}, "meta": {"message"}}, business errors
// {"code", "reason"} and rate limits {"message"}.
//
// NOTE: the body of numeric business errors (11 insufficient credit, 33 out
// of stock) is not published, so {"code", "reason"} is a guess.
type errorBody struct {
	Data    json.RawMessage          `json:"data"`
	Meta    struct{ Message string } `json:"meta"`
	Code    flexString               `json:"code"`
	Reason  string                   `json:"reason"`
	Message string                   `json:"message"`
}

// readErrorBody reads an error body of one of the shapes of errorBody,
// and returns false when it is not JSON.
func readErrorBody(resp *http.Response) (errorBody, bool) {
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBodyBytes))
	if err != nil {
		return errorBody{}, false
	}
	var body errorBody
	if json.Unmarshal(data, &body) != nil {
		return errorBody{}, false
	}
	return body, true
}

// describeBody returns ": " and the provider's reason read from an error
// body, with the credentials and token removed, or "" when the body has
// none.
func (c *Client) describeBody(resp *http.Response) string {
	body, _ := readErrorBody(resp)
	return c.describe(body)
}

// describe returns ": " and the provider's reason in body, with the
// credentials and token removed, or "" when the body has none.
func (c *Client) describe(body errorBody) string {
	var parts []string
	switch {
	case body.Code != "" && body.Reason != "":
		// A business error, such as code 11 for insufficient credit.
		parts = append(parts, "code "+string(body.Code)+": "+body.Reason)
	case body.Code != "":
		parts = append(parts, "code "+string(body.Code))
	case body.Reason != "":
		parts = append(parts, body.Reason)
	}
	for _, text := range []string{body.Meta.Message, body.Message} {
		if text != "" {
			parts = append(parts, text)
		}
	}
	parts = append(parts, body.fieldMessages()...)
	if len(parts) == 0 {
		return ""
	}
	return ": " + c.redact(strings.Join(parts, "; "))
}

// fieldMessages returns the validation messages of data, as "field:
// message", sorted by field.
func (b errorBody) fieldMessages() []string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(b.Data, &fields) != nil {
		return nil
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	messages := make([]string, 0, len(names))
	for _, name := range names {
		messages = append(messages, name+": "+fieldMessage(fields[name]))
	}
	return messages
}

// fieldMessage reads a validation message, which is a string or a list of
// strings.
func fieldMessage(raw json.RawMessage) string {
	var text string
	if json.Unmarshal(raw, &text) == nil {
		return text
	}
	var texts []string
	if json.Unmarshal(raw, &texts) == nil {
		return strings.Join(texts, " ")
	}
	return string(raw)
}

// redact removes the credentials and the cached token from provider text,
// in case the provider echoes them, and shortens it.
func (c *Client) redact(text string) string {
	c.tokens.mu.Lock()
	token := c.tokens.token
	c.tokens.mu.Unlock()
	for _, secret := range []string{c.clientSecret, c.clientID, token} {
		if secret != "" {
			text = strings.ReplaceAll(text, secret, "[redacted]")
		}
	}
	return shorten(text)
}

// shorten cuts provider text to a length fit for a message.
func shorten(text string) string {
	const maxRunes = 300
	if utf8.RuneCountInString(text) > maxRunes {
		return string([]rune(text)[:maxRunes]) + "…"
	}
	return text
}

// readJSON decodes a 2xx response of at most maxResponseBytes into v.
func readJSON(resp *http.Response, what string, v any) error {
	if err := checkJSON(resp); err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return httpx.BodyError(resp, what, err)
	}
	if len(data) > maxResponseBytes {
		return badResponse(fmt.Sprintf("%s longer than %d bytes (%s)", what, maxResponseBytes, httpx.Label(resp.Request)), nil)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return badResponse(what+" is not the expected JSON ("+httpx.Label(resp.Request)+")", err)
	}
	return nil
}

// checkJSON rejects an HTML page, which a wrong base URL or a proxy
// typically returns with status 200.
func checkJSON(resp *http.Response) error {
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mediaType == "text/html" {
		return badResponse("response is an HTML page, not JSON: check the base URL ("+
			httpx.Label(resp.Request)+")", nil)
	}
	return nil
}

func isEmptyArray(raw json.RawMessage) bool {
	var list []json.RawMessage
	return json.Unmarshal(raw, &list) == nil && len(list) == 0
}

func badResponse(message string, err error) *adapters.Error {
	return &adapters.Error{Cause: adapters.CauseBadResponse, Message: message, Err: err}
}
