// Package config reads esimScan's environment once, at start, into a typed
// Config. No other package reads the environment.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults, as the API contract fixes them.
const (
	DefaultAddr              = "127.0.0.1:8080"
	DefaultDataDir           = "./data"
	DefaultDriver            = "manual"
	DefaultSyncBudgetSeconds = 1800
	DefaultLogLevel          = "info"
	DefaultEnv               = EnvDevelopment
	DefaultStripeAPIBase     = "https://api.stripe.com"
)

// Environments of ESIMSCAN_ENV.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// Provisioning drivers.
const (
	DriverManual = "manual"
	DriverStub   = "stub"
	DriverLive   = "live"
)

// Config is the process configuration. AppKey is a secret: never log it.
type Config struct {
	Addr          string
	DataDir       string
	AppKey        string // empty: generated into DataDir (embedded store only)
	EventStoreURL string // empty: the embedded file store
	RedisURL      string // empty: the in-process Redis-protocol server
	Driver        string
	TestPayments  bool
	SyncBudget    time.Duration
	// Sandbox starts a loopback simulator of the eSIM Access API inside the
	// process and offers its settings to the admin, for demos without a
	// provider account.
	Sandbox   bool
	LogLevel  string
	LogFormat string // "json" or "console"
	// Env is "development" or "production"; production refuses test
	// payments.
	Env string
	// StripeAPIBase is the Stripe API host the Stripe client calls.
	StripeAPIBase string
	// PayPalAPIBase overrides the PayPal API host; empty means PayPal's own
	// host for the mode configured in the admin.
	PayPalAPIBase string
	// PublicURL is the address customers open the store at, such as
	// https://shop.example.com, without a trailing slash. Links in emails
	// and the pages payment gateways return to start with it. Empty, in
	// development only, means the address of each request.
	PublicURL string
}

// Lookup returns an environment variable and whether it is set.
type Lookup func(name string) (string, bool)

// Load reads the configuration and reports every invalid variable at once.
func Load(lookup Lookup) (Config, error) {
	get := func(name, fallback string) string {
		if value, ok := lookup(name); ok && strings.TrimSpace(value) != "" {
			return strings.TrimSpace(value)
		}
		return fallback
	}
	cfg := Config{
		Addr:          get("ESIMSCAN_ADDR", DefaultAddr),
		DataDir:       get("ESIMSCAN_DATA_DIR", DefaultDataDir),
		AppKey:        get("APP_KEY", ""),
		EventStoreURL: get("EVENTSTORE_URL", ""),
		RedisURL:      get("REDIS_URL", ""),
		Driver:        get("ESIM_PROVISIONING_DRIVER", DefaultDriver),
		LogLevel:      get("ESIMSCAN_LOG_LEVEL", DefaultLogLevel),
		LogFormat:     get("ESIMSCAN_LOG_FORMAT", "json"),
		Env:           get("ESIMSCAN_ENV", DefaultEnv),
		PayPalAPIBase: get("PAYPAL_API_BASE", ""),
		StripeAPIBase: get("STRIPE_API_BASE", DefaultStripeAPIBase),
		PublicURL:     get("ESIMSCAN_PUBLIC_URL", ""),
	}
	var problems []error
	var err error
	if cfg.TestPayments, err = parseFlag(get("ESIMSCAN_TEST_PAYMENTS", "0")); err != nil {
		problems = append(problems, fmt.Errorf("ESIMSCAN_TEST_PAYMENTS: %w", err))
	}
	if cfg.Sandbox, err = parseFlag(get("ESIMSCAN_SANDBOX", "0")); err != nil {
		problems = append(problems, fmt.Errorf("ESIMSCAN_SANDBOX: %w", err))
	}
	seconds, err := strconv.Atoi(get("MASTER_ESIM_SYNC_MAX_SECONDS", strconv.Itoa(DefaultSyncBudgetSeconds)))
	if err != nil || seconds < 1 || seconds > 86400 {
		problems = append(problems, errors.New("MASTER_ESIM_SYNC_MAX_SECONDS: must be a whole number of seconds from 1 to 86400"))
	}
	cfg.SyncBudget = time.Duration(seconds) * time.Second
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		problems = append(problems, fmt.Errorf("ESIMSCAN_ADDR: %q is not host:port", cfg.Addr))
	}
	switch cfg.Driver {
	case DriverManual, DriverStub, DriverLive:
	default:
		problems = append(problems, fmt.Errorf("ESIM_PROVISIONING_DRIVER: %q is not one of manual, stub, live", cfg.Driver))
	}
	if cfg.EventStoreURL != "" && !strings.HasPrefix(cfg.EventStoreURL, "esdb://") && !strings.HasPrefix(cfg.EventStoreURL, "esdb+discover://") {
		problems = append(problems, errors.New("EVENTSTORE_URL: must start with esdb:// or esdb+discover://"))
	}
	if cfg.RedisURL != "" {
		if parsed, err := url.Parse(cfg.RedisURL); err != nil || (parsed.Scheme != "redis" && parsed.Scheme != "rediss") {
			problems = append(problems, errors.New("REDIS_URL: must be a redis:// or rediss:// URL"))
		}
	}
	if cfg.EventStoreURL != "" && cfg.AppKey == "" {
		problems = append(problems, errors.New("APP_KEY: required with EVENTSTORE_URL (generate one with `esimscan keygen`)"))
	}
	switch cfg.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		problems = append(problems, fmt.Errorf("ESIMSCAN_LOG_LEVEL: %q is not one of debug, info, warn, error", cfg.LogLevel))
	}
	switch cfg.LogFormat {
	case "json", "console":
	default:
		problems = append(problems, fmt.Errorf("ESIMSCAN_LOG_FORMAT: %q is not one of json, console", cfg.LogFormat))
	}
	problems = append(problems, paymentProblems(cfg)...)
	var publicURLProblem error
	if cfg.PublicURL, publicURLProblem = parsePublicURL(cfg.PublicURL, cfg.Env); publicURLProblem != nil {
		problems = append(problems, publicURLProblem)
	}
	return cfg, errors.Join(problems...)
}

// paymentProblems checks ESIMSCAN_ENV and STRIPE_API_BASE, and rejects in
// production the test payment gateway, which would give eSIMs away, the
// stub driver and the sandbox.
func paymentProblems(cfg Config) []error {
	var problems []error
	switch cfg.Env {
	case EnvDevelopment, EnvProduction:
	default:
		problems = append(problems, fmt.Errorf("ESIMSCAN_ENV: %q is not one of development, production", cfg.Env))
	}
	if cfg.Env == EnvProduction && cfg.TestPayments {
		problems = append(problems, errors.New("ESIMSCAN_TEST_PAYMENTS: must be 0 when ESIMSCAN_ENV is production"))
	}
	// Demo eSIMs and the in-process simulator would sell paying customers
	// eSIMs that work on no network.
	if cfg.Env == EnvProduction && cfg.Driver == DriverStub {
		problems = append(problems, errors.New("ESIM_PROVISIONING_DRIVER: stub makes demo eSIMs and is not allowed when ESIMSCAN_ENV is production; set manual or live"))
	}
	if cfg.Env == EnvProduction && cfg.Sandbox {
		problems = append(problems, errors.New("ESIMSCAN_SANDBOX: must be 0 when ESIMSCAN_ENV is production"))
	}
	if parsed, err := url.Parse(cfg.StripeAPIBase); err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" {
		problems = append(problems, errors.New("STRIPE_API_BASE: must be an http:// or https:// URL"))
	}
	return problems
}

// parsePublicURL checks ESIMSCAN_PUBLIC_URL and returns it without a
// trailing slash. It must be an absolute http or https URL of a host, with
// no path beyond "/", no query, fragment or user info. Production requires
// it, because without it links are built from the request, whose Host and
// X-Forwarded-* headers the client chooses.
func parsePublicURL(raw, env string) (string, error) {
	if raw == "" {
		if env == EnvProduction {
			return "", errors.New("ESIMSCAN_PUBLIC_URL: required when ESIMSCAN_ENV is production; set it to the address customers open, such as https://shop.example.com")
		}
		return "", nil
	}
	parsed, err := url.Parse(raw)
	invalid := err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Hostname() == "" ||
		!validPort(parsed.Port()) ||
		parsed.User != nil || (parsed.Path != "" && parsed.Path != "/") ||
		parsed.RawQuery != "" || parsed.ForceQuery || parsed.Fragment != "" || strings.Contains(raw, "#")
	if invalid {
		shown := raw
		if err == nil {
			shown = parsed.Redacted() // hides a password in user info
		}
		return "", fmt.Errorf("ESIMSCAN_PUBLIC_URL: %q must be an http:// or https:// URL of a host with no path, query or fragment, such as https://shop.example.com", shown)
	}
	// Links are built by appending paths, so the scheme and host are kept
	// lower-case and the trailing slash is dropped.
	return parsed.Scheme + "://" + strings.ToLower(parsed.Host), nil
}

// validPort reports whether port is empty or a TCP port number.
func validPort(port string) bool {
	if port == "" {
		return true
	}
	number, err := strconv.Atoi(port)
	return err == nil && number >= 1 && number <= 65535
}

func parseFlag(value string) (bool, error) {
	switch strings.ToLower(value) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not 1 or 0", value)
}
