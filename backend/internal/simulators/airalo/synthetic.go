package airalo

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// packagesPerDestination groups synthetic packages: destination d holds
// packages 10d to 10d+9.
const packagesPerDestination = 10

// Prefixes of generated slugs and package ids, followed by the index.
const (
	syntheticSlugPrefix    = "synthetic-destination-"
	syntheticPackagePrefix = "synthetic-package-"
)

type syntheticCountry struct {
	code, name, operator string
}

var syntheticCountries = []syntheticCountry{
	{"JP", "Japan", "Sakura Link"},
	{"US", "United States", "Prairie Mobile"},
	{"FR", "France", "Lumière Télécom"},
	{"DE", "Germany", "Rhein Netz"},
	{"GB", "United Kingdom", "Thames Connect"},
	{"IT", "Italy", "Vespa Mobile"},
	{"ES", "Spain", "Sol Datos"},
	{"TH", "Thailand", "Chao Phraya Cell"},
	{"TR", "Turkey", "Bosphorus GSM"},
	{"SG", "Singapore", "Merlion Net"},
	{"KR", "South Korea", "Han River Mobile"},
	{"AU", "Australia", "Outback Wireless"},
}

type syntheticRegion struct {
	slug, title, operator string
	countries             []string
}

var syntheticRegions = []syntheticRegion{
	{"europe", "Europe", "Continent Link", []string{"DE", "ES", "FR", "GB", "IT"}},
	{"asia", "Asia", "Silk Route Data", []string{"JP", "KR", "SG", "TH"}},
	{"world", "Discover Global", "Orbit Roam", []string{"AU", "FR", "JP", "US"}},
}

var (
	syntheticGigabytes = []int64{1, 3, 5, 10, 20}
	syntheticDays      = []int{7, 15, 30}
)

// syntheticDestinations returns the number of destinations that hold the
// given number of synthetic packages.
func syntheticDestinations(packages int) int {
	return (packages + packagesPerDestination - 1) / packagesPerDestination
}

func syntheticSlug(index int) string {
	return syntheticSlugPrefix + strconv.Itoa(index)
}

func syntheticDestinationIndex(slug string) (int, bool) {
	return indexAfter(slug, syntheticSlugPrefix)
}

func syntheticPackageIndex(id string) (int, bool) {
	return indexAfter(id, syntheticPackagePrefix)
}

func indexAfter(value, prefix string) (int, bool) {
	digits, ok := strings.CutPrefix(value, prefix)
	if !ok {
		return 0, false
	}
	index, err := strconv.Atoi(digits)
	return index, err == nil && index >= 0
}

// syntheticHeader returns the slug and country code of destination index
// without generating it. Every fifth destination is regional.
func syntheticHeader(index int) (string, string) {
	if index%5 == 4 {
		return syntheticSlug(index), ""
	}
	return syntheticSlug(index), syntheticCountries[index%len(syntheticCountries)].code
}

// syntheticDestination generates destination index deterministically with
// its share of the total synthetic packages: out of ten, one is unlimited
// and one adds voice and text.
func syntheticDestination(index, total int) Destination {
	destination := Destination{Slug: syntheticSlug(index)}
	operator := Operator{
		ID:               int64(100_000 + index),
		Style:            "light",
		GradientStart:    "#ffffff",
		GradientEnd:      "#eeeeee",
		IsPrepaid:        false,
		ESIMType:         "Prepaid",
		APNType:          "automatic",
		IsRoaming:        true,
		Info:             []string{"Synthetic data-only eSIM."},
		PlanType:         "data",
		ActivationPolicy: "first-usage",
		Rechargeability:  true,
	}
	var coverage string
	if index%5 == 4 {
		region := syntheticRegions[(index/5)%len(syntheticRegions)]
		destination.Title = region.title
		operator.Type = "global"
		operator.Title = region.operator
		for _, code := range region.countries {
			operator.Countries = append(operator.Countries, Country{CountryCode: code, Title: code})
		}
		coverage = region.title
	} else {
		country := syntheticCountries[index%len(syntheticCountries)]
		destination.Title = country.name
		destination.CountryCode = country.code
		operator.Type = "local"
		operator.Title = country.operator
		operator.Countries = []Country{{CountryCode: country.code, Title: country.name}}
		coverage = country.name
	}
	for i := index * packagesPerDestination; i < min((index+1)*packagesPerDestination, total); i++ {
		operator.Packages = append(operator.Packages, syntheticPackage(i, operator.Title, coverage))
	}
	destination.Operators = []Operator{operator}
	return destination
}

func syntheticPackage(index int, operatorTitle, coverage string) Package {
	gigabytes := syntheticGigabytes[index%len(syntheticGigabytes)]
	days := syntheticDays[(index/len(syntheticGigabytes))%len(syntheticDays)]
	installation := "<p><b>eSIM name:</b> " + operatorTitle + "</p><p><b>Coverage: </b>" + coverage + "</p>"
	pkg := Package{
		ID:                 syntheticPackagePrefix + strconv.Itoa(index),
		Type:               "sim",
		Amount:             gigabytes * 1024,
		Day:                days,
		Title:              fmt.Sprintf("%d GB - %d Days", gigabytes, days),
		QRInstallation:     installation,
		ManualInstallation: installation,
		Data:               fmt.Sprintf("%d GB", gigabytes),
	}

	switch index % packagesPerDestination {
	case 9:
		pkg.Amount = 0
		pkg.IsUnlimited = true
		pkg.Data = "Unlimited"
		pkg.Title = fmt.Sprintf("Unlimited - %d Days", days)
	case 8:
		voice, text := 100, 50
		pkg.Voice, pkg.Text = &voice, &text
		pkg.Title = fmt.Sprintf("%d GB - %d SMS - %d Mins - %d Days", gigabytes, text, voice, days)
	}

	// The net price is 0.90 USD per GB plus 0.02 USD per day, plus a few
	// cents that vary with the index so that prices differ. The retail price
	// is 1.5 times the net price.
	netCents := gigabytes*90 + int64(days)*2 + int64(index%7)
	pkg.NetPrice = centsNumber(netCents)
	pkg.Price = centsNumber(netCents * 3 / 2)
	pkg.Prices = json.RawMessage(fmt.Sprintf(`{"net_price":{"USD":%s},"recommended_retail_price":{"USD":%s}}`,
		pkg.NetPrice, pkg.Price))
	return pkg
}

// centsNumber writes cents as a decimal JSON number such as 4.5 or 13.
func centsNumber(cents int64) json.Number {
	text := fmt.Sprintf("%d.%02d", cents/100, cents%100)
	text = strings.TrimSuffix(strings.TrimRight(text, "0"), ".")
	return json.Number(text)
}
