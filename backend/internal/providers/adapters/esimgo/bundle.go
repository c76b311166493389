package esimgo

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/money"
)

// rawCountry is one entry of a bundle's countries or roamingEnabled.
type rawCountry struct {
	Name   string `json:"name"`
	Region string `json:"region"`
	ISO    string `json:"iso"`
}

// rawBundle is one element of the catalogue's bundles, with only the
// fields used.
type rawBundle struct {
	Name           string       `json:"name"` // the id to order with, case-sensitive
	Description    string       `json:"description"`
	Countries      []rawCountry `json:"countries"`
	DataAmount     *json.Number `json:"dataAmount"` // MB; -1 or 0 when unlimited
	Duration       *json.Number `json:"duration"`   // days
	Unlimited      bool         `json:"unlimited"`
	RoamingEnabled []rawCountry `json:"roamingEnabled"`
	Price          *json.Number `json:"price"`    // decimal, in the organisation currency
	Currency       string       `json:"currency"` // not documented; the organisation's when absent
}

// toPackage converts a bundle to esimScan's units. dataAmount is already in
// MB (a "1GB" bundle has 1000), so it is kept as is. An unlimited bundle is
// recognised by its flag alone, because its dataAmount is -1 in some
// responses and 0 in others. Operators stays empty because catalogue
// bundles carry no operator names. A bundle whose units cannot be read is
// an error, since guessing would misprice it.
func (r rawBundle) toPackage(currency string) (adapters.Package, error) {
	if r.Name == "" {
		return adapters.Package{}, errors.New("name is missing")
	}
	wholesale, err := r.wholesale(currency)
	if err != nil {
		return adapters.Package{}, fmt.Errorf("bundle %s: %w", r.Name, err)
	}
	pkg := adapters.Package{
		ProviderPackageID: r.Name,
		Name:              r.displayName(),
		Unlimited:         r.Unlimited,
		Wholesale:         wholesale,
	}
	if !r.Unlimited {
		if pkg.DataMB, err = r.dataMB(); err != nil {
			return adapters.Package{}, fmt.Errorf("bundle %s: %w", r.Name, err)
		}
	}
	if pkg.ValidityDays, err = r.validityDays(); err != nil {
		return adapters.Package{}, fmt.Errorf("bundle %s: %w", r.Name, err)
	}
	if err := r.fillCoverage(&pkg); err != nil {
		return adapters.Package{}, fmt.Errorf("bundle %s: %w", r.Name, err)
	}
	return pkg, nil
}

func (r rawBundle) displayName() string {
	if name := strings.TrimSpace(r.Description); name != "" {
		return name
	}
	return r.Name
}

func (r rawBundle) wholesale(currency string) (money.Money, error) {
	if r.Price == nil {
		return money.Money{}, errors.New("price is missing")
	}
	amount, err := parseAmount(*r.Price)
	if err != nil {
		return money.Money{}, fmt.Errorf("price: %w", err)
	}
	if code := strings.ToUpper(strings.TrimSpace(r.Currency)); code != "" {
		if !isCurrencyCode(code) {
			return money.Money{}, fmt.Errorf("currency %q is not an ISO 4217 code", r.Currency)
		}
		currency = code
	}
	return money.New(amount, currency), nil
}

func (r rawBundle) dataMB() (int64, error) {
	if r.DataAmount == nil {
		return 0, errors.New("dataAmount is missing and unlimited is false")
	}
	megabytes, err := parseWhole(*r.DataAmount)
	if err != nil {
		return 0, fmt.Errorf("dataAmount: %w", err)
	}
	if megabytes <= 0 {
		return 0, fmt.Errorf("dataAmount %d MB is not positive and unlimited is false", megabytes)
	}
	return megabytes, nil
}

func (r rawBundle) validityDays() (int, error) {
	if r.Duration == nil {
		return 0, errors.New("duration is missing")
	}
	days, err := parseWhole(*r.Duration)
	if err != nil {
		return 0, fmt.Errorf("duration: %w", err)
	}
	if days <= 0 || days > 3660 {
		return 0, fmt.Errorf("duration %d days is not between 1 and 3660", days)
	}
	return int(days), nil
}

// fillCoverage sets Countries to the ISO2 codes of countries followed by
// those of roamingEnabled, and, when that covers more than one country,
// RegionCode and RegionName.
func (r rawBundle) fillCoverage(pkg *adapters.Package) error {
	pkg.Countries = uniqueISO2(r.Countries, r.RoamingEnabled)
	if len(pkg.Countries) == 0 {
		return errors.New("countries has no ISO 3166-1 alpha-2 code")
	}
	if len(pkg.Countries) == 1 {
		return nil
	}
	pkg.RegionCode, pkg.RegionName = r.region()
	return nil
}

// region reads the region of a multi-country bundle from the naming
// pattern "esim_10GB_30D_REUP_V2" and the description "eSIM, 10GB, 30 Days,
// Europe+, V2", falling back to the region its countries share, and then
// to the bundle name.
func (r rawBundle) region() (code, name string) {
	parts := strings.Split(r.Name, "_")
	if len(parts) >= 5 && strings.EqualFold(parts[0], "esim") {
		code = strings.ToUpper(parts[3])
	}
	fields := strings.Split(r.Description, ",")
	if len(fields) >= 5 {
		name = strings.TrimSpace(fields[3])
	}
	shared := r.sharedRegion()
	if name == "" {
		name = shared
	}
	if code == "" && shared != "" {
		code = strings.ToUpper(strings.Join(strings.Fields(shared), "-"))
	}
	if code == "" {
		code = r.Name
	}
	if name == "" {
		name = code
	}
	return code, name
}

// sharedRegion returns the region named by every country, or "".
func (r rawBundle) sharedRegion() string {
	shared := ""
	for _, country := range append(append([]rawCountry(nil), r.Countries...), r.RoamingEnabled...) {
		region := strings.TrimSpace(country.Region)
		switch {
		case region == "":
			return ""
		case shared == "":
			shared = region
		case !strings.EqualFold(shared, region):
			return ""
		}
	}
	return shared
}

func uniqueISO2(lists ...[]rawCountry) []string {
	var codes []string
	seen := map[string]bool{}
	for _, list := range lists {
		for _, country := range list {
			code := strings.ToUpper(strings.TrimSpace(country.ISO))
			if len(code) != 2 || !isUpperLetters(code) || seen[code] {
				continue
			}
			seen[code] = true
			codes = append(codes, code)
		}
	}
	return codes
}
