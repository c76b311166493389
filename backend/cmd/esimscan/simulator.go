package main

import (
	"context"
	"flag"
	"io"
	"os"

	"esimscan/backend/internal/platform/logging"
	simesimaccess "esimscan/backend/internal/simulators/esimaccess"
)

func simulator(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "esim-access" {
		return usageError{"usage: esimscan simulator esim-access [--addr 127.0.0.1:9100] [--access-code C] [--secret-key K] [--packages N]"}
	}
	flags := flag.NewFlagSet("simulator esim-access", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", "127.0.0.1:9100", "listen address (loopback unless a host is given)")
	accessCode := flags.String("access-code", "sandbox-access-code", "the only RT-AccessCode the simulator accepts")
	secretKey := flags.String("secret-key", os.Getenv("ESIMSCAN_SIMULATOR_SECRET_KEY"),
		"secret that verifies RT-Signature (default: $ESIMSCAN_SIMULATOR_SECRET_KEY; empty accepts any signature)")
	packages := flags.Int("packages", 0, "synthetic packages to serve in addition to the sample ones")
	if err := flags.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	logger := logging.New(stderr, "info", "console")
	return simesimaccess.ListenAndServe(ctx, *addr, simesimaccess.Options{
		AccessCode: *accessCode,
		SecretKey:  *secretKey,
		Packages:   *packages,
		Logger:     logger,
	})
}
