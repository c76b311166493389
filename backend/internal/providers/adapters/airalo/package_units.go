package airalo

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/money"
)

// packageTypeTopup marks a top-up of an existing eSIM, listed only with
// include=topup.
const packageTypeTopup = "topup"

// rawDestination is one element of data in GET /packages, with only the
// fields used.
type rawDestination struct {
	Slug        string        `json:"slug"`
	CountryCode string        `json:"country_code"` // empty for regional and global
	Title       string        `json:"title"`
	Operators   []rawOperator `json:"operators"`
}

type rawOperator struct {
	Title     string `json:"title"`
	Type      string `json:"type"` // local or global
	Countries []struct {
		CountryCode string `json:"country_code"`
	} `json:"countries"`
	Packages []rawPackage `json:"packages"`
}

type rawPackage struct {
	ID          string      `json:"id"`
	Type        string      `json:"type"` // sim or topup
	Amount      flexInt     `json:"amount"`
	Day         flexInt     `json:"day"`
	IsUnlimited bool        `json:"is_unlimited"`
	Title       string      `json:"title"`
	NetPrice    json.Number `json:"net_price"`
}

// toPackage converts one Airalo package to esimScan's units. Airalo counts
// data in MB of 1024 per GB, which is esimScan's MB, and validity in days.
// The wholesale price is net_price, a decimal number of USD. A package
// whose units cannot be read is an error, since guessing would misprice it.
func toPackage(destination rawDestination, operator rawOperator, raw rawPackage, pricingModel string) (adapters.Package, error) {
	if raw.ID == "" {
		return adapters.Package{}, errors.New("a package has no id")
	}
	wholesale, err := raw.wholesale(pricingModel)
	if err != nil {
		return adapters.Package{}, fmt.Errorf("package %s: %w", raw.ID, err)
	}
	pkg := adapters.Package{
		ProviderPackageID: raw.ID,
		Name:              strings.TrimSpace(operator.Title + " " + raw.Title),
		Wholesale:         wholesale,
	}
	if title := strings.TrimSpace(operator.Title); title != "" {
		pkg.Operators = []string{title}
	}
	// Airalo trusts is_unlimited: one published unlimited package has a
	// non-zero amount.
	if raw.IsUnlimited {
		pkg.Unlimited = true
	} else {
		if !raw.Amount.Set || raw.Amount.Value <= 0 {
			return adapters.Package{}, fmt.Errorf("package %s: amount %d MB is not positive and is_unlimited is false",
				raw.ID, raw.Amount.Value)
		}
		pkg.DataMB = raw.Amount.Value
	}
	if !raw.Day.Set || raw.Day.Value <= 0 {
		return adapters.Package{}, fmt.Errorf("package %s: day %d is not a positive number of days", raw.ID, raw.Day.Value)
	}
	pkg.ValidityDays = int(raw.Day.Value)

	pkg.Countries = coveredCountries(destination, operator)
	if len(pkg.Countries) == 0 {
		return adapters.Package{}, fmt.Errorf("package %s: neither the destination nor the operator names a country", raw.ID)
	}
	if strings.TrimSpace(destination.CountryCode) == "" {
		// Regional and worldwide destinations have an empty country_code
		// and a slug such as "europe" or "world".
		pkg.RegionCode = destination.Slug
		pkg.RegionName = destination.Title
		if pkg.RegionName == "" {
			pkg.RegionName = destination.Slug
		}
		if pkg.RegionCode == "" {
			return adapters.Package{}, fmt.Errorf("package %s: regional destination has no slug", raw.ID)
		}
	}
	return pkg, nil
}

func (r rawPackage) wholesale(pricingModel string) (money.Money, error) {
	if r.NetPrice == "" {
		// Only net_pricing is documented; under another model net_price may
		// be missing, and the retail price is not what esimScan pays.
		return money.Money{}, fmt.Errorf("net_price is missing (pricing model %q)", shorten(pricingModel))
	}
	amount, err := parseDecimal(r.NetPrice)
	if err != nil {
		return money.Money{}, fmt.Errorf("net_price: %w", err)
	}
	return money.New(amount, "USD"), nil
}

// coveredCountries returns the operator's countries, upper case and
// without duplicates, falling back to the destination's country code.
// Entries that are not ISO 3166-1 alpha-2 codes are skipped.
func coveredCountries(destination rawDestination, operator rawOperator) []string {
	candidates := make([]string, 0, len(operator.Countries)+1)
	for _, country := range operator.Countries {
		candidates = append(candidates, country.CountryCode)
	}
	if len(candidates) == 0 {
		candidates = append(candidates, destination.CountryCode)
	}
	var codes []string
	seen := make(map[string]bool, len(candidates))
	for _, candidate := range candidates {
		code := strings.ToUpper(strings.TrimSpace(candidate))
		if len(code) != 2 || !isUpperLetters(code) || seen[code] {
			continue
		}
		seen[code] = true
		codes = append(codes, code)
	}
	return codes
}
