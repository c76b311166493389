package money

import (
	"encoding/json"
	"testing"
)

func TestParseAmount_valid(t *testing.T) {
	cases := map[string]Amount{
		"0":          0,
		"12.5":       12_500_000,
		"12.50":      12_500_000,
		"0.000001":   1,
		"1000000000": 1_000_000_000 * Scale,
	}
	for text, want := range cases {
		got, err := ParseAmount(text)
		if err != nil {
			t.Errorf("ParseAmount(%q) error: %v", text, err)
			continue
		}
		if got != want {
			t.Errorf("ParseAmount(%q) = %d, want %d", text, got, want)
		}
	}
}

func TestParseAmount_invalid(t *testing.T) {
	for _, text := range []string{"", "-1", "1.", ".5", "1e3", "1.0000001", "abc", "1,50", "10000000000"} {
		if _, err := ParseAmount(text); err == nil {
			t.Errorf("ParseAmount(%q) succeeded, want an error", text)
		}
	}
}

func TestFromScaled_providerUnits(t *testing.T) {
	got, err := FromScaled(9800, 4) // eSIM Access sends 1/10,000 USD
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != "0.98" {
		t.Errorf("FromScaled(9800, 4) = %s, want 0.98", got)
	}
	if _, err := FromScaled(-1, 4); err == nil {
		t.Error("FromScaled(-1, 4) succeeded, want an error")
	}
}

func TestApplyMargin_roundsHalfUpToMinorUnit(t *testing.T) {
	cases := []struct {
		wholesale string
		currency  string
		margin    string
		want      string
	}{
		{"10.00", "USD", "25", "12.50"},
		{"0.98", "USD", "12.5", "1.10"},    // 1.1025 rounds down
		{"0.9850", "USD", "0", "0.99"},     // 0.985 rounds half-up
		{"1000", "JPY", "12.5", "1125"},    // no minor unit
		{"999", "JPY", "10", "1099"},       // 1098.9 rounds up
		{"1.2345", "KWD", "10", "1.358"},   // three decimals: 1.35795
		{"3.3333", "USD", "100", "6.67"},   // 6.6666 rounds up
		{"0.005", "USD", "0", "0.01"},      // exactly half a cent
		{"0.004999", "USD", "0", "0.00"},   // just under half a cent
		{"49.99", "EUR", "33.33", "66.65"}, // 66.651367
	}
	for _, c := range cases {
		amount, err := ParseAmount(c.wholesale)
		if err != nil {
			t.Fatal(err)
		}
		margin, err := ParsePercent(c.margin)
		if err != nil {
			t.Fatal(err)
		}
		got := ApplyMargin(New(amount, c.currency), margin)
		if text := got.Amount.Format(MinorUnitDigits(c.currency)); text != c.want {
			t.Errorf("ApplyMargin(%s %s, %s%%) = %s, want %s", c.wholesale, c.currency, c.margin, text, c.want)
		}
	}
}

func TestMoney_MinorUnits(t *testing.T) {
	cases := []struct {
		amount   string
		currency string
		want     int64
	}{
		{"12.50", "USD", 1250},
		{"1500", "JPY", 1500}, // not 150000: JPY has no minor unit
		{"1500", "KRW", 1500},
		{"1.234", "KWD", 1234},
	}
	for _, c := range cases {
		amount, _ := ParseAmount(c.amount)
		if got := New(amount, c.currency).MinorUnits(); got != c.want {
			t.Errorf("MinorUnits(%s %s) = %d, want %d", c.amount, c.currency, got, c.want)
		}
	}
}

func TestMoney_JSONUsesMinorDigits(t *testing.T) {
	amount, _ := ParseAmount("12.5")
	encoded, err := json.Marshal(New(amount, "usd"))
	if err != nil {
		t.Fatal(err)
	}
	if string(encoded) != `{"amount":"12.50","currency":"USD"}` {
		t.Errorf("JSON = %s", encoded)
	}
	yen, _ := ParseAmount("1500")
	encoded, _ = json.Marshal(New(yen, "JPY"))
	if string(encoded) != `{"amount":"1500","currency":"JPY"}` {
		t.Errorf("JSON = %s", encoded)
	}
}

func TestPrecise_keepsEveryDigit(t *testing.T) {
	amount, _ := ParseAmount("0.9850")
	encoded, _ := json.Marshal(Precise(New(amount, "USD")))
	if string(encoded) != `{"amount":"0.985","currency":"USD"}` {
		t.Errorf("JSON = %s", encoded)
	}
	var decoded Precise
	if err := json.Unmarshal(encoded, &decoded); err != nil {
		t.Fatal(err)
	}
	if decoded.Amount != amount {
		t.Errorf("round trip = %d, want %d", decoded.Amount, amount)
	}
}

func TestParsePercent(t *testing.T) {
	valid := map[string]Percent{"0": 0, "12.5": 1250, "100": 10000, "33.33": 3333}
	for text, want := range valid {
		got, err := ParsePercent(text)
		if err != nil || got != want {
			t.Errorf("ParsePercent(%q) = %d, %v; want %d", text, got, err, want)
		}
	}
	for _, text := range []string{"-1", "1.234", "", "1e2", "abc"} {
		if _, err := ParsePercent(text); err == nil {
			t.Errorf("ParsePercent(%q) succeeded, want an error", text)
		}
	}
	var fromJSON Percent
	if err := json.Unmarshal([]byte(`12.5`), &fromJSON); err != nil || fromJSON != 1250 {
		t.Errorf("unmarshal 12.5 = %d, %v", fromJSON, err)
	}
	if Percent(1250).String() != "12.5" || Percent(2000).String() != "20" {
		t.Errorf("String() = %s, %s", Percent(1250), Percent(2000))
	}
}

func TestApplyMargin_largeAmountDoesNotOverflow(t *testing.T) {
	amount, _ := ParseAmount("1000000000") // the largest amount ParseAmount accepts
	got := ApplyMargin(New(amount, "USD"), 10_000)
	if got.Amount.Format(2) != "2000000000.00" {
		t.Errorf("ApplyMargin(1e9 USD, 100%%) = %s", got.Amount.Format(2))
	}
}
