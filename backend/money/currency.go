package money

// minorUnitDigits lists ISO 4217 currencies whose minor unit is not two
// digits. Source: ISO 4217 list one, as published by SIX (2024 edition).
var minorUnitDigits = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0,
	"KRW": 0, "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0,
	"XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"CLF": 4, "UYW": 4,
}

// MinorUnitDigits returns the number of decimals of currency's minor unit:
// 2 for USD and EUR, 0 for JPY and KRW, 3 for KWD.
func MinorUnitDigits(currency string) int {
	if digits, ok := minorUnitDigits[currency]; ok {
		return digits
	}
	return 2
}
