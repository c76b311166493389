// Package money holds amounts of money as integers: never a float.
//
// An Amount counts millionths of a currency unit, so a provider's wholesale
// price in 1/10,000 USD keeps every digit, while selling prices are rounded
// once, half-up, to the currency's minor unit (cents for USD, none for JPY,
// thousandths for KWD).
package money

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Amount is a decimal amount in millionths of a currency unit.
type Amount int64

// Scale is the number of Amount steps in one currency unit.
const Scale = 1_000_000

const scaleDigits = 6

// maxAmount keeps every product computed here inside int64: one billion units.
const maxAmount = Amount(1_000_000_000 * Scale)

// ErrInvalidAmount reports a decimal string that is not a plain
// non-negative number with at most six decimals.
var ErrInvalidAmount = errors.New("invalid amount")

// ParseAmount parses a non-negative decimal string such as "12.50".
func ParseAmount(s string) (Amount, error) {
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && frac == "") || len(frac) > scaleDigits || !allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("%w: %q", ErrInvalidAmount, s)
	}
	units, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || Amount(units) > maxAmount/Scale {
		return 0, fmt.Errorf("%w: %q is too large", ErrInvalidAmount, s)
	}
	frac += strings.Repeat("0", scaleDigits-len(frac))
	micros, _ := strconv.ParseInt(frac, 10, 64)
	return Amount(units)*Scale + Amount(micros), nil
}

// FromScaled converts an integer counted in 1/10^decimals units, as providers
// send prices, to an Amount: FromScaled(9800, 4) is 0.98.
func FromScaled(value int64, decimals int) (Amount, error) {
	if decimals < 0 || decimals > scaleDigits {
		return 0, fmt.Errorf("%w: %d decimals is more than %d", ErrInvalidAmount, decimals, scaleDigits)
	}
	if value < 0 {
		return 0, fmt.Errorf("%w: negative value %d", ErrInvalidAmount, value)
	}
	factor := int64(1)
	for i := decimals; i < scaleDigits; i++ {
		factor *= 10
	}
	if value > int64(maxAmount)/factor {
		return 0, fmt.Errorf("%w: %d is too large", ErrInvalidAmount, value)
	}
	return Amount(value * factor), nil
}

// Format writes a with exactly decimals digits after the point, rounding
// half-up when it has more.
func (a Amount) Format(decimals int) string {
	rounded := a.roundTo(decimals)
	units := int64(rounded) / Scale
	micros := int64(rounded) % Scale
	if decimals == 0 {
		return strconv.FormatInt(units, 10)
	}
	frac := fmt.Sprintf("%06d", micros)[:decimals]
	return strconv.FormatInt(units, 10) + "." + frac
}

// String writes a with as many decimals as it needs, at least two.
func (a Amount) String() string {
	s := fmt.Sprintf("%d.%06d", int64(a)/Scale, int64(a)%Scale)
	s = strings.TrimRight(s, "0")
	if i := strings.IndexByte(s, '.'); len(s)-i-1 < 2 {
		s += strings.Repeat("0", 2-(len(s)-i-1))
	}
	return s
}

// roundTo rounds a half-up to the given number of decimals.
func (a Amount) roundTo(decimals int) Amount {
	step := Amount(1)
	for i := decimals; i < scaleDigits; i++ {
		step *= 10
	}
	return (a + step/2) / step * step
}

// Money is an amount in an ISO 4217 currency.
type Money struct {
	Amount   Amount
	Currency string
}

// New returns amount in currency, with the currency code upper-cased.
func New(amount Amount, currency string) Money {
	return Money{Amount: amount, Currency: strings.ToUpper(currency)}
}

// RoundToMinor rounds m half-up to its currency's minor unit.
func (m Money) RoundToMinor() Money {
	return Money{Amount: m.Amount.roundTo(MinorUnitDigits(m.Currency)), Currency: m.Currency}
}

// MinorUnits returns m in the currency's minor unit (cents for USD, yen for
// JPY, fils for KWD), rounded half-up: the integer payment gateways expect.
func (m Money) MinorUnits() int64 {
	digits := MinorUnitDigits(m.Currency)
	step := int64(1)
	for i := digits; i < scaleDigits; i++ {
		step *= 10
	}
	return int64(m.Amount.roundTo(digits)) / step
}

// Times returns m multiplied by a whole quantity.
func (m Money) Times(quantity int64) Money {
	return Money{Amount: m.Amount * Amount(quantity), Currency: m.Currency}
}

// String formats m as "12.50 USD".
func (m Money) String() string {
	return m.Amount.Format(MinorUnitDigits(m.Currency)) + " " + m.Currency
}

type moneyJSON struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// MarshalJSON writes {"amount": "12.50", "currency": "USD"} with the
// currency's minor-unit digits. Wholesale amounts with more digits are
// written in full (see MarshalPrecise) only where they are stored.
func (m Money) MarshalJSON() ([]byte, error) {
	return json.Marshal(moneyJSON{Amount: m.Amount.Format(MinorUnitDigits(m.Currency)), Currency: m.Currency})
}

// UnmarshalJSON reads {"amount": "12.50", "currency": "USD"}.
func (m *Money) UnmarshalJSON(data []byte) error {
	var raw moneyJSON
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	amount, err := ParseAmount(raw.Amount)
	if err != nil {
		return err
	}
	*m = New(amount, raw.Currency)
	return nil
}

// Precise is Money that keeps every stored digit in JSON; events use it for
// wholesale prices, which may have more digits than the minor unit.
type Precise Money

// MarshalJSON writes the amount with all its significant digits.
func (p Precise) MarshalJSON() ([]byte, error) {
	return json.Marshal(moneyJSON{Amount: p.Amount.String(), Currency: p.Currency})
}

// UnmarshalJSON reads {"amount": "0.9850", "currency": "USD"}.
func (p *Precise) UnmarshalJSON(data []byte) error {
	return (*Money)(p).UnmarshalJSON(data)
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
