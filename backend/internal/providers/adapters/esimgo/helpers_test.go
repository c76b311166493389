package esimgo_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/adaptertest"
	"esimscan/backend/internal/providers/adapters/esimgo"
	sim "esimscan/backend/internal/simulators/esimgo"
	"esimscan/backend/money"
)

// fastRetry is the shared fast retry policy of adapter tests.
var fastRetry = adaptertest.FastRetry()

// fixture is a simulator with a unique API key and a client of it that
// records every request header it sends.
type fixture struct {
	sim      *sim.Running
	apiKey   string
	recorder *adaptertest.Recorder
}

func newFixture(t testing.TB, opts sim.Options) *fixture {
	t.Helper()
	opts.APIKey = "key-" + uuid.NewString()
	running, err := sim.Start(opts)
	require.NoError(t, err)
	t.Cleanup(running.Close)
	return &fixture{sim: running, apiKey: opts.APIKey, recorder: adaptertest.NewRecorder(nil)}
}

func (f *fixture) settings() adapters.Settings {
	return adapters.Settings{
		BaseURL:     f.sim.URL + "/v2.4/",
		Credentials: map[string]string{"api_key": f.apiKey},
	}
}

func (f *fixture) client(t testing.TB, opts ...esimgo.Option) *esimgo.Client {
	t.Helper()
	return f.clientWith(t, f.settings(), opts...)
}

func (f *fixture) clientWith(t testing.TB, settings adapters.Settings, opts ...esimgo.Option) *esimgo.Client {
	t.Helper()
	base := []esimgo.Option{
		esimgo.WithHTTPClient(&http.Client{Transport: f.recorder}),
		esimgo.WithRetry(fastRetry),
	}
	client, err := esimgo.New(settings, append(base, opts...)...)
	require.NoError(t, err)
	return client
}

// requireFailure checks the cause of err and that its message carries no
// API key.
func (f *fixture) requireFailure(t *testing.T, err error, cause adapters.Cause) *adapters.Error {
	t.Helper()
	providerErr := adaptertest.RequireCause(t, err, cause)
	adaptertest.RequireNoSecret(t, err.Error(), f.apiKey, strings.TrimPrefix(f.apiKey, "key-"))
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

func amount(t testing.TB, text string) money.Amount {
	t.Helper()
	value, err := money.ParseAmount(text)
	require.NoError(t, err)
	return value
}

func usd(t testing.TB, text string) money.Money {
	t.Helper()
	return money.New(amount(t, text), "USD")
}
