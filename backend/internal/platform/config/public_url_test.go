package config

import (
	"strings"
	"testing"
)

func TestLoad_publicURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://shop.example.com":         "https://shop.example.com",
		"https://shop.example.com/":        "https://shop.example.com",
		"http://127.0.0.1:8080":            "http://127.0.0.1:8080",
		"  https://shop.example.com:8443/": "https://shop.example.com:8443",
	} {
		cfg, err := Load(lookupFrom(map[string]string{"ESIMSCAN_PUBLIC_URL": raw}))
		if err != nil {
			t.Errorf("%q: %v", raw, err)
			continue
		}
		if cfg.PublicURL != want {
			t.Errorf("%q: PublicURL = %q; want %q", raw, cfg.PublicURL, want)
		}
	}
}

func TestLoad_invalidPublicURL(t *testing.T) {
	for _, raw := range []string{
		"shop.example.com",
		"ftp://shop.example.com",
		"https://",
		"https://shop.example.com/store",
		"https://shop.example.com/?ref=1",
		"https://shop.example.com?",
		"https://shop.example.com/#top",
		"https://admin:secret@shop.example.com",
		"/relative",
	} {
		_, err := Load(lookupFrom(map[string]string{"ESIMSCAN_PUBLIC_URL": raw}))
		if err == nil {
			t.Errorf("%q accepted", raw)
			continue
		}
		if !strings.Contains(err.Error(), "ESIMSCAN_PUBLIC_URL") {
			t.Errorf("%q: error %q does not name ESIMSCAN_PUBLIC_URL", raw, err)
		}
		if strings.Contains(raw, "secret") && strings.Contains(err.Error(), "secret") {
			t.Errorf("error repeats the password of %q", raw)
		}
	}
}

func TestLoad_productionRequiresPublicURL(t *testing.T) {
	_, err := Load(lookupFrom(map[string]string{"ESIMSCAN_ENV": "production"}))
	if err == nil || !strings.Contains(err.Error(), "ESIMSCAN_PUBLIC_URL") {
		t.Errorf("error = %v; want one naming ESIMSCAN_PUBLIC_URL", err)
	}
	cfg, err := Load(lookupFrom(map[string]string{"ESIMSCAN_ENV": "production", "ESIMSCAN_PUBLIC_URL": "https://shop.example.com"}))
	if err != nil || cfg.PublicURL != "https://shop.example.com" {
		t.Errorf("production with a public URL: %+v, %v", cfg.PublicURL, err)
	}
	if cfg, err := Load(lookupFrom(nil)); err != nil || cfg.PublicURL != "" {
		t.Errorf("development without a public URL: %q, %v; want empty and no error", cfg.PublicURL, err)
	}
}
