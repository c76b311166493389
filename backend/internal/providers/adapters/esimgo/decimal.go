package esimgo

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	"esimscan/backend/money"
)

// parseAmount reads a JSON number such as 7.35, 4.6 or 1.5e1 exactly,
// never through float64, and rounds it half-up to a millionth, the
// precision of money.Amount. Negative numbers are rejected.
func parseAmount(number json.Number) (money.Amount, error) {
	text := strings.TrimSpace(number.String())
	if text == "" {
		return 0, fmt.Errorf("amount is missing")
	}
	value, ok := new(big.Rat).SetString(text)
	if !ok {
		return 0, fmt.Errorf("amount %q is not a number", text)
	}
	if value.Sign() < 0 {
		return 0, fmt.Errorf("amount %s is negative", text)
	}
	value.Mul(value, big.NewRat(money.Scale, 1))
	quotient, remainder := new(big.Int).QuoRem(value.Num(), value.Denom(), new(big.Int))
	if remainder.Lsh(remainder, 1).Cmp(value.Denom()) >= 0 {
		quotient.Add(quotient, big.NewInt(1))
	}
	if !quotient.IsInt64() {
		return 0, fmt.Errorf("amount %s is too large", text)
	}
	amount, err := money.FromScaled(quotient.Int64(), 6)
	if err != nil {
		return 0, fmt.Errorf("amount %s: %w", text, err)
	}
	return amount, nil
}

// parseWhole reads a JSON number that counts whole units, such as
// dataAmount in MB, rounding a fraction to the nearest unit.
func parseWhole(number json.Number) (int64, error) {
	text := strings.TrimSpace(number.String())
	value, ok := new(big.Rat).SetString(text)
	if !ok {
		return 0, fmt.Errorf("%q is not a number", text)
	}
	negative := value.Sign() < 0
	value.Abs(value)
	quotient, remainder := new(big.Int).QuoRem(value.Num(), value.Denom(), new(big.Int))
	if remainder.Lsh(remainder, 1).Cmp(value.Denom()) >= 0 {
		quotient.Add(quotient, big.NewInt(1))
	}
	if !quotient.IsInt64() {
		return 0, fmt.Errorf("%s is too large", text)
	}
	if negative {
		return -quotient.Int64(), nil
	}
	return quotient.Int64(), nil
}
