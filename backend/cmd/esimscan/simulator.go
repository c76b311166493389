package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"esimscan/backend/internal/platform/logging"
	simairalo "esimscan/backend/internal/simulators/airalo"
	simesimaccess "esimscan/backend/internal/simulators/esimaccess"
	simesimgo "esimscan/backend/internal/simulators/esimgo"
	simmaya "esimscan/backend/internal/simulators/maya"
	simpaypal "esimscan/backend/internal/simulators/paypal"
)

const simulatorUsage = `usage: esimscan simulator PROVIDER [--addr 127.0.0.1:9100] [--key K] [--secret S] [--packages N] [--currency C]

PROVIDER is airalo, esim-access, maya, esim-go or paypal. The simulator checks
credentials as the provider does: --key is the Airalo client id, the eSIM Access access
code, the Maya API key, the eSIM Go API key or the PayPal client id; --secret is the
Airalo client secret, the eSIM Access secret key, the Maya API secret or the PayPal
client secret. Base URLs to configure in esimScan:
  airalo       http://ADDR/v2
  esim-access  http://ADDR
  maya         http://ADDR/connectivity/v1
  esim-go      http://ADDR/v2.4
  paypal       http://ADDR as PAYPAL_API_BASE of esimscan serve
The PayPal simulator also serves test controls: POST /_sim/webhook
{"webhook_id", "event_type", "order_id" or "capture_id"} answers a signed webhook
delivery {"headers", "body"} to forward to /api/webhooks/paypal, and
GET /_sim/orders/{id} shows an order with its captures and refunds. --currency sets
the eSIM Go organisation currency, such as JPY.`

func simulator(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{simulatorUsage}
	}
	provider := args[0]
	flags := flag.NewFlagSet("simulator "+provider, flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", "127.0.0.1:9100", "listen address (127.0.0.1 when no host is given)")
	key := flags.String("key", "sandbox-key", "the only client id, access code or API key accepted")
	secret := flags.String("secret", os.Getenv("ESIMSCAN_SIMULATOR_SECRET"),
		"the only client secret, secret key or API secret accepted (default: $ESIMSCAN_SIMULATOR_SECRET)")
	packages := flags.Int("packages", 0, "synthetic packages to serve in addition to the sample ones")
	currency := flags.String("currency", "", "eSIM Go: the organisation currency of balance and prices (default USD)")
	// Older spellings for the eSIM Access simulator.
	flags.StringVar(key, "access-code", *key, "eSIM Access: same as --key")
	flags.StringVar(secret, "secret-key", *secret, "eSIM Access: same as --secret")
	if err := flags.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	logger := logging.New(stderr, "info", "console")
	switch provider {
	case "esim-access":
		return simesimaccess.ListenAndServe(ctx, *addr, simesimaccess.Options{
			AccessCode: *key, SecretKey: *secret, Packages: *packages, Logger: logger,
		})
	case "airalo":
		return simairalo.ListenAndServe(ctx, *addr, simairalo.Options{
			ClientID: *key, ClientSecret: *secret, Packages: *packages, Logger: logger,
		})
	case "maya":
		return simmaya.ListenAndServe(ctx, *addr, simmaya.Options{
			APIKey: *key, APISecret: *secret, AllowBearer: true, Packages: *packages, Logger: logger,
		})
	case "paypal":
		return simpaypal.ListenAndServe(ctx, *addr, simpaypal.Options{
			ClientID: *key, ClientSecret: *secret, Logger: logger,
		})
	case "esim-go":
		return simesimgo.ListenAndServe(ctx, *addr, simesimgo.Options{
			APIKey: *key, Packages: *packages, Currency: *currency, Logger: logger,
		})
	default:
		return usageError{fmt.Sprintf("unknown provider %q\n%s", provider, simulatorUsage)}
	}
}
