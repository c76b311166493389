package maya

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/text/language"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/money"
)

// rawProduct is one element of products[], with only the fields used.
type rawProduct struct {
	UID               string          `json:"uid"`
	Name              string          `json:"name"`
	CountriesEnabled  []string        `json:"countries_enabled"`
	DataQuotaMB       *int64          `json:"data_quota_mb"`
	DataQuotaBytes    *int64          `json:"data_quota_bytes"`
	ValidityDays      *int            `json:"validity_days"`
	PolicyName        string          `json:"policy_name"`
	WholesalePriceUSD json.RawMessage `json:"wholesale_price_usd"` // decimal string, such as "4.10"
}

// toPackage converts units: the price from a decimal USD string, the quota
// from bytes (or MB) to MB, and three-letter country codes to ISO2. A
// product whose price, quota or validity cannot be read is an error,
// since guessing would misprice it.
func (r rawProduct) toPackage() (adapters.Package, error) {
	if strings.TrimSpace(r.UID) == "" {
		return adapters.Package{}, errors.New("uid is missing")
	}
	wholesale, err := r.wholesale()
	if err != nil {
		return adapters.Package{}, fmt.Errorf("product %s: %w", r.UID, err)
	}
	pkg := adapters.Package{
		ProviderPackageID: r.UID,
		Name:              r.Name,
		Wholesale:         wholesale,
	}
	if err := r.fillData(&pkg); err != nil {
		return adapters.Package{}, fmt.Errorf("product %s: %w", r.UID, err)
	}
	if r.ValidityDays == nil || *r.ValidityDays <= 0 {
		return adapters.Package{}, fmt.Errorf("product %s: validity_days is missing or not positive", r.UID)
	}
	pkg.ValidityDays = *r.ValidityDays
	if err := r.fillCoverage(&pkg); err != nil {
		return adapters.Package{}, fmt.Errorf("product %s: %w", r.UID, err)
	}
	return pkg, nil
}

func (r rawProduct) wholesale() (money.Money, error) {
	text, ok := decimalText(r.WholesalePriceUSD)
	if !ok {
		return money.Money{}, errors.New("wholesale_price_usd is missing")
	}
	amount, err := money.ParseAmount(text)
	if err != nil {
		return money.Money{}, fmt.Errorf("wholesale_price_usd %q: %w", text, err)
	}
	return money.New(amount, "USD"), nil
}

// decimalText returns the text of a decimal sent as a JSON string or a
// JSON number, without going through a float.
func decimalText(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", false
	}
	if raw[0] == '"' {
		text, err := strconv.Unquote(string(raw))
		return strings.TrimSpace(text), err == nil && strings.TrimSpace(text) != ""
	}
	var number json.Number
	if err := json.Unmarshal(raw, &number); err != nil {
		return "", false
	}
	return number.String(), true
}

// fillData sets DataMB and Unlimited. Maya has no unlimited flag: the word
// "unlimited" in the name or the policy marks such plans, whose quota is
// the high-speed allowance and not the volume sold.
func (r rawProduct) fillData(pkg *adapters.Package) error {
	if containsFold(r.Name, "unlimited") || containsFold(r.PolicyName, "unlimited") {
		pkg.Unlimited = true
		return nil
	}
	switch {
	case r.DataQuotaBytes != nil:
		if *r.DataQuotaBytes <= 0 {
			return fmt.Errorf("data_quota_bytes %d is not positive", *r.DataQuotaBytes)
		}
		// NOTE: whether Maya counts 10^6 or 2^20 bytes per MB is not public.
		// Its samples use 2^20 between data_quota_mb and data_quota_bytes,
		// which is adapters.BytesPerMB.
		pkg.DataMB = adapters.BytesToMB(*r.DataQuotaBytes)
	case r.DataQuotaMB != nil:
		if *r.DataQuotaMB <= 0 {
			return fmt.Errorf("data_quota_mb %d is not positive", *r.DataQuotaMB)
		}
		pkg.DataMB = *r.DataQuotaMB
	default:
		return errors.New("neither data_quota_bytes nor data_quota_mb is present")
	}
	return nil
}

// fillCoverage sets Countries and, for a product covering more than one
// country, RegionCode and RegionName. Maya's products carry no region, so
// both come from the product name: "Europe+ 10GB 30 Days" is region
// "Europe+" with code "europe-plus".
func (r rawProduct) fillCoverage(pkg *adapters.Package) error {
	pkg.Countries = countryCodes(r.CountriesEnabled)
	if len(pkg.Countries) == 0 {
		return fmt.Errorf("countries_enabled %q has no known country code", r.CountriesEnabled)
	}
	if len(pkg.Countries) == 1 {
		return nil
	}
	pkg.RegionName = regionName(r.Name)
	pkg.RegionCode = slug(pkg.RegionName)
	if pkg.RegionCode == "" {
		pkg.RegionName = "Multi-country"
		pkg.RegionCode = "multi-" + strings.ToLower(r.UID)
	}
	return nil
}

// countryCodes converts two- and three-letter codes in any case to
// upper-case ISO 3166-1 alpha-2, skipping codes that name no country and
// repeats.
func countryCodes(codes []string) []string {
	var iso2 []string
	seen := make(map[string]bool, len(codes))
	for _, code := range codes {
		region, err := language.ParseRegion(strings.TrimSpace(code))
		if err != nil || !region.IsCountry() {
			continue
		}
		alpha2 := region.Canonicalize().String() // "UK" becomes "GB"
		if len(alpha2) != 2 || seen[alpha2] {
			continue
		}
		seen[alpha2] = true
		iso2 = append(iso2, alpha2)
	}
	return iso2
}

// regionName takes the product name up to its first word that starts with
// a digit or reads "unlimited", so "Europe+ Unlimited Standard 7 Days"
// gives "Europe+".
func regionName(name string) string {
	words := strings.Fields(name)
	end := len(words)
	for i, word := range words {
		if (word[0] >= '0' && word[0] <= '9') || strings.EqualFold(word, "unlimited") {
			end = i
			break
		}
	}
	return strings.Join(words[:end], " ")
}

// slug lower-cases name, spells "+" as "plus" and joins the words with
// dashes.
func slug(name string) string {
	var out strings.Builder
	dash := false
	for _, r := range strings.ReplaceAll(strings.ToLower(name), "+", " plus ") {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if dash && out.Len() > 0 {
				out.WriteByte('-')
			}
			dash = false
			out.WriteRune(r)
		default:
			dash = true
		}
	}
	return out.String()
}

func containsFold(text, word string) bool {
	return strings.Contains(strings.ToLower(text), word)
}
