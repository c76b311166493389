package maya

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
	"esimscan/backend/money"
)

// call runs one request whose response is a small envelope and returns the
// whole body. namesResource selects how a 404 envelope is read (see
// handleStatus); maxAttempts 0 keeps the retry policy.
func (c *Client) call(ctx context.Context, req request, namesResource bool, maxAttempts int) ([]byte, error) {
	var data []byte
	err := c.doer.Do(ctx, httpx.Call{
		NewRequest:   c.newRequest(req),
		HandleStatus: c.handleStatus(namesResource),
		MaxAttempts:  maxAttempts,
		Handle: func(resp *http.Response) error {
			var err error
			data, err = c.readEnvelope(resp)
			return err
		},
	})
	return data, err
}

// Balance returns the account's balance from the balance path. When the
// default balance path returns 404, which an account billed by usage may
// do, Balance checks the credentials with a product query for one country
// instead and returns a zero Balance whose Amount has an empty Currency:
// credentials accepted, balance not available. An overridden balance_path
// that returns 404 fails with CauseNotFound.
func (c *Client) Balance(ctx context.Context) (adapters.Balance, error) {
	data, err := c.call(ctx, request{method: http.MethodGet, path: c.balancePath}, false, 0)
	if err == nil {
		return parseBalance(data)
	}
	if adapters.CauseOf(err) != adapters.CauseNotFound || c.balanceOverridden {
		return adapters.Balance{}, fmt.Errorf("query maya balance: %w", err)
	}
	return c.checkCredentials(ctx)
}

// checkCredentials lists the products of one country, the cheapest call
// that the public integrations confirm.
func (c *Client) checkCredentials(ctx context.Context) (adapters.Balance, error) {
	req := request{method: http.MethodGet, path: c.packageListPath, query: url.Values{"country": {"us"}}}
	if _, err := c.call(ctx, req, false, 0); err != nil {
		return adapters.Balance{}, fmt.Errorf("query maya balance: no balance at %s, and the product list fallback failed: %w",
			c.balancePath, err)
	}
	c.logger.Info().
		Str("balance_path", c.balancePath).
		Msg("maya has no balance endpoint for this account; credentials accepted on the product list")
	return adapters.Balance{}, nil
}

func parseBalance(data []byte) (adapters.Balance, error) {
	var answer struct {
		Balance  json.RawMessage `json:"balance"`
		Currency string          `json:"currency"`
	}
	if err := json.Unmarshal(data, &answer); err != nil {
		return adapters.Balance{}, badResponse("balance response has an unexpected shape", err)
	}
	text, ok := decimalText(answer.Balance)
	if !ok {
		return adapters.Balance{}, badResponse("balance response has no decimal balance", nil)
	}
	amount, err := money.ParseAmount(text)
	if err != nil {
		return adapters.Balance{}, badResponse(fmt.Sprintf("balance %q is not a non-negative decimal", text), err)
	}
	currency := strings.ToUpper(strings.TrimSpace(answer.Currency))
	if currency == "" {
		currency = "USD" // every other amount Maya sends is in USD
	}
	if !isCurrencyCode(currency) {
		return adapters.Balance{}, badResponse(fmt.Sprintf("balance currency %q is not an ISO 4217 code", answer.Currency), nil)
	}
	return adapters.Balance{Amount: money.New(amount, currency)}, nil
}

func isCurrencyCode(code string) bool {
	if len(code) != 3 {
		return false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < 'A' || code[i] > 'Z' {
			return false
		}
	}
	return true
}
