package airalo_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/airalo"
)

func TestNew_rejectsInvalidSettings(t *testing.T) {
	valid := map[string]string{"client_id": "id", "client_secret": "secret-value"}
	cases := []struct {
		name     string
		settings adapters.Settings
		field    string
	}{
		{"no base URL", adapters.Settings{Credentials: valid}, "base_url"},
		{"ftp scheme", adapters.Settings{BaseURL: "ftp://127.0.0.1/v2", Credentials: valid}, "base_url"},
		{"no host", adapters.Settings{BaseURL: "http://", Credentials: valid}, "base_url"},
		{"user in URL", adapters.Settings{BaseURL: "http://user:pw@127.0.0.1/v2", Credentials: valid}, "base_url"},
		{"query in URL", adapters.Settings{BaseURL: "http://127.0.0.1/v2?x=1", Credentials: valid}, "base_url"},
		{"no client id", adapters.Settings{BaseURL: "http://127.0.0.1/v2",
			Credentials: map[string]string{"client_secret": "secret-value"}}, "credentials.client_id"},
		{"blank client secret", adapters.Settings{BaseURL: "http://127.0.0.1/v2",
			Credentials: map[string]string{"client_id": "id", "client_secret": "  "}}, "credentials.client_secret"},
		{"advanced override", adapters.Settings{BaseURL: "http://127.0.0.1/v2", Credentials: valid,
			Advanced: map[string]string{"balance_path": "/balance"}}, "advanced.balance_path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := airalo.New(tc.settings)

			appErr, ok := apperr.As(err)
			require.True(t, ok, "error %v", err)
			require.Equal(t, tc.field, appErr.Field)
			require.NotContains(t, err.Error(), "pw")
			require.NotContains(t, err.Error(), "secret-value")
		})
	}
}

func TestFactory_buildsClient(t *testing.T) {
	client, err := airalo.Factory(adapters.Settings{
		BaseURL:     "https://127.0.0.1:8443/v2/",
		Credentials: map[string]string{"client_id": "id", "client_secret": "secret"},
		Advanced:    map[string]string{"balance_path": ""},
	})

	require.NoError(t, err)
	require.NotNil(t, client)
}

func TestValidateAdvanced(t *testing.T) {
	require.NoError(t, airalo.ValidateAdvanced(nil))
	require.NoError(t, airalo.ValidateAdvanced(airalo.DefaultAdvanced))
	require.NoError(t, airalo.ValidateAdvanced(map[string]string{"package_list_path": " "}))
	require.Empty(t, airalo.DefaultAdvanced)

	err := airalo.ValidateAdvanced(map[string]string{"package_list_path": "/packages", "balance_path": "/b"})

	appErr, ok := apperr.As(err)
	require.True(t, ok, "error %v", err)
	require.Equal(t, "advanced.balance_path", appErr.Field)
	require.Contains(t, appErr.Message, "airalo has no advanced settings")
}
