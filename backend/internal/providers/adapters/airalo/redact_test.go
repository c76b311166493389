package airalo_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/airalo"
)

// A provider that echoes the credentials and the token in its error bodies
// must not leak them into error messages.
func TestClient_errorsRedactEchoedSecrets(t *testing.T) {
	const (
		clientID     = "echo-client-id-7f3c1e2a"
		clientSecret = "echo-client-secret-9b8d4c6e"
		token        = "echo-access-token-5f1a0b2c"
	)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/token") && r.FormValue("client_secret") == clientSecret:
			_, _ = fmt.Fprintf(w, `{"data":{"token_type":"Bearer","expires_in":86400,"access_token":%q}}`, token)
		case strings.HasSuffix(r.URL.Path, "/token"):
			w.WriteHeader(http.StatusUnprocessableEntity)
			_, _ = fmt.Fprintf(w, `{"data":{"client_id":"%s is invalid, secret %s"},"meta":{"message":"the parameter is invalid"}}`,
				r.FormValue("client_id"), r.FormValue("client_secret"))
		default:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = fmt.Fprintf(w, `{"code":43,"reason":"bad request with %s"}`, r.Header.Get("Authorization"))
		}
	}))
	t.Cleanup(server.Close)
	newClient := func(secret string) *airalo.Client {
		client, err := airalo.New(adapters.Settings{
			BaseURL:     server.URL + "/v2",
			Credentials: map[string]string{"client_id": clientID, "client_secret": secret},
		})
		require.NoError(t, err)
		return client
	}

	_, tokenErr := newClient(clientSecret + "-wrong").Balance(context.Background())
	_, callErr := newClient(clientSecret).Balance(context.Background())

	require.Equal(t, adapters.CauseCredentials, adapters.CauseOf(tokenErr))
	require.Equal(t, adapters.CauseRejected, adapters.CauseOf(callErr))
	require.Contains(t, callErr.Error(), `code 43 "bad request with Bearer [redacted]"`)
	for _, err := range []error{tokenErr, callErr} {
		require.NotContains(t, err.Error(), clientID)
		require.NotContains(t, err.Error(), clientSecret)
		require.NotContains(t, err.Error(), token)
	}
}
