package maya

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/text/language"
)

// syntheticPrefix starts the uid of every generated product; with ten
// digits after it a uid has Maya's 12 characters.
const syntheticPrefix = "SY"

// bytesPerMB is the factor of the samples between data_quota_mb and
// data_quota_bytes.
const bytesPerMB = 1 << 20

type country struct {
	code, name string // ISO 3166-1 alpha-3, as Maya sends countries
}

var syntheticCountries = []country{
	{"JPN", "Japan"}, {"USA", "USA"}, {"FRA", "France"}, {"DEU", "Germany"},
	{"GBR", "United Kingdom"}, {"ITA", "Italy"}, {"ESP", "Spain"}, {"THA", "Thailand"},
	{"TUR", "Turkey"}, {"SGP", "Singapore"}, {"KOR", "South Korea"}, {"AUS", "Australia"},
	{"CAN", "Canada"}, {"MEX", "Mexico"}, {"BRA", "Brazil"}, {"ARE", "UAE"},
	{"ZAF", "South Africa"}, {"IND", "India"}, {"IDN", "Indonesia"}, {"VNM", "Vietnam"},
}

type region struct {
	slug, name string
	countries  []string
}

var syntheticRegions = []region{
	{"europe", "Europe+", []string{"AUT", "BEL", "DEU", "ESP", "FRA", "GBR", "ITA", "NLD", "PRT"}},
	{"asia", "Asia", []string{"JPN", "KOR", "SGP", "THA", "IDN", "VNM"}},
	{"north-america", "North America", []string{"USA", "CAN", "MEX"}},
	{"global", "Global", []string{"USA", "JPN", "FRA", "DEU", "GBR", "AUS", "BRA", "ZAF", "ARE", "IND"}},
}

// regionCountries maps the region filter of GET /account/products to the
// countries it selects.
var regionCountries = func() map[string][]string {
	regions := make(map[string][]string, len(syntheticRegions))
	for _, r := range syntheticRegions {
		regions[r.slug] = r.countries
	}
	return regions
}()

var (
	syntheticGigabytes = []int64{1, 3, 5, 10, 20}
	syntheticDays      = []int{7, 15, 30}
)

// alpha3 returns the ISO 3166-1 alpha-3 code of a two- or three-letter
// code in any case, or the code upper-cased when it is unknown.
func alpha3(code string) string {
	region, err := language.ParseRegion(strings.TrimSpace(code))
	if err != nil || !region.IsCountry() {
		return strings.ToUpper(code)
	}
	return region.Canonicalize().ISO3()
}

// syntheticIndex reads the index out of a generated uid.
func syntheticIndex(uid string) (int, bool) {
	digits, ok := strings.CutPrefix(uid, syntheticPrefix)
	if !ok {
		return 0, false
	}
	index, err := strconv.Atoi(digits)
	return index, err == nil && index >= 0
}

// syntheticProduct generates product number index deterministically: out
// of ten, seven are single-country products, two regional ones and one an
// unlimited regional product.
func syntheticProduct(index int) Product {
	gigabytes := syntheticGigabytes[index%len(syntheticGigabytes)]
	days := syntheticDays[(index/len(syntheticGigabytes))%len(syntheticDays)]
	uid := fmt.Sprintf("%s%010d", syntheticPrefix, index)
	switch index % 10 {
	case 8, 9:
		r := syntheticRegions[(index/10)%len(syntheticRegions)]
		name := fmt.Sprintf("%s %dGB %d Days", r.name, gigabytes, days)
		cents := gigabytes*130 + int64(days)*3 + int64(index%5)
		return baseProduct(uid, name, r.countries, gigabytes*1000, days, 101, "Standard", cents)
	case 7:
		r := syntheticRegions[(index/10)%len(syntheticRegions)]
		name := fmt.Sprintf("%s Unlimited Max %d Days", r.name, days)
		cents := int64(days)*250 + int64(index%4)*10
		return baseProduct(uid, name, r.countries, 102400, days, 216,
			"Unlimited Max: 5GB per day at full speed, then 2 Mbps", cents)
	default:
		c := syntheticCountries[(index/10)%len(syntheticCountries)]
		name := fmt.Sprintf("%s %dGB %d Days", c.name, gigabytes, days)
		// 0.90 USD per GB plus 0.02 USD per day, and a few cents that vary
		// with the index so that prices differ.
		cents := gigabytes*90 + int64(days)*2 + int64(index%7)
		return baseProduct(uid, name, []string{c.code}, gigabytes*1000, days, 101, "Standard", cents)
	}
}

func baseProduct(uid, name string, countries []string, megabytes int64, days, policyID int, policyName string, cents int64) Product {
	bytes := megabytes * bytesPerMB
	return Product{
		UID:               uid,
		Name:              name,
		CountriesEnabled:  countries,
		DataQuotaMB:       &megabytes,
		DataQuotaBytes:    &bytes,
		ValidityDays:      days,
		PolicyID:          policyID,
		PolicyName:        policyName,
		WholesalePriceUSD: priceJSON(cents),
		RRPUSD:            formatCents(cents * 2),
	}
}

// priceJSON writes cents as Maya's decimal string, such as "4.10".
func priceJSON(cents int64) json.RawMessage {
	return json.RawMessage(strconv.Quote(formatCents(cents)))
}

func formatCents(cents int64) string {
	return fmt.Sprintf("%d.%02d", cents/100, cents%100)
}
