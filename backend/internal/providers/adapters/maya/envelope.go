package maya

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
)

// maxEnvelopeBytes bounds every response except the product list, which is
// streamed.
const maxEnvelopeBytes = 4 << 20

// maxErrorBody bounds the body read from a non-2xx response.
const maxErrorBody = 64 << 10

// errRejected marks a request that Maya rejected with an error envelope.
// The request was read and refused, so repeating it changes nothing and no
// order was placed. Such errors are CauseRejected, except for an envelope
// whose status is 5xx.
var errRejected = errors.New("request rejected by the provider")

// envelope is the part of every response that reports its outcome: result
// is 1 on success, and status repeats an HTTP-like code.
type envelope struct {
	Result           json.RawMessage `json:"result"`
	Status           json.RawMessage `json:"status"`
	Message          string          `json:"message"`
	DeveloperMessage string          `json:"developer_message"`
	ErrorCode        json.RawMessage `json:"error_code"`
}

func (e envelope) present() bool {
	raw := bytes.TrimSpace(e.Result)
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}

// succeeded accepts result 1 sent as a number or a string.
func (e envelope) succeeded() bool {
	return strings.Trim(string(bytes.TrimSpace(e.Result)), `"`) == "1"
}

// readEnvelope reads a 2xx response that must be a successful envelope and
// returns its whole body, for the caller to decode the payload keys.
func (c *Client) readEnvelope(resp *http.Response) ([]byte, error) {
	label := httpx.Label(resp.Request)
	if err := checkJSON(resp); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxEnvelopeBytes+1))
	if err != nil {
		return nil, httpx.BodyError(resp, "response", err)
	}
	if len(data) > maxEnvelopeBytes {
		return nil, badResponse(fmt.Sprintf("response longer than %d bytes (%s)", maxEnvelopeBytes, label), nil)
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, badResponse("response is not valid JSON ("+label+")", err)
	}
	if err := c.checkResult(env, label); err != nil {
		return nil, err
	}
	return data, nil
}

// checkResult returns nil for a successful envelope and the error of a
// failed or missing one.
func (c *Client) checkResult(env envelope, label string) error {
	switch {
	case !env.present():
		return badResponse("response has no result field, so it is not the Maya envelope ("+label+")", nil)
	case !env.succeeded() && env.status() >= 500:
		return &adapters.Error{
			Cause:   adapters.CauseServerError,
			Message: "provider error, " + c.describe(env) + " (" + label + ")",
			Err:     errRejected,
		}
	case !env.succeeded():
		return c.rejection(env, 0, label)
	}
	return nil
}

// status reads the HTTP-like status of the envelope, sent as a number or a
// string, and returns 0 when it is absent or unreadable.
func (e envelope) status() int {
	status, err := strconv.Atoi(strings.Trim(string(bytes.TrimSpace(e.Status)), `"`))
	if err != nil {
		return 0
	}
	return status
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

// handleStatus reads the error envelope of a non-2xx response and adds
// Maya's message to the error. Rate limits, 5xx and responses that are
// not the envelope fall back to httpx's classification, which retries the
// first two. Other 4xx envelopes are business refusals (CauseRejected). On
// calls that name a resource (an eSIM, a customer, a plan type), a 404
// envelope is a refusal for a missing resource. Elsewhere it stays
// CauseNotFound, because it means a wrong path.
func (c *Client) handleStatus(namesResource bool) func(resp *http.Response) error {
	return func(resp *http.Response) error {
		status := resp.StatusCode
		if status == http.StatusTooManyRequests || status >= 500 {
			return nil
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		if err != nil {
			return nil
		}
		var env envelope
		if json.Unmarshal(data, &env) != nil || !env.present() {
			return nil
		}
		label := httpx.Label(resp.Request)
		switch {
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			return &adapters.Error{
				Cause: adapters.CauseCredentials,
				Message: fmt.Sprintf("rejected credentials (HTTP %d, %s), %s: check api_key, api_secret and auth_mode",
					status, label, c.describe(env)),
			}
		case status == http.StatusNotFound && !namesResource:
			return nil
		default:
			return c.rejection(env, status, label)
		}
	}
}

// describe formats a provider's messages for an error, shortened and
// stripped of the credentials in case the provider echoes them.
func (c *Client) describe(env envelope) string {
	const maxMessage = 200
	parts := make([]string, 0, 3)
	if code := strings.Trim(string(bytes.TrimSpace(env.ErrorCode)), `"`); code != "" && code != "null" {
		parts = append(parts, "code "+code)
	}
	for _, text := range []string{env.Message, env.DeveloperMessage} {
		if text = strings.TrimSpace(text); text != "" {
			parts = append(parts, text)
		}
	}
	text := strings.Join(parts, ": ")
	for _, secret := range c.secrets {
		if secret != "" {
			text = strings.ReplaceAll(text, secret, "[redacted]")
		}
	}
	if utf8.RuneCountInString(text) > maxMessage {
		text = string([]rune(text)[:maxMessage]) + "…"
	}
	if text == "" {
		return "no message"
	}
	return text
}

func badResponse(message string, err error) *adapters.Error {
	return &adapters.Error{Cause: adapters.CauseBadResponse, Message: message, Err: err}
}
