package esimgo

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
)

// maxResponseBytes bounds every response except catalogue pages, which are
// streamed.
const maxResponseBytes = 8 << 20

// maxErrorBody bounds the error body read for its message.
const maxErrorBody = 64 << 10

// errRejected marks a 4xx response other than 429: the provider refused
// the request, so an order call that ends with it bought nothing.
var errRejected = errors.New("request rejected by the provider")

// handleStatus classifies 4xx responses with the provider's
// {"message": "..."} in the error. 403 is how eSIM Go rejects a missing or
// wrong key, and 401 is treated the same. Other 4xx, such as the 400 of an
// insufficient balance or an unknown bundle, are business refusals
// (CauseRejected), see rejection. 429, 5xx and 404 fall back to the
// default classification of httpx.
func (c *Client) handleStatus(resp *http.Response) error {
	status := resp.StatusCode
	if status < 400 || status >= 500 || status == http.StatusTooManyRequests ||
		status == http.StatusNotFound || status == http.StatusMethodNotAllowed || status == http.StatusGone {
		return nil
	}
	label := httpx.Label(resp.Request)
	message := c.providerMessage(resp)
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		detail := ""
		if message != "" {
			detail = ": " + message
		}
		return &adapters.Error{
			Cause: adapters.CauseCredentials,
			Message: fmt.Sprintf("rejected credentials (HTTP %d%s, %s): check api_key",
				status, detail, label),
			Err: errRejected,
		}
	}
	return rejection(status, label, message)
}

// providerMessage reads {"message": "..."} from an error body and returns
// it shortened and with the API key removed in case the provider echoes
// it, or "" when the body has none.
func (c *Client) providerMessage(resp *http.Response) string {
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return ""
	}
	var body struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(data, &body) != nil || strings.TrimSpace(body.Message) == "" {
		return ""
	}
	return c.redact(body.Message)
}

// redact shortens a provider's text for an error message and removes the
// API key from it.
func (c *Client) redact(text string) string {
	const maxMessage = 200
	text = strings.ReplaceAll(strings.TrimSpace(text), c.apiKey, "[redacted]")
	if utf8.RuneCountInString(text) > maxMessage {
		text = string([]rune(text)[:maxMessage]) + "…"
	}
	return text
}

// decodeResponse reads a 2xx JSON body of at most maxResponseBytes into
// out.
func (c *Client) decodeResponse(resp *http.Response, out any) error {
	if err := checkJSON(resp); err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return httpx.BodyError(resp, "response", err)
	}
	if len(data) > maxResponseBytes {
		return badResponse(fmt.Sprintf("response longer than %d bytes (%s)",
			maxResponseBytes, httpx.Label(resp.Request)), nil)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return badResponse("response is not the expected JSON ("+httpx.Label(resp.Request)+")", err)
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

func badResponse(message string, err error) *adapters.Error {
	return &adapters.Error{Cause: adapters.CauseBadResponse, Message: message, Err: err}
}
