package esimaccess

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
)

// priceDecimals: eSIM Access counts prices and the balance in 1/10,000 of
// the currency unit.
const priceDecimals = 4

// maxEnvelopeBytes bounds every response except the package list, which is
// streamed.
const maxEnvelopeBytes = 4 << 20

// Error codes that map to their own cause or behaviour. The business codes
// of rejectionAdvice become CauseRejected, and other codes CauseServerError
// with the provider's message.
const (
	codeServerError       = "000001"
	codeHeaderMissing     = "000101"
	codeHeaderFormat      = "000102"
	codeTimestampExpired  = "101001"
	codeIPBlocked         = "101002"
	codeSignatureMismatch = "101003"
	codeProfilePending    = "200010"
	codeSystemBusy        = "900001"
)

// envelope is the shape of every response.
type envelope struct {
	Success   *bool           `json:"success"`
	ErrorCode json.RawMessage `json:"errorCode"` // null, "0" or a six-digit string
	ErrorMsg  *string         `json:"errorMsg"`
	Obj       json.RawMessage `json:"obj"`
}

func (e envelope) code() string { return codeText(e.ErrorCode) }

func (e envelope) message() string {
	if e.ErrorMsg == nil {
		return ""
	}
	return *e.ErrorMsg
}

// codeText reads errorCode whether it is sent as a string, a number or null.
func codeText(raw json.RawMessage) string {
	var text string
	if json.Unmarshal(raw, &text) == nil {
		return text
	}
	var number json.Number
	if json.Unmarshal(raw, &number) == nil {
		return number.String()
	}
	return ""
}

// readEnvelope reads a 2xx response that must be the JSON envelope.
func (c *Client) readEnvelope(resp *http.Response) (envelope, error) {
	if err := checkJSON(resp); err != nil {
		return envelope{}, err
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxEnvelopeBytes+1))
	if err != nil {
		return envelope{}, httpx.BodyError(resp, "response", err)
	}
	if len(data) > maxEnvelopeBytes {
		return envelope{}, badResponse(fmt.Sprintf("response longer than %d bytes (%s)",
			maxEnvelopeBytes, httpx.Label(resp.Request)), nil)
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return envelope{}, badResponse("response is not valid JSON ("+httpx.Label(resp.Request)+")", err)
	}
	if env.Success == nil {
		return envelope{}, badResponse("response has no success field, so it is not the eSIM Access envelope ("+
			httpx.Label(resp.Request)+")", nil)
	}
	return env, nil
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

// objOf returns the obj of a successful envelope or the error its code
// stands for.
func (c *Client) objOf(env envelope, label string) ([]byte, error) {
	if !*env.Success {
		return nil, c.codeError(env.code(), env.message(), label)
	}
	obj := bytes.TrimSpace(env.Obj)
	if len(obj) == 0 || bytes.Equal(obj, []byte("null")) {
		return nil, badResponse("response has success true but no obj ("+label+")", nil)
	}
	return obj, nil
}

// codeError maps a failed envelope's errorCode to an *adapters.Error,
// marked retryable for the provider's "server error" and "system busy". A
// business refusal is a CauseRejected that is never retried.
func (c *Client) codeError(code, providerMessage, label string) error {
	detail := c.describe(code, providerMessage) + " (" + label + ")"
	switch code {
	case codeHeaderMissing, codeHeaderFormat:
		return credentials("rejected credentials: the access code header is missing or malformed, " + detail)
	case codeTimestampExpired:
		return credentials("rejected credentials: request timestamp expired, check this server's clock, " + detail)
	case codeIPBlocked:
		return credentials("rejected credentials: this server's IP address is blocked, " + detail)
	case codeSignatureMismatch:
		return credentials("signature mismatch: check the secret key, " + detail)
	case codeServerError, codeSystemBusy:
		return httpx.Retryable(&adapters.Error{
			Cause:   adapters.CauseServerError,
			Message: "provider busy or failing, " + detail,
		})
	case "":
		return &adapters.Error{Cause: adapters.CauseBadResponse, Message: "response has success false and no errorCode (" + label + ")"}
	}
	if rejection, ok := c.rejected(code, providerMessage, label); ok {
		return rejection
	}
	return &adapters.Error{Cause: adapters.CauseServerError, Message: "provider error, " + detail}
}

// describe formats a provider's code and message for an error, with the
// message shortened and stripped of the credentials in case the provider
// echoes them.
func (c *Client) describe(code, providerMessage string) string {
	text := c.redact(providerMessage)
	if text == "" {
		return "code " + code
	}
	return fmt.Sprintf("code %s: %s", code, text)
}

// redact shortens a provider's message and removes the credentials from
// it.
func (c *Client) redact(providerMessage string) string {
	const maxMessage = 200
	text := strings.TrimSpace(providerMessage)
	for _, secret := range []string{c.accessCode, c.secretKey} {
		if secret != "" {
			text = strings.ReplaceAll(text, secret, "[redacted]")
		}
	}
	if utf8.RuneCountInString(text) > maxMessage {
		text = string([]rune(text)[:maxMessage]) + "…"
	}
	return text
}

// handleStatus reads the envelope of a non-2xx response, since the HTTP
// status of eSIM Access errors is not documented: an auth code or, below
// HTTP 500, a business code in it wins over the status. Anything else
// falls back to the status.
func (c *Client) handleStatus(resp *http.Response) error {
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil
	}
	var env envelope
	if json.Unmarshal(data, &env) != nil || env.Success == nil || *env.Success {
		return nil
	}
	switch code := env.code(); code {
	case codeHeaderMissing, codeHeaderFormat, codeTimestampExpired, codeIPBlocked, codeSignatureMismatch:
		return c.codeError(code, env.message(), httpx.Label(resp.Request))
	}
	if resp.StatusCode < 500 {
		if rejection, ok := c.rejected(env.code(), env.message(), httpx.Label(resp.Request)); ok {
			return rejection
		}
	}
	return nil
}

func decodeObj(obj []byte, v any) error {
	return json.Unmarshal(obj, v)
}

func credentials(message string) *adapters.Error {
	return &adapters.Error{Cause: adapters.CauseCredentials, Message: message}
}

func badResponse(message string, err error) *adapters.Error {
	return &adapters.Error{Cause: adapters.CauseBadResponse, Message: message, Err: err}
}
