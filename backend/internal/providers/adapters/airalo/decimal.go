package airalo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"esimscan/backend/money"
)

// parseDecimal reads a JSON number such as 3.2 or 2480 as an exact
// decimal, never through a float. Exponent forms are accepted when the
// value has at most six decimals.
func parseDecimal(number json.Number) (money.Amount, error) {
	text := strings.TrimSpace(number.String())
	if text == "" {
		return 0, errors.New("number is missing")
	}
	if strings.ContainsAny(text, "eE") {
		rat, ok := new(big.Rat).SetString(text)
		if !ok {
			return 0, fmt.Errorf("%q is not a number", text)
		}
		scaled := new(big.Rat).Mul(rat, new(big.Rat).SetInt64(money.Scale))
		if !scaled.IsInt() {
			return 0, fmt.Errorf("%q has more than 6 decimals", text)
		}
		text = rat.FloatString(6)
	}
	amount, err := money.ParseAmount(text)
	if err != nil {
		return 0, fmt.Errorf("parse %q: %w", number.String(), err)
	}
	return amount, nil
}

// flexInt is an integer that Airalo sends as a JSON number or as a numeric
// string ("quantity" is 1 in one example and "1" in another). Set is false
// for null or an absent field.
type flexInt struct {
	Value int64
	Set   bool
}

func (f *flexInt) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		*f = flexInt{}
		return nil
	}
	text := string(data)
	if strings.HasPrefix(text, `"`) {
		unquoted, err := strconv.Unquote(text)
		if err != nil {
			return fmt.Errorf("integer %s: %w", text, err)
		}
		text = strings.TrimSpace(unquoted)
	}
	rat, ok := new(big.Rat).SetString(text)
	if !ok || !rat.IsInt() || !rat.Num().IsInt64() {
		return fmt.Errorf("%q is not an integer", text)
	}
	*f = flexInt{Value: rat.Num().Int64(), Set: true}
	return nil
}

// flexString is an identifier that Airalo sends as a JSON number or a
// string, such as an order id.
type flexString string

func (f *flexString) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if bytes.Equal(data, []byte("null")) {
		*f = ""
		return nil
	}
	if bytes.HasPrefix(data, []byte(`"`)) {
		var text string
		if err := json.Unmarshal(data, &text); err != nil {
			return err
		}
		*f = flexString(text)
		return nil
	}
	var number json.Number
	if err := json.Unmarshal(data, &number); err != nil {
		return fmt.Errorf("identifier %s is neither a string nor a number", data)
	}
	*f = flexString(number.String())
	return nil
}

// currencyCode returns an upper-case ISO 4217 code. Airalo documents USD
// only, so an empty currency is USD.
func currencyCode(raw string) (string, error) {
	code := strings.ToUpper(strings.TrimSpace(raw))
	if code == "" {
		return "USD", nil
	}
	if len(code) != 3 || !isUpperLetters(code) {
		return "", fmt.Errorf("%q is not an ISO 4217 code", shorten(raw))
	}
	return code, nil
}

func isUpperLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
