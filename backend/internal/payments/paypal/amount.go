package paypal

import (
	"errors"
	"fmt"
	"strings"

	paypalsdk "github.com/plutov/paypal/v4"

	"esimscan/backend/money"
)

// ErrInvalidAmount reports an amount PayPal cannot be sent: not positive,
// or with more decimals than its currency's minor unit.
var ErrInvalidAmount = errors.New("invalid paypal amount")

// formatAmount writes m as PayPal's decimal value with exactly its
// currency's minor-unit digits: "1500" JPY, "12.50" USD, "1.234" KWD.
// It never rounds, because an order total is already in minor units.
func formatAmount(m money.Money) (paypalsdk.Money, error) {
	if len(m.Currency) != 3 {
		return paypalsdk.Money{}, fmt.Errorf("%w: currency %q is not an ISO 4217 code", ErrInvalidAmount, m.Currency)
	}
	if m.Amount <= 0 {
		return paypalsdk.Money{}, fmt.Errorf("%w: %s is not positive", ErrInvalidAmount, m.Amount)
	}
	if m.RoundToMinor() != m {
		return paypalsdk.Money{}, fmt.Errorf("%w: %s %s has more decimals than the currency's %d",
			ErrInvalidAmount, m.Amount, m.Currency, money.MinorUnitDigits(m.Currency))
	}
	digits := money.MinorUnitDigits(m.Currency)
	return paypalsdk.Money{Currency: m.Currency, Value: m.Amount.Format(digits)}, nil
}

// parseAmount reads an amount PayPal returned.
func parseAmount(a *paypalsdk.PurchaseUnitAmount) (money.Money, error) {
	if a == nil {
		return money.Money{}, errors.New("amount is missing")
	}
	value, err := money.ParseAmount(strings.TrimSpace(a.Value))
	if err != nil {
		return money.Money{}, fmt.Errorf("read amount: %w", err)
	}
	if len(a.Currency) != 3 {
		return money.Money{}, fmt.Errorf("read amount: currency %q is not an ISO 4217 code", a.Currency)
	}
	return money.New(value, a.Currency), nil
}
