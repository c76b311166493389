package money

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Percent is a percentage in hundredths of a percent: 1250 is 12.5 %.
type Percent int64

// ErrInvalidPercent reports a percentage with more than two decimals, a
// sign, or a form that is not a plain decimal number.
var ErrInvalidPercent = errors.New("invalid percentage")

// ParsePercent parses "12.5" or "12.50" into 1250.
func ParsePercent(s string) (Percent, error) {
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && frac == "") || len(frac) > 2 || !allDigits(whole) || !allDigits(frac) || len(whole) > 9 {
		return 0, fmt.Errorf("%w: %q (use a number with at most two decimals)", ErrInvalidPercent, s)
	}
	units, _ := strconv.ParseInt(whole, 10, 64)
	frac += strings.Repeat("0", 2-len(frac))
	hundredths, _ := strconv.ParseInt(frac, 10, 64)
	return Percent(units*100 + hundredths), nil
}

// String writes p as a decimal without trailing zeros: "12.5", "20".
func (p Percent) String() string {
	s := fmt.Sprintf("%d.%02d", int64(p)/100, int64(p)%100)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// MarshalJSON writes p as a JSON number such as 12.5.
func (p Percent) MarshalJSON() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalJSON reads a JSON number or a decimal string.
func (p *Percent) UnmarshalJSON(data []byte) error {
	text := string(data)
	if strings.HasPrefix(text, `"`) {
		if err := json.Unmarshal(data, &text); err != nil {
			return err
		}
	}
	parsed, err := ParsePercent(text)
	if err != nil {
		return err
	}
	*p = parsed
	return nil
}

// ApplyMargin returns the selling price wholesale × (1 + margin / 100),
// rounded half-up to the currency's minor unit. Negative margins are
// treated as zero, because a selling price below wholesale is never meant.
func ApplyMargin(wholesale Money, margin Percent) Money {
	if margin < 0 {
		margin = 0
	}
	digits := MinorUnitDigits(wholesale.Currency)
	step := int64(1)
	for i := digits; i < scaleDigits; i++ {
		step *= 10
	}
	// Multiply in hundredths of a percent with big integers: the product of
	// a large amount and 10,000 + margin does not fit in int64.
	product := new(big.Int).Mul(big.NewInt(int64(wholesale.Amount)), big.NewInt(10_000+int64(margin)))
	divisor := big.NewInt(step * 10_000)
	product.Add(product, new(big.Int).Rsh(divisor, 1))
	product.Quo(product, divisor)
	product.Mul(product, big.NewInt(step))
	return Money{Amount: Amount(product.Int64()), Currency: wholesale.Currency}
}
