package maya_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/adaptertest"
	"esimscan/backend/internal/providers/adapters/maya"
)

func TestNew_rejectsInvalidSettings(t *testing.T) {
	valid := map[string]string{"api_key": "key", "api_secret": "secret"}
	cases := []struct {
		name     string
		settings adapters.Settings
		field    string
	}{
		{"no base URL", adapters.Settings{Credentials: valid}, "base_url"},
		{"ftp scheme", adapters.Settings{BaseURL: "ftp://127.0.0.1", Credentials: valid}, "base_url"},
		{"no host", adapters.Settings{BaseURL: "http://", Credentials: valid}, "base_url"},
		{"user in URL", adapters.Settings{BaseURL: "http://user:pw@127.0.0.1", Credentials: valid}, "base_url"},
		{"query in URL", adapters.Settings{BaseURL: "http://127.0.0.1/v1?key=x", Credentials: valid}, "base_url"},
		{"no api key", adapters.Settings{BaseURL: "http://127.0.0.1", Credentials: map[string]string{"api_secret": "s"}},
			"credentials.api_key"},
		{"basic without secret", adapters.Settings{BaseURL: "http://127.0.0.1", Credentials: map[string]string{"api_key": "k"}},
			"credentials.api_secret"},
		{"explicit basic without secret", adapters.Settings{BaseURL: "http://127.0.0.1",
			Credentials: map[string]string{"api_key": "k", "auth_mode": "basic"}}, "credentials.api_secret"},
		{"unknown auth mode", adapters.Settings{BaseURL: "http://127.0.0.1",
			Credentials: map[string]string{"api_key": "k", "api_secret": "s", "auth_mode": "oauth"}}, "credentials.auth_mode"},
		{"bad advanced", adapters.Settings{BaseURL: "http://127.0.0.1", Credentials: valid,
			Advanced: map[string]string{"balance_path": "account/balance"}}, "advanced.balance_path"},
		{"body on maya", adapters.Settings{BaseURL: "http://127.0.0.1", Credentials: valid,
			Advanced: map[string]string{"package_list_body": "{}"}}, "advanced.package_list_body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := maya.New(tc.settings)

			appErr, ok := apperr.As(err)
			require.True(t, ok, "error %v", err)
			require.Equal(t, tc.field, appErr.Field)
			require.NotContains(t, err.Error(), "pw")
		})
	}
}

func TestNew_bearerNeedsNoSecret(t *testing.T) {
	client, err := maya.Factory(adapters.Settings{
		BaseURL:     "https://127.0.0.1:8443/connectivity/v1/",
		Credentials: map[string]string{"api_key": "key", "auth_mode": "Bearer"},
	})

	require.NoError(t, err)
	require.NotNil(t, client)
}

func TestValidateAdvanced(t *testing.T) {
	cases := []struct {
		name  string
		adv   map[string]string
		field string // empty when valid
	}{
		{"nil", nil, ""},
		{"defaults", maya.DefaultAdvanced, ""},
		{"empty values mean default", map[string]string{"balance_path": "", "package_list_path": " "}, ""},
		{"relative path", map[string]string{"package_list_path": "account/products"}, "advanced.package_list_path"},
		{"path with query", map[string]string{"package_list_path": "/account/products?country=us"}, "advanced.package_list_path"},
		{"path with dots", map[string]string{"balance_path": "/account/../admin"}, "advanced.balance_path"},
		{"protocol-relative path", map[string]string{"balance_path": "//127.0.0.2/x"}, "advanced.balance_path"},
		{"path with space", map[string]string{"balance_path": "/account/ balance"}, "advanced.balance_path"},
		{"unknown key", map[string]string{"token_path": "/x"}, "advanced.token_path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := maya.ValidateAdvanced(tc.adv)

			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			appErr, ok := apperr.As(err)
			require.True(t, ok, "error %v", err)
			require.Equal(t, tc.field, appErr.Field)
		})
	}
}

func TestDefaultAdvanced_publicPaths(t *testing.T) {
	require.Equal(t, "/account/balance", maya.DefaultAdvanced["balance_path"])
	require.Equal(t, "/account/products", maya.DefaultAdvanced["package_list_path"])
	require.Len(t, maya.DefaultAdvanced, 2)
}

// A provider that echoes the credentials in its error messages must not
// leak them into esimScan's errors, whatever the failure.
func TestClient_errorsNeverCarrySecrets(t *testing.T) {
	const (
		apiKey    = "key-echoed-1234"
		apiSecret = "secret-echoed-5678"
	)
	encoded := base64.StdEncoding.EncodeToString([]byte(apiKey + ":" + apiSecret))
	statuses := []int{http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}
	for _, status := range statuses {
		t.Run(http.StatusText(status), func(t *testing.T) {
			server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				_, _ = fmt.Fprintf(w, `{"result":0,"status":%d,"message":"bad key %s or secret %s",`+
					`"developer_message":"header was %s"}`, status, apiKey, apiSecret, r.Header.Get("Authorization"))
			}))
			t.Cleanup(server.Close)
			client, err := maya.New(adapters.Settings{
				BaseURL:     server.URL,
				Credentials: map[string]string{"api_key": apiKey, "api_secret": apiSecret},
			}, maya.WithRetry(fastRetry))
			require.NoError(t, err)

			calls := map[string]error{}
			_, calls["balance"] = client.Balance(context.Background())
			calls["list"] = client.ListPackages(context.Background(), func(adapters.Package) error { return nil })
			_, calls["order"] = client.Order(context.Background(), adapters.OrderRequest{
				Reference: "esc-secret-check", ProviderPackageID: "Jp3xQ7vL2mKa", Quantity: 1,
			})
			_, calls["query"] = client.QueryOrder(context.Background(), "Q7WX2KD9LM4P")

			for name, err := range calls {
				require.Error(t, err, name)
				adaptertest.RequireNoSecret(t, err.Error(), apiKey, apiSecret, encoded)
			}
		})
	}
}
