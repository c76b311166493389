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
		"HTTPS://Shop.Example.COM/":        "https://shop.example.com",
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
		"https://shop.example.com:99999",
		"https://shop.example.com:0",
		"https://:8443",
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

func TestLoad_productionRejectsDemoSettings(t *testing.T) {
	production := map[string]string{"ESIMSCAN_ENV": "production", "ESIMSCAN_PUBLIC_URL": "https://shop.example.com"}
	for name, extra := range map[string][2]string{
		"stub driver": {"ESIM_PROVISIONING_DRIVER", "stub"},
		"sandbox":     {"ESIMSCAN_SANDBOX", "1"},
	} {
		env := map[string]string{extra[0]: extra[1]}
		for key, value := range production {
			env[key] = value
		}
		_, err := Load(lookupFrom(env))
		if err == nil || !strings.Contains(err.Error(), extra[0]) {
			t.Errorf("%s in production: error = %v, want one naming %s", name, err, extra[0])
		}
		delete(env, "ESIMSCAN_ENV")
		delete(env, "ESIMSCAN_PUBLIC_URL")
		if _, err := Load(lookupFrom(env)); err != nil {
			t.Errorf("%s in development: %v", name, err)
		}
	}
}
