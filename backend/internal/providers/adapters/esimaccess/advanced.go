package esimaccess

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"

	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/providers/adapters"
)

// Keys of adapters.Settings.Advanced that this adapter reads.
const (
	AdvancedBalancePath     = "balance_path"
	AdvancedPackageListPath = "package_list_path"
	AdvancedPackageListBody = "package_list_body"
)

// DefaultAdvanced holds the built-in value of each advanced override, as
// documented for Open API v1. An empty or absent override uses these.
// Callers must not modify it.
var DefaultAdvanced = map[string]string{
	AdvancedBalancePath:     "/api/v1/open/balance/query",
	AdvancedPackageListPath: "/api/v1/open/package/list",
	AdvancedPackageListBody: `{"locationCode":"","type":"BASE","slug":"","packageCode":"","iccid":""}`,
}

// Fixed paths of the order calls, which have no override.
const (
	orderPath = "/api/v1/open/esim/order"
	queryPath = "/api/v1/open/esim/query"
)

// ValidateAdvanced checks the advanced overrides: only known keys, paths
// that start with "/" and have no query, whitespace or "..", and a body
// that is one JSON object. Empty values are valid and mean the default.
// It returns an *apperr.Error naming the field as "advanced.<key>".
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
		case AdvancedPackageListBody:
			if value != "" && !isJSONObject(value) {
				return apperr.Invalid(field, "invalid_body", key+" must be a JSON object")
			}
		default:
			return apperr.Invalid(field, "unknown_setting",
				"unknown advanced setting "+key+" for esim-access: use balance_path, package_list_path or package_list_body")
		}
	}
	return nil
}

func isJSONObject(value string) bool {
	var object map[string]json.RawMessage
	return json.Unmarshal([]byte(value), &object) == nil && object != nil
}

// compactBody removes insignificant whitespace, so that the signed bytes
// and the sent bytes are the same short body. The body was validated.
func compactBody(body string) []byte {
	var out bytes.Buffer
	if err := json.Compact(&out, []byte(body)); err != nil {
		return []byte(body)
	}
	return out.Bytes()
}
