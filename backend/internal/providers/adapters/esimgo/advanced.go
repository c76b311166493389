package esimgo

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

// DefaultAdvanced holds the built-in value of each advanced override, as
// documented for API v2.4. An empty or absent override uses these. Callers
// must not modify it.
var DefaultAdvanced = map[string]string{
	AdvancedBalancePath:     "/organisation",
	AdvancedPackageListPath: "/catalogue",
}

// Fixed paths of the order calls, which have no override.
const (
	ordersPath      = "/orders"
	assignmentsPath = "/esims/assignments"
)

// ValidateAdvanced checks the advanced overrides: only balance_path and
// package_list_path, each a path that starts with "/" and has no query,
// whitespace or "..". Empty values are valid and mean the default. It
// returns an *apperr.Error naming the field as "advanced.<key>".
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
				"unknown advanced setting "+key+" for esim-go: use balance_path or package_list_path")
		}
	}
	return nil
}
