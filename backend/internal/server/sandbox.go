package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/rs/zerolog"

	"esimscan/backend/internal/platform/secrets"
	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/airalo"
	"esimscan/backend/internal/providers/adapters/esimaccess"
	"esimscan/backend/internal/providers/adapters/esimgo"
	"esimscan/backend/internal/providers/adapters/maya"
	simesimaccess "esimscan/backend/internal/simulators/esimaccess"
)

// sandboxHostSuffix marks base URLs served by the in-process simulator.
// The .invalid top-level domain never resolves (RFC 2606), so such a URL
// cannot reach a real provider by mistake.
const sandboxHostSuffix = ".sandbox.invalid"

// sandboxPackages is the size of the demo catalog on top of the sample
// packages, so that the storefront shows many countries.
const sandboxPackages = 300

// sandbox is the simulated eSIM Access API of ESIMSCAN_SANDBOX=1. It is
// reached through an in-memory transport, not a port, so a provider
// configured with it keeps working after a restart. Its credentials derive
// from APP_KEY and are shown only to signed-in admins.
type sandbox struct {
	simulator  *simesimaccess.Server
	accessCode string
	secretKey  string
}

func newSandbox(keys *secrets.Keyring, logger zerolog.Logger) *sandbox {
	accessCode := "sandbox-" + keys.Fingerprint("sandbox access code")
	secretKey := keys.Fingerprint("sandbox secret key 1") + keys.Fingerprint("sandbox secret key 2")
	simulator := simesimaccess.New(simesimaccess.Options{
		AccessCode:      accessCode,
		SecretKey:       secretKey,
		Packages:        sandboxPackages,
		AllocationPolls: 1,
		Logger:          logger.With().Str("component", "sandbox").Logger(),
	})
	logger.Warn().Msg("sandbox on: a simulated eSIM Access API runs in this process; its packages and eSIMs are not real")
	return &sandbox{simulator: simulator, accessCode: accessCode, secretKey: secretKey}
}

// BaseURL returns the sandbox base URL for a provider slug, or "".
func (s *sandbox) BaseURL(slug string) string {
	if slug == "esim-access" {
		return "http://esim-access" + sandboxHostSuffix
	}
	return ""
}

// Settings returns the provider settings that connect to the sandbox.
func (s *sandbox) Settings() map[string]any {
	return map[string]any{
		"esim-access": map[string]any{
			"base_url": s.BaseURL("esim-access"),
			"credentials": map[string]string{
				"access_code": s.accessCode,
				"secret_key":  s.secretKey,
			},
		},
	}
}

// RoundTrip serves a request with the simulator, in memory.
func (s *sandbox) RoundTrip(request *http.Request) (*http.Response, error) {
	recorder := httptest.NewRecorder()
	s.simulator.ServeHTTP(recorder, request)
	response := recorder.Result()
	response.Request = request
	return response, nil
}

func isSandboxURL(baseURL string) bool {
	parsed, err := url.Parse(baseURL)
	return err == nil && strings.HasSuffix(parsed.Hostname(), sandboxHostSuffix)
}

// Factories returns the provider clients esimScan can build. A base URL
// of the sandbox goes to the in-process simulator when the sandbox is on,
// and fails plainly when it is off.
func Factories(sb *sandbox) map[string]adapters.Factory {
	return map[string]adapters.Factory{
		"airalo":  airalo.Factory,
		"maya":    maya.Factory,
		"esim-go": esimgo.Factory,
		"esim-access": func(settings adapters.Settings) (adapters.Client, error) {
			if !isSandboxURL(settings.BaseURL) {
				return esimaccess.New(settings)
			}
			if sb == nil {
				return nil, &adapters.Error{
					Cause:   adapters.CauseUnreachable,
					Message: fmt.Sprintf("%s is the demo sandbox, which is off: start the server with ESIMSCAN_SANDBOX=1 or enter the provider's real base URL", settings.BaseURL),
				}
			}
			return esimaccess.New(settings, esimaccess.WithHTTPClient(&http.Client{Transport: sb}))
		},
	}
}

// AdvancedDefaults returns each provider's built-in advanced settings.
func AdvancedDefaults() map[string]map[string]string {
	return map[string]map[string]string{
		"esim-access": esimaccess.DefaultAdvanced,
		"maya":        maya.DefaultAdvanced,
		"esim-go":     esimgo.DefaultAdvanced,
	}
}
