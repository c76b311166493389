package esimaccess

import (
	"errors"
	"fmt"
	"strings"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/money"
)

// daysPerMonth converts a duration in MONTH to days. eSIM Access documents
// DAY only, so a month is counted as 30 days.
const daysPerMonth = 30

// dataType values of eSIM Access packages.
const (
	dataTypeTotal          = 1 // one allowance for the whole validity
	dataTypeDailyThrottled = 2 // daily allowance, then slowed down
	dataTypeDailyCut       = 3 // daily allowance, then cut off
	dataTypeDailyUnlimited = 4 // unlimited every day
)

// rawPackage is one element of obj.packageList, with only the fields used.
type rawPackage struct {
	PackageCode  string `json:"packageCode"`
	Slug         string `json:"slug"`
	Name         string `json:"name"`
	Price        *int64 `json:"price"` // 1/10,000 of CurrencyCode
	CurrencyCode string `json:"currencyCode"`
	Volume       *int64 `json:"volume"`     // bytes; per day for day passes
	DataAmount   *int64 `json:"dataAmount"` // MB, in older responses without volume
	DataType     int    `json:"dataType"`
	Duration     int    `json:"duration"`
	DurationUnit string `json:"durationUnit"`
	Location     string `json:"location"`     // comma-separated ISO2 codes
	LocationCode string `json:"locationCode"` // ISO2, or a region code
	Networks     []struct {
		LocationCode string `json:"locationCode"`
		Operators    []struct {
			OperatorName string `json:"operatorName"`
		} `json:"operatorList"`
	} `json:"locationNetworkList"`
}

// toPackage converts units: price in 1/10,000 to money, volume in bytes to
// MB rounded to nearest, a duration in days or months to days. A package
// whose units cannot be read is an error, since guessing would misprice it.
func (r rawPackage) toPackage() (adapters.Package, error) {
	if r.PackageCode == "" {
		return adapters.Package{}, errors.New("packageCode is missing")
	}
	wholesale, err := r.wholesale()
	if err != nil {
		return adapters.Package{}, fmt.Errorf("package %s: %w", r.PackageCode, err)
	}
	pkg := adapters.Package{
		ProviderPackageID: r.PackageCode,
		Name:              r.Name,
		Wholesale:         wholesale,
		Operators:         r.operators(),
	}
	if err := r.fillData(&pkg); err != nil {
		return adapters.Package{}, fmt.Errorf("package %s: %w", r.PackageCode, err)
	}
	if pkg.ValidityDays, err = r.validityDays(); err != nil {
		return adapters.Package{}, fmt.Errorf("package %s: %w", r.PackageCode, err)
	}
	if err := r.fillCoverage(&pkg); err != nil {
		return adapters.Package{}, fmt.Errorf("package %s: %w", r.PackageCode, err)
	}
	return pkg, nil
}

func (r rawPackage) wholesale() (money.Money, error) {
	if r.Price == nil {
		return money.Money{}, errors.New("price is missing")
	}
	amount, err := money.FromScaled(*r.Price, priceDecimals)
	if err != nil {
		return money.Money{}, fmt.Errorf("price %d: %w", *r.Price, err)
	}
	currency := strings.ToUpper(strings.TrimSpace(r.CurrencyCode))
	if currency == "" {
		currency = "USD" // the only currency eSIM Access documents
	}
	if len(currency) != 3 || !isUpperLetters(currency) {
		return money.Money{}, fmt.Errorf("currencyCode %q is not an ISO 4217 code", r.CurrencyCode)
	}
	return money.New(amount, currency), nil
}

// fillData sets DataMB, Daily and Unlimited. For day passes (dataType 2
// to 4) the volume is the daily allowance.
func (r rawPackage) fillData(pkg *adapters.Package) error {
	dataType := r.DataType
	if dataType == 0 {
		dataType = dataTypeTotal
	}
	switch dataType {
	case dataTypeTotal:
	case dataTypeDailyThrottled, dataTypeDailyCut:
		pkg.Daily = true
	case dataTypeDailyUnlimited:
		pkg.Daily = true
		pkg.Unlimited = true
		return nil
	default:
		return fmt.Errorf("dataType %d is not 1 to 4", r.DataType)
	}

	switch {
	case r.Volume != nil:
		if *r.Volume <= 0 {
			return fmt.Errorf("volume %d bytes is not positive", *r.Volume)
		}
		pkg.DataMB = adapters.BytesToMB(*r.Volume)
	case r.DataAmount != nil:
		if *r.DataAmount <= 0 {
			return fmt.Errorf("dataAmount %d MB is not positive", *r.DataAmount)
		}
		pkg.DataMB = *r.DataAmount
	default:
		return errors.New("neither volume nor dataAmount is present")
	}
	return nil
}

func (r rawPackage) validityDays() (int, error) {
	if r.Duration <= 0 {
		return 0, fmt.Errorf("duration %d is not positive", r.Duration)
	}
	switch strings.ToUpper(r.DurationUnit) {
	case "DAY", "":
		return r.Duration, nil
	case "MONTH":
		return r.Duration * daysPerMonth, nil
	default:
		return 0, fmt.Errorf("durationUnit %q is neither DAY nor MONTH", r.DurationUnit)
	}
}

// fillCoverage sets Countries and, for a regional package, RegionCode and
// RegionName. A package is regional when it covers more than one country
// or its locationCode is not an ISO2 code.
func (r rawPackage) fillCoverage(pkg *adapters.Package) error {
	locationCode := strings.TrimSpace(r.LocationCode)
	pkg.Countries = r.countries(locationCode)

	single := len(pkg.Countries) <= 1 && (locationCode == "" || isISO2(strings.ToUpper(locationCode)))
	if single {
		if len(pkg.Countries) == 0 {
			return errors.New("neither location nor locationCode names a country")
		}
		return nil
	}
	pkg.RegionCode = locationCode
	if pkg.RegionCode == "" {
		// A slug such as "EU-20_5_30" starts with the region code.
		pkg.RegionCode, _, _ = strings.Cut(r.Slug, "_")
	}
	if pkg.RegionCode == "" {
		return errors.New("regional package has neither locationCode nor slug")
	}
	pkg.RegionName = regionName(r.Name, pkg.RegionCode)
	return nil
}

// countries reads location, falling back to an ISO2 locationCode (older
// responses) and then to the codes of locationNetworkList. Entries that are
// not ISO2 codes are skipped.
func (r rawPackage) countries(locationCode string) []string {
	var candidates []string
	switch {
	case strings.TrimSpace(r.Location) != "":
		candidates = strings.Split(r.Location, ",")
	case isISO2(strings.ToUpper(locationCode)):
		candidates = []string{locationCode}
	default:
		for _, network := range r.Networks {
			candidates = append(candidates, network.LocationCode)
		}
	}
	return uniqueUpperISO2(candidates)
}

func uniqueUpperISO2(candidates []string) []string {
	var codes []string
	seen := make(map[string]bool, len(candidates))
	for _, candidate := range candidates {
		code := strings.ToUpper(strings.TrimSpace(candidate))
		if !isISO2(code) || seen[code] {
			continue
		}
		seen[code] = true
		codes = append(codes, code)
	}
	return codes
}

func (r rawPackage) operators() []string {
	var names []string
	seen := map[string]bool{}
	for _, network := range r.Networks {
		for _, operator := range network.Operators {
			name := strings.TrimSpace(operator.OperatorName)
			if name == "" || seen[name] {
				continue
			}
			seen[name] = true
			names = append(names, name)
		}
	}
	return names
}

// regionName takes the package name up to its first word that starts with
// a digit, so "Europe (20 areas) 5GB 30Days" gives "Europe (20 areas)".
// It falls back to the region code.
func regionName(name, regionCode string) string {
	words := strings.Fields(name)
	end := len(words)
	for i, word := range words {
		if word[0] >= '0' && word[0] <= '9' {
			end = i
			break
		}
	}
	if end == 0 {
		return regionCode
	}
	return strings.Join(words[:end], " ")
}

func isISO2(code string) bool {
	return len(code) == 2 && isUpperLetters(code)
}

func isUpperLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
