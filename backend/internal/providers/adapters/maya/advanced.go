package maya

import (
	"sort"
	"strings"

	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/providers/adapters"
)

// Keys of adapters.Settings.Advanced that this adapter reads.
const (
	AdvancedBalancePath     = "balance_path"
	AdvancedPackageListPath = "package_list_path"
)

// DefaultAdvanced holds the built-in value of each advanced override,
// relative to the base URL https://api.maya.net/connectivity/v1. An empty
// or absent override uses these. Callers must not modify it.
//
// NOTE: only one public integration calls the balance path, and Maya may
// bill by usage with no prepaid balance at all, which is why Balance falls
// back to the product list when the default path returns 404.
var DefaultAdvanced = map[string]string{
	AdvancedBalancePath:     "/account/balance",
	AdvancedPackageListPath: "/account/products",
}

// Fixed paths of the order calls, which have no override.
const (
	customerPath = "/customer"
	esimPath     = "/esim"
)

// ValidateAdvanced checks the advanced overrides: only known keys, and
// paths that start with "/" and have no query, whitespace or "..". Empty
// values are valid and mean the default. It returns an *apperr.Error
// naming the field as "advanced.<key>".
func ValidateAdvanced(adv map[string]string) error {
	keys := make([]string, 0, len(adv))
	for key := range adv {
		keys = append(keys, key)
	}
	sort.Strings(keys) // report the same field first on every run

	for _, key := range keys {
		value := strings.TrimSpace(adv[key])
		field := "advanced." + key
		switch key {
		case AdvancedBalancePath, AdvancedPackageListPath:
			if value != "" && !adapters.ValidAdvancedPath(value) {
				return apperr.Invalid(field, "invalid_path",
					key+" must start with / and contain no query, spaces or ..")
			}
		default:
			return apperr.Invalid(field, "unknown_setting",
				"unknown advanced setting "+key+" for maya: use balance_path or package_list_path")
		}
	}
	return nil
}
