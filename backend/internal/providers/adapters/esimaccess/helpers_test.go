package esimaccess_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/adaptertest"
	"esimscan/backend/internal/providers/adapters/esimaccess"
	sim "esimscan/backend/internal/simulators/esimaccess"
)

// fixture is a simulator with unique credentials and a client of it that
// records every signature it sends.
type fixture struct {
	sim        *sim.Running
	accessCode string
	secretKey  string
	recorder   *adaptertest.Recorder
}

func newFixture(t testing.TB, opts sim.Options) *fixture {
	t.Helper()
	opts.AccessCode = "ac-" + uuid.NewString()
	opts.SecretKey = "sk-" + uuid.NewString()
	running, err := sim.Start(opts)
	require.NoError(t, err)
	t.Cleanup(running.Close)
	return &fixture{
		sim:        running,
		accessCode: opts.AccessCode,
		secretKey:  opts.SecretKey,
		recorder:   adaptertest.NewRecorder(nil),
	}
}

func (f *fixture) settings() adapters.Settings {
	return adapters.Settings{
		BaseURL:     f.sim.URL + "/",
		Credentials: map[string]string{"access_code": f.accessCode, "secret_key": f.secretKey},
	}
}

func (f *fixture) client(t testing.TB, opts ...esimaccess.Option) *esimaccess.Client {
	t.Helper()
	return f.clientWith(t, f.settings(), opts...)
}

func (f *fixture) clientWith(t testing.TB, settings adapters.Settings, opts ...esimaccess.Option) *esimaccess.Client {
	t.Helper()
	base := []esimaccess.Option{
		esimaccess.WithHTTPClient(&http.Client{Transport: f.recorder}),
		esimaccess.WithRetry(adaptertest.FastRetry()),
	}
	client, err := esimaccess.New(settings, append(base, opts...)...)
	require.NoError(t, err)
	return client
}

// requireFailure checks the cause of err and that its message carries no
// credential and no signature that was sent. Signatures are upper-case hex,
// so the message is compared in upper case.
func (f *fixture) requireFailure(t *testing.T, err error, cause adapters.Cause) *adapters.Error {
	t.Helper()
	providerErr := adaptertest.RequireCause(t, err, cause)
	text := err.Error()
	adaptertest.RequireNoSecret(t, text, f.accessCode, f.secretKey)
	adaptertest.RequireNoSecret(t, strings.ToUpper(text), f.recorder.HeaderValues("RT-Signature")...)
	return providerErr
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
