package config

import (
	"strings"
	"testing"
	"time"
)

func lookupFrom(values map[string]string) Lookup {
	return func(name string) (string, bool) {
		value, ok := values[name]
		return value, ok
	}
}

func TestLoad_defaults(t *testing.T) {
	cfg, err := Load(lookupFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != DefaultAddr || cfg.DataDir != DefaultDataDir || cfg.Driver != DriverManual {
		t.Errorf("defaults = %+v", cfg)
	}
	if cfg.SyncBudget != 1800*time.Second {
		t.Errorf("SyncBudget = %s, want 30m", cfg.SyncBudget)
	}
	if cfg.TestPayments || cfg.Sandbox {
		t.Error("test payments and sandbox must be off by default")
	}
}

func TestLoad_reportsEveryInvalidVariable(t *testing.T) {
	_, err := Load(lookupFrom(map[string]string{
		"ESIM_PROVISIONING_DRIVER":     "magic",
		"MASTER_ESIM_SYNC_MAX_SECONDS": "-5",
		"ESIMSCAN_TEST_PAYMENTS":       "maybe",
		"REDIS_URL":                    "http://127.0.0.1:6379",
	}))
	if err == nil {
		t.Fatal("Load succeeded, want errors")
	}
	for _, name := range []string{"ESIM_PROVISIONING_DRIVER", "MASTER_ESIM_SYNC_MAX_SECONDS", "ESIMSCAN_TEST_PAYMENTS", "REDIS_URL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestLoad_eventStoreNeedsAppKey(t *testing.T) {
	_, err := Load(lookupFrom(map[string]string{"EVENTSTORE_URL": "esdb://127.0.0.1:2113?tls=false"}))
	if err == nil || !strings.Contains(err.Error(), "APP_KEY") {
		t.Errorf("error = %v, want one naming APP_KEY", err)
	}
}
