package esimgo

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/money"
)

// organisation holds the fields read from GET /organisation. The response
// also echoes the organisation's apiKey, so the body is never logged or
// kept.
type organisation struct {
	Balance  *json.Number `json:"balance"`
	Currency string       `json:"currency"`
}

// organisationResponse is {"organisations": [organisation]}. A bare
// organisation object is accepted as well.
type organisationResponse struct {
	Organisations []organisation `json:"organisations"`
	organisation
}

func (a organisationResponse) first() organisation {
	if len(a.Organisations) > 0 {
		return a.Organisations[0]
	}
	return a.organisation
}

// Balance returns organisations[0].balance in the organisation's currency.
func (c *Client) Balance(ctx context.Context) (adapters.Balance, error) {
	org, err := c.organisation(ctx)
	if err != nil {
		return adapters.Balance{}, fmt.Errorf("query esim-go balance: %w", err)
	}
	if org.Balance == nil {
		return adapters.Balance{}, badResponse("organisation response has no organisations[0].balance", nil)
	}
	amount, err := parseAmount(*org.Balance)
	if err != nil {
		return adapters.Balance{}, badResponse("organisation balance is unreadable", err)
	}
	return adapters.Balance{Amount: money.New(amount, org.Currency)}, nil
}

// organisation fetches the first organisation and checks its currency,
// which also prices every catalogue bundle.
func (c *Client) organisation(ctx context.Context) (organisation, error) {
	var answer organisationResponse
	if err := c.getJSON(ctx, c.balancePath, nil, &answer); err != nil {
		return organisation{}, err
	}
	org := answer.first()
	org.Currency = strings.ToUpper(strings.TrimSpace(org.Currency))
	if !isCurrencyCode(org.Currency) {
		return organisation{}, badResponse(fmt.Sprintf(
			"organisation currency %q is not an ISO 4217 code (GET %s)", org.Currency, c.balancePath), nil)
	}
	return org, nil
}

func isCurrencyCode(code string) bool {
	return len(code) == 3 && isUpperLetters(code)
}

func isUpperLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
