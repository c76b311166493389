package adapters_test

import (
	"testing"

	"esimscan/backend/internal/providers/adapters"
)

func TestBytesToMB_rounding(t *testing.T) {
	cases := []struct {
		bytes int64
		want  int64
	}{
		{1, 1},
		{adapters.BytesPerMB/2 - 1, 1},
		{adapters.BytesPerMB, 1},
		{adapters.BytesPerMB + adapters.BytesPerMB/2 - 1, 1},
		{adapters.BytesPerMB + adapters.BytesPerMB/2, 2},
		{1024 * adapters.BytesPerMB, 1024},
	}
	for _, tc := range cases {
		if got := adapters.BytesToMB(tc.bytes); got != tc.want {
			t.Errorf("BytesToMB(%d) = %d, want %d", tc.bytes, got, tc.want)
		}
	}
}

func TestValidAdvancedPath_cases(t *testing.T) {
	cases := map[string]bool{
		"/account/balance": true,
		"/v1/packages":     true,
		"":                 false,
		"account":          false,
		"//evil.example":   false,
		"/a?b=1":           false,
		"/a#b":             false,
		`/a\b`:             false,
		"/a/../b":          false,
		"/a b":             false,
		"/a\tb":            false,
		"/a\x7fb":          false,
	}
	for path, want := range cases {
		if got := adapters.ValidAdvancedPath(path); got != want {
			t.Errorf("ValidAdvancedPath(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestAdvancedValue_fallsBack(t *testing.T) {
	defaults := map[string]string{"balance_path": "/balance"}
	advanced := map[string]string{"balance_path": "  /custom  ", "package_list_path": "   "}

	if got := adapters.AdvancedValue(advanced, defaults, "balance_path"); got != "/custom" {
		t.Errorf("override = %q, want /custom", got)
	}
	if got := adapters.AdvancedValue(advanced, defaults, "package_list_path"); got != "" {
		t.Errorf("blank override without default = %q, want empty", got)
	}
	if got := adapters.AdvancedValue(nil, defaults, "balance_path"); got != "/balance" {
		t.Errorf("absent override = %q, want /balance", got)
	}
}
