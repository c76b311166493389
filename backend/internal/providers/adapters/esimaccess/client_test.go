package esimaccess_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/esimaccess"
)

func TestNew_rejectsInvalidSettings(t *testing.T) {
	valid := map[string]string{"access_code": "code"}
	cases := []struct {
		name     string
		settings adapters.Settings
		field    string
	}{
		{"no base URL", adapters.Settings{Credentials: valid}, "base_url"},
		{"ftp scheme", adapters.Settings{BaseURL: "ftp://127.0.0.1", Credentials: valid}, "base_url"},
		{"no host", adapters.Settings{BaseURL: "http://", Credentials: valid}, "base_url"},
		{"user in URL", adapters.Settings{BaseURL: "http://user:pw@127.0.0.1", Credentials: valid}, "base_url"},
		{"no access code", adapters.Settings{BaseURL: "http://127.0.0.1", Credentials: map[string]string{"secret_key": "s"}},
			"credentials.access_code"},
		{"bad advanced", adapters.Settings{BaseURL: "http://127.0.0.1", Credentials: valid,
			Advanced: map[string]string{"balance_path": "api/balance"}}, "advanced.balance_path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := esimaccess.New(tc.settings)

			appErr, ok := apperr.As(err)
			require.True(t, ok, "error %v", err)
			require.Equal(t, tc.field, appErr.Field)
			require.NotContains(t, err.Error(), "pw")
		})
	}
}

func TestNew_acceptsSecretlessSettings(t *testing.T) {
	client, err := esimaccess.Factory(adapters.Settings{
		BaseURL:     "https://127.0.0.1:8443/",
		Credentials: map[string]string{"access_code": "code"},
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
		{"defaults", esimaccess.DefaultAdvanced, ""},
		{"empty values mean default", map[string]string{"balance_path": "", "package_list_body": " "}, ""},
		{"relative path", map[string]string{"package_list_path": "api/v1/open/package/list"}, "advanced.package_list_path"},
		{"path with query", map[string]string{"balance_path": "/balance?x=1"}, "advanced.balance_path"},
		{"path with dots", map[string]string{"balance_path": "/api/../admin"}, "advanced.balance_path"},
		{"protocol-relative path", map[string]string{"balance_path": "//127.0.0.2/x"}, "advanced.balance_path"},
		{"body array", map[string]string{"package_list_body": `[1]`}, "advanced.package_list_body"},
		{"body null", map[string]string{"package_list_body": `null`}, "advanced.package_list_body"},
		{"body malformed", map[string]string{"package_list_body": `{"type":`}, "advanced.package_list_body"},
		{"unknown key", map[string]string{"token_path": "/x"}, "advanced.token_path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := esimaccess.ValidateAdvanced(tc.adv)

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

func TestDefaultAdvanced_documentedValues(t *testing.T) {
	require.Equal(t, "/api/v1/open/balance/query", esimaccess.DefaultAdvanced["balance_path"])
	require.Equal(t, "/api/v1/open/package/list", esimaccess.DefaultAdvanced["package_list_path"])
	require.JSONEq(t, `{"locationCode":"","type":"BASE","slug":"","packageCode":"","iccid":""}`,
		esimaccess.DefaultAdvanced["package_list_body"])
}
