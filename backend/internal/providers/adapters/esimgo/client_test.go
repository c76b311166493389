package esimgo_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/esimgo"
)

func TestNew_rejectsInvalidSettings(t *testing.T) {
	valid := map[string]string{"api_key": "key"}
	cases := []struct {
		name     string
		settings adapters.Settings
		field    string
	}{
		{"no base URL", adapters.Settings{Credentials: valid}, "base_url"},
		{"ftp scheme", adapters.Settings{BaseURL: "ftp://127.0.0.1", Credentials: valid}, "base_url"},
		{"no host", adapters.Settings{BaseURL: "http://", Credentials: valid}, "base_url"},
		{"user in URL", adapters.Settings{BaseURL: "http://user:pw@127.0.0.1", Credentials: valid}, "base_url"},
		{"query in URL", adapters.Settings{BaseURL: "http://127.0.0.1/v2.4?api_key=pw", Credentials: valid}, "base_url"},
		{"no api key", adapters.Settings{BaseURL: "http://127.0.0.1"}, "credentials.api_key"},
		{"blank api key", adapters.Settings{BaseURL: "http://127.0.0.1", Credentials: map[string]string{"api_key": "  "}},
			"credentials.api_key"},
		{"multi-line api key", adapters.Settings{BaseURL: "http://127.0.0.1", Credentials: map[string]string{"api_key": "a\npw"}},
			"credentials.api_key"},
		{"bad advanced", adapters.Settings{BaseURL: "http://127.0.0.1", Credentials: valid,
			Advanced: map[string]string{"balance_path": "organisation"}}, "advanced.balance_path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := esimgo.New(tc.settings)

			appErr, ok := apperr.As(err)
			require.True(t, ok, "error %v", err)
			require.Equal(t, tc.field, appErr.Field)
			require.NotContains(t, err.Error(), "pw")
		})
	}
}

func TestFactory_buildsClient(t *testing.T) {
	client, err := esimgo.Factory(adapters.Settings{
		BaseURL:     "https://127.0.0.1:8443/v2.4/",
		Credentials: map[string]string{"api_key": "key"},
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
		{"defaults", esimgo.DefaultAdvanced, ""},
		{"empty values mean default", map[string]string{"balance_path": "", "package_list_path": " "}, ""},
		{"relative path", map[string]string{"package_list_path": "catalogue"}, "advanced.package_list_path"},
		{"path with query", map[string]string{"balance_path": "/organisation?x=1"}, "advanced.balance_path"},
		{"path with dots", map[string]string{"balance_path": "/../admin"}, "advanced.balance_path"},
		{"protocol-relative path", map[string]string{"balance_path": "//127.0.0.2/x"}, "advanced.balance_path"},
		{"list body is esim-access only", map[string]string{"package_list_body": "{}"}, "advanced.package_list_body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := esimgo.ValidateAdvanced(tc.adv)

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

func TestDefaultAdvanced_documentedPaths(t *testing.T) {
	require.Equal(t, map[string]string{"balance_path": "/organisation", "package_list_path": "/catalogue"},
		esimgo.DefaultAdvanced)
}
