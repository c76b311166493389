package maya_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/adaptertest"
	"esimscan/backend/internal/providers/adapters/maya"
	sim "esimscan/backend/internal/simulators/maya"
)

// fastRetry is the shared fast retry policy of adapter tests.
var fastRetry = adaptertest.FastRetry()

// fixture is a simulator with unique credentials and a client of it that
// records every Authorization header it sends.
type fixture struct {
	sim       *sim.Running
	apiKey    string
	apiSecret string
	recorder  *adaptertest.Recorder
}

func newFixture(t testing.TB, opts sim.Options) *fixture {
	t.Helper()
	opts.APIKey = "key-" + uuid.NewString()
	opts.APISecret = "secret-" + uuid.NewString()
	running, err := sim.Start(opts)
	require.NoError(t, err)
	t.Cleanup(running.Close)
	return &fixture{
		sim:       running,
		apiKey:    opts.APIKey,
		apiSecret: opts.APISecret,
		recorder:  adaptertest.NewRecorder(nil),
	}
}

func (f *fixture) settings() adapters.Settings {
	return adapters.Settings{
		BaseURL:     f.sim.BaseURL + "/",
		Credentials: map[string]string{"api_key": f.apiKey, "api_secret": f.apiSecret},
	}
}

func (f *fixture) client(t testing.TB, opts ...maya.Option) *maya.Client {
	t.Helper()
	return f.clientWith(t, f.settings(), opts...)
}

func (f *fixture) clientWith(t testing.TB, settings adapters.Settings, opts ...maya.Option) *maya.Client {
	t.Helper()
	base := []maya.Option{
		maya.WithHTTPClient(&http.Client{Transport: f.recorder}),
		maya.WithRetry(fastRetry),
	}
	client, err := maya.New(settings, append(base, opts...)...)
	require.NoError(t, err)
	return client
}

// basicHeader is the Authorization value of the fixture's credentials.
func (f *fixture) basicHeader() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(f.apiKey+":"+f.apiSecret))
}

// requireFailure checks the cause of err and that its message carries no
// credential and no Authorization header that was sent.
func (f *fixture) requireFailure(t *testing.T, err error, cause adapters.Cause) *adapters.Error {
	t.Helper()
	providerErr := adaptertest.RequireCause(t, err, cause)
	adaptertest.RequireNoSecret(t, err.Error(), f.apiKey, f.apiSecret)
	for _, header := range f.recorder.HeaderValues("Authorization") {
		_, value, _ := strings.Cut(header, " ")
		adaptertest.RequireNoSecret(t, err.Error(), value)
	}
	return providerErr
}

func (f *fixture) requestsTo(method, path string) []sim.Request {
	var matching []sim.Request
	for _, request := range f.sim.Requests() {
		if request.Method == method && request.Path == path {
			matching = append(matching, request)
		}
	}
	return matching
}
