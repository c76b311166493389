package airalo_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/adaptertest"
	"esimscan/backend/internal/providers/adapters/airalo"
	sim "esimscan/backend/internal/simulators/airalo"
)

// fixture is a simulator with unique credentials and a client of it that
// records every bearer token it sends.
type fixture struct {
	sim          *sim.Running
	clientID     string
	clientSecret string
	recorder     *adaptertest.Recorder
}

func newFixture(t testing.TB, opts sim.Options) *fixture {
	t.Helper()
	opts.ClientID = "id-" + uuid.NewString()
	opts.ClientSecret = "secret-" + uuid.NewString()
	running, err := sim.Start(opts)
	require.NoError(t, err)
	t.Cleanup(running.Close)
	return &fixture{
		sim:          running,
		clientID:     opts.ClientID,
		clientSecret: opts.ClientSecret,
		recorder:     adaptertest.NewRecorder(nil),
	}
}

func (f *fixture) settings() adapters.Settings {
	return adapters.Settings{
		BaseURL:     f.sim.BaseURL + "/",
		Credentials: map[string]string{"client_id": f.clientID, "client_secret": f.clientSecret},
	}
}

func (f *fixture) client(t testing.TB, opts ...airalo.Option) *airalo.Client {
	t.Helper()
	return f.clientWith(t, f.settings(), opts...)
}

func (f *fixture) clientWith(t testing.TB, settings adapters.Settings, opts ...airalo.Option) *airalo.Client {
	t.Helper()
	base := []airalo.Option{
		airalo.WithHTTPClient(&http.Client{Transport: f.recorder}),
		airalo.WithRetry(adaptertest.FastRetry()),
	}
	client, err := airalo.New(settings, append(base, opts...)...)
	require.NoError(t, err)
	return client
}

// requireFailure checks the cause of err and that its message carries no
// credential and no token that was sent.
func (f *fixture) requireFailure(t *testing.T, err error, cause adapters.Cause) *adapters.Error {
	t.Helper()
	providerErr := adaptertest.RequireCause(t, err, cause)
	f.requireNoSecret(t, err.Error())
	return providerErr
}

func (f *fixture) requireNoSecret(t *testing.T, text string) {
	t.Helper()
	adaptertest.RequireNoSecret(t, text, f.clientID, f.clientSecret)
	adaptertest.RequireNoSecret(t, text, f.recorder.BearerTokens()...)
}

func (f *fixture) requestsTo(path string) []sim.Request {
	var matching []sim.Request
	for _, request := range f.sim.Requests() {
		if request.Path == path {
			matching = append(matching, request)
		}
	}
	return matching
}
