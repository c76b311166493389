package esimaccess

import (
	"fmt"
	"strconv"
	"strings"
)

// syntheticPrefix starts the packageCode of every generated package.
const syntheticPrefix = "PSYN"

type country struct {
	code, name string
	operators  []string
}

var syntheticCountries = []country{
	{"JP", "Japan", []string{"SoftBank", "KDDI"}},
	{"US", "United States", []string{"T-Mobile", "AT&T"}},
	{"FR", "France", []string{"Orange", "SFR"}},
	{"DE", "Germany", []string{"Telekom", "Vodafone"}},
	{"GB", "United Kingdom", []string{"EE", "Three"}},
	{"IT", "Italy", []string{"TIM", "WindTre"}},
	{"ES", "Spain", []string{"Movistar", "Orange"}},
	{"TH", "Thailand", []string{"AIS", "dtac"}},
	{"TR", "Turkey", []string{"Turkcell"}},
	{"SG", "Singapore", []string{"Singtel"}},
	{"KR", "South Korea", []string{"SK Telecom", "KT"}},
	{"AU", "Australia", []string{"Telstra", "Optus"}},
	{"CA", "Canada", []string{"Rogers", "Bell"}},
	{"MX", "Mexico", []string{"Telcel"}},
	{"BR", "Brazil", []string{"Vivo", "Claro"}},
	{"AE", "United Arab Emirates", []string{"Etisalat", "du"}},
	{"ZA", "South Africa", []string{"Vodacom", "MTN"}},
	{"IN", "India", []string{"Airtel", "Jio"}},
	{"ID", "Indonesia", []string{"Telkomsel"}},
	{"VN", "Vietnam", []string{"Viettel"}},
}

type region struct {
	code, name string
	countries  []string
}

var syntheticRegions = []region{
	{"EU-7", "Europe", []string{"FR", "DE", "GB", "IT", "ES", "NL", "PT"}},
	{"AS-6", "Asia", []string{"JP", "KR", "SG", "TH", "ID", "VN"}},
	{"NA-3", "North America", []string{"US", "CA", "MX"}},
	{"GL-12", "Global", []string{"US", "JP", "FR", "DE", "GB", "AU", "BR", "ZA", "AE", "IN", "SG", "CA"}},
}

var (
	syntheticGigabytes = []int64{1, 3, 5, 10, 20}
	syntheticDays      = []int{7, 15, 30}
)

// syntheticIndex reads the index out of a generated packageCode.
func syntheticIndex(code string) (int, bool) {
	digits, ok := strings.CutPrefix(code, syntheticPrefix)
	if !ok {
		return 0, false
	}
	index, err := strconv.Atoi(digits)
	return index, err == nil && index >= 0
}

// syntheticPackage generates package number index deterministically: out
// of ten, seven are single-country plans, two regional plans and one a
// day pass.
func syntheticPackage(index int) Package {
	gigabytes := syntheticGigabytes[index%len(syntheticGigabytes)]
	days := syntheticDays[(index/len(syntheticGigabytes))%len(syntheticDays)]
	code := fmt.Sprintf("%s%07d", syntheticPrefix, index)
	switch index % 10 {
	case 8, 9:
		return regionalPackage(code, index, gigabytes, days)
	case 7:
		return dayPass(code, index)
	default:
		return countryPackage(code, index, gigabytes, days)
	}
}

// planTier names the generated variants of one country, size and validity,
// so that a large synthetic catalog has no two packages a customer cannot
// tell apart.
func planTier(index, places int) string {
	tiers := []string{"", " Plus", " Max", " Pro", " Flex", " Go"}
	cycle := index / (10 * places)
	if cycle < len(tiers) {
		return tiers[cycle]
	}
	return fmt.Sprintf(" Edition %d", cycle+1)
}

func countryPackage(code string, index int, gigabytes int64, days int) Package {
	c := syntheticCountries[(index/10)%len(syntheticCountries)]
	name := fmt.Sprintf("%s %dGB %dDays%s", c.name, gigabytes, days, planTier(index, len(syntheticCountries)))
	// 0.90 USD per GB plus 0.02 USD per day, and a few cents that vary with
	// the index so that prices differ.
	price := gigabytes*9000 + int64(days)*200 + int64(index%7)*100
	return basePackage(code, c.code+"_"+strconv.FormatInt(gigabytes, 10)+"_"+strconv.Itoa(days),
		name, price, gigabytes<<30, 1, days, []string{c.code}, c.code)
}

func regionalPackage(code string, index int, gigabytes int64, days int) Package {
	r := syntheticRegions[(index/10)%len(syntheticRegions)]
	name := fmt.Sprintf("%s (%d areas) %dGB %dDays%s", r.name, len(r.countries), gigabytes, days, planTier(index, len(syntheticRegions)))
	price := gigabytes*12000 + int64(days)*300 + int64(index%5)*100
	return basePackage(code, r.code+"_"+strconv.FormatInt(gigabytes, 10)+"_"+strconv.Itoa(days),
		name, price, gigabytes<<30, 1, days, r.countries, r.code)
}

func dayPass(code string, index int) Package {
	c := syntheticCountries[(index/10)%len(syntheticCountries)]
	name := c.name + " 1GB/Day" + planTier(index, len(syntheticCountries))
	return basePackage(code, c.code+"_1_Daily", name, 8000+int64(index%4)*500, 1<<30, 2, 1, []string{c.code}, c.code)
}

func basePackage(code, slug, name string, price, volume int64, dataType, days int, countries []string, locationCode string) Package {
	location := strings.Join(countries, ",")
	networks := make([]Location, 0, len(countries))
	for _, countryCode := range countries {
		networks = append(networks, networkOf(countryCode))
	}
	return Package{
		PackageCode:         code,
		Slug:                slug,
		Name:                name,
		Price:               price,
		CurrencyCode:        "USD",
		Volume:              &volume,
		DataType:            dataType,
		UnusedValidTime:     180,
		Duration:            days,
		DurationUnit:        "DAY",
		Location:            &location,
		LocationCode:        locationCode,
		Description:         name,
		ActiveType:          2,
		RetailPrice:         price * 2,
		Speed:               "4G/5G",
		IPExport:            countries[0],
		SupportTopUpType:    2,
		LocationNetworkList: networks,
	}
}

func networkOf(code string) Location {
	location := Location{LocationCode: code, LocationName: code}
	for _, c := range syntheticCountries {
		if c.code == code {
			location.LocationName = c.name
			for _, name := range c.operators {
				location.OperatorList = append(location.OperatorList, Operator{OperatorName: name, NetworkType: "4G"})
			}
			return location
		}
	}
	location.OperatorList = []Operator{{OperatorName: "Vodafone", NetworkType: "4G"}}
	return location
}
