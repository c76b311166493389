package main

import (
	"context"
	"flag"
	"io"
	"os"

	"esimscan/backend/internal/platform/config"
	"esimscan/backend/internal/platform/logging"
	"esimscan/backend/internal/server"
)

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	flags := flag.NewFlagSet("serve", flag.ContinueOnError)
	flags.SetOutput(stderr)
	if err := flags.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	cfg, err := config.Load(os.LookupEnv)
	if err != nil {
		return err
	}
	logger := logging.New(stderr, cfg.LogLevel, cfg.LogFormat)
	srv, err := server.New(ctx, cfg, logger)
	if err != nil {
		return err
	}
	return srv.Run(ctx)
}

func keygen(stdout io.Writer) error {
	key, err := generateAppKey()
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, key+"\n")
	return err
}
