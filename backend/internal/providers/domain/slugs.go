package domain

import "slices"

// Maya's auth modes: "basic" sends api_key and api_secret with HTTP Basic
// authentication, "bearer" sends api_key alone as a bearer token.
const (
	AuthModeBasic  = "basic"
	AuthModeBearer = "bearer"
)

// Advanced setting keys. Empty values mean the adapter's built-in default.
const (
	AdvancedBalancePath     = "balance_path"
	AdvancedPackageListPath = "package_list_path"
	AdvancedPackageListBody = "package_list_body"
)

// CredentialAuthMode is the key under which Maya's auth mode travels in the
// API's credentials object and in adapters.Settings.Credentials.
const CredentialAuthMode = "auth_mode"

// providerSpec lists what one provider's settings accept.
type providerSpec struct {
	name string
	// credentialFields are the secret fields, in the order they are checked.
	credentialFields []string
	// requiredFields must hold a value after every save.
	requiredFields []string
	advancedKeys   []string
	hasAuthMode    bool
}

var specs = map[string]providerSpec{
	"airalo": {
		name:             "Airalo",
		credentialFields: []string{"client_id", "client_secret"},
		requiredFields:   []string{"client_id", "client_secret"},
	},
	"esim-access": {
		name:             "eSIM Access",
		credentialFields: []string{"access_code", "secret_key"},
		requiredFields:   []string{"access_code", "secret_key"},
		advancedKeys:     []string{AdvancedBalancePath, AdvancedPackageListBody, AdvancedPackageListPath},
	},
	"maya": {
		name:             "Maya Mobile",
		credentialFields: []string{"api_key", "api_secret"},
		// api_secret is required only in basic auth mode; Configure checks it.
		requiredFields: []string{"api_key"},
		advancedKeys:   []string{AdvancedBalancePath, AdvancedPackageListPath},
		hasAuthMode:    true,
	},
	"esim-go": {
		name:             "eSIM Go",
		credentialFields: []string{"api_key"},
		requiredFields:   []string{"api_key"},
		advancedKeys:     []string{AdvancedBalancePath, AdvancedPackageListPath},
	},
}

// Slugs returns the slugs of every supported provider, sorted.
func Slugs() []string {
	slugs := make([]string, 0, len(specs))
	for slug := range specs {
		slugs = append(slugs, slug)
	}
	slices.Sort(slugs)
	return slugs
}

// DisplayName returns the provider's name as admins know it, or "" for an
// unknown slug.
func DisplayName(slug string) string {
	return specs[slug].name
}

// CredentialFields returns the secret credential fields of slug, or nil for
// an unknown slug. Maya's auth_mode is not secret and is not listed.
func CredentialFields(slug string) []string {
	return slices.Clone(specs[slug].credentialFields)
}
