package config

import (
	"strings"
	"testing"
)

func TestLoad_productionRejectsTestPayments(t *testing.T) {
	_, err := Load(lookupFrom(map[string]string{"ESIMSCAN_ENV": "production", "ESIMSCAN_TEST_PAYMENTS": "1"}))
	if err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	for _, name := range []string{"ESIMSCAN_TEST_PAYMENTS", "ESIMSCAN_ENV"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestLoad_paymentDefaults(t *testing.T) {
	cfg, err := Load(lookupFrom(map[string]string{"ESIMSCAN_TEST_PAYMENTS": "1"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Env != EnvDevelopment {
		t.Errorf("Env = %q, want development", cfg.Env)
	}
	if cfg.StripeAPIBase != DefaultStripeAPIBase {
		t.Errorf("StripeAPIBase = %q", cfg.StripeAPIBase)
	}
}

func TestLoad_invalidPaymentVariables(t *testing.T) {
	_, err := Load(lookupFrom(map[string]string{"ESIMSCAN_ENV": "staging", "STRIPE_API_BASE": "127.0.0.1:12111"}))
	if err == nil {
		t.Fatal("Load succeeded, want errors")
	}
	for _, name := range []string{"ESIMSCAN_ENV", "STRIPE_API_BASE"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}
