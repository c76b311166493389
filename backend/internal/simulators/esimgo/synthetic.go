package esimgo

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// syntheticMarker precedes the seven-digit index at the end of every
// generated bundle name, as in "esim_5GB_30D_JP_S0000012".
const syntheticMarker = "_S"

var syntheticCountries = []Country{
	{"Japan", "Asia", "JP"},
	{"United States", "North America", "US"},
	{"France", "Europe", "FR"},
	{"Germany", "Europe", "DE"},
	{"United Kingdom", "Europe", "GB"},
	{"Italy", "Europe", "IT"},
	{"Spain", "Europe", "ES"},
	{"Thailand", "Asia", "TH"},
	{"Turkey", "Europe", "TR"},
	{"Singapore", "Asia", "SG"},
	{"South Korea", "Asia", "KR"},
	{"Australia", "Oceania", "AU"},
	{"Canada", "North America", "CA"},
	{"Mexico", "North America", "MX"},
	{"Brazil", "South America", "BR"},
	{"United Arab Emirates", "Middle East", "AE"},
	{"South Africa", "Africa", "ZA"},
	{"India", "Asia", "IN"},
	{"Indonesia", "Asia", "ID"},
	{"Vietnam", "Asia", "VN"},
}

type syntheticRegion struct {
	code, name string
	countries  []string // ISO2 codes, all in syntheticCountries
}

var syntheticRegions = []syntheticRegion{
	{"REU", "Europe", []string{"FR", "DE", "GB", "IT", "ES"}},
	{"RAS", "Asia", []string{"JP", "KR", "SG", "TH", "ID", "VN"}},
	{"RNA", "North America", []string{"US", "CA", "MX"}},
}

var (
	syntheticGigabytes = []int64{1, 3, 5, 10, 20}
	syntheticDays      = []int{7, 15, 30}
)

// syntheticIndex reads the index out of a generated bundle name.
func syntheticIndex(name string) (int, bool) {
	at := strings.LastIndex(name, syntheticMarker)
	if at < 0 {
		return 0, false
	}
	digits := name[at+len(syntheticMarker):]
	if len(digits) != 7 {
		return 0, false
	}
	index, err := strconv.Atoi(digits)
	return index, err == nil && index >= 0
}

// syntheticBundle generates bundle number index deterministically: out of
// ten, seven are single-country bundles, one an unlimited plan and two
// regional bundles.
func syntheticBundle(index int) Bundle {
	gigabytes := syntheticGigabytes[index%len(syntheticGigabytes)]
	days := syntheticDays[(index/len(syntheticGigabytes))%len(syntheticDays)]
	suffix := fmt.Sprintf("%s%07d", syntheticMarker, index)
	switch index % 10 {
	case 8, 9:
		region := syntheticRegions[(index/10)%len(syntheticRegions)]
		countries := make([]Country, 0, len(region.countries))
		for _, code := range region.countries {
			countries = append(countries, countryByCode(code))
		}
		// 1.20 per GB plus 0.03 per day, in cents.
		cents := gigabytes*120 + int64(days)*3 + int64(index%5)
		return fixedBundle(fmt.Sprintf("esim_%dGB_%dD_%s%s", gigabytes, days, region.code, suffix),
			region.name, gigabytes, days, cents, countries, countries)
	case 7:
		country := syntheticCountries[(index/10)%len(syntheticCountries)]
		bundle := fixedBundle(fmt.Sprintf("esim_UL_%dD_%s%s", days, country.ISO, suffix),
			country.Name, 0, days, int64(days)*150+int64(index%4)*10, []Country{country}, []Country{})
		bundle.Description = fmt.Sprintf("eSIM, Unlimited Lite, %d Days, %s, V2", days, country.Name)
		bundle.Groups = []string{"Standard Unlimited Lite"}
		bundle.DataAmount = -1
		bundle.Unlimited = true
		return bundle
	default:
		country := syntheticCountries[(index/10)%len(syntheticCountries)]
		// 0.90 per GB plus 0.02 per day, in cents.
		cents := gigabytes*90 + int64(days)*2 + int64(index%7)
		return fixedBundle(fmt.Sprintf("esim_%dGB_%dD_%s%s", gigabytes, days, country.ISO, suffix),
			country.Name, gigabytes, days, cents, []Country{country}, []Country{})
	}
}

func fixedBundle(name, area string, gigabytes int64, days int, cents int64, countries, roaming []Country) Bundle {
	return Bundle{
		Name:           name,
		Description:    fmt.Sprintf("eSIM, %dGB, %d Days, %s, V2", gigabytes, days, area),
		Groups:         []string{"Standard Fixed"},
		Countries:      countries,
		DataAmount:     gigabytes * 1000, // eSIM Go counts 1000 MB per GB
		Duration:       days,
		Speed:          []string{"4G", "5G"},
		Autostart:      true,
		RoamingEnabled: roaming,
		Price:          json.Number(fmt.Sprintf("%d.%02d", cents/100, cents%100)),
		BillingType:    "FixedCost",
	}
}

func countryByCode(code string) Country {
	for _, country := range syntheticCountries {
		if country.ISO == code {
			return country
		}
	}
	return Country{Name: code, ISO: code}
}
