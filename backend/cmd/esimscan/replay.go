package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"esimscan/backend/internal/eventstore/filestore"
	"esimscan/backend/internal/eventstore/wmsource"
	"esimscan/backend/internal/platform/config"
	"esimscan/backend/internal/platform/logging"
	"esimscan/backend/internal/server"
	"esimscan/projections/projection"
)

func replay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("replay", flag.ContinueOnError)
	flags.SetOutput(stderr)
	name := flags.String("projection", "", "rebuild only this read model (default: all)")
	if err := flags.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	projectors, err := selectProjectors(*name)
	if err != nil {
		return err
	}
	cfg, err := config.Load(os.LookupEnv)
	if err != nil {
		return err
	}
	logger := logging.New(stderr, cfg.LogLevel, cfg.LogFormat)
	if err := rejectWhileServing(ctx, cfg); err != nil {
		return err
	}
	store, err := server.OpenStoreReadOnly(cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	redisHandle, err := server.OpenRedis(ctx, cfg)
	if err != nil {
		return err
	}
	defer redisHandle.Close()

	source := wmsource.NewSource(store, logging.Watermill{Logger: logger})
	report, err := projection.ReplayAll(ctx, redisHandle.Client, source, logger, projectors...)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	if redisHandle.InProcess != nil {
		fmt.Fprintln(stdout, "REDIS_URL is not set: read models live inside `esimscan serve` and are rebuilt at every start.")
		fmt.Fprintln(stdout, "This run replayed the whole log into a scratch in-process Redis to check that it replays cleanly.")
	}
	fmt.Fprintf(stdout, "replayed %d events up to position %d in %s\n", report.EventsRead, report.Head, report.Duration.Round(time.Millisecond))
	var parked uint64
	for _, projector := range report.Projectors {
		fmt.Fprintf(stdout, "  %-10s read %d, applied %d, parked %d\n", projector.Name, projector.Read, projector.Applied, projector.Parked)
		parked += projector.Parked
	}
	if parked > 0 {
		return fmt.Errorf("%d events could not be applied and were parked; GET /api/admin/projections lists them once the server runs", parked)
	}
	return nil
}

func selectProjectors(name string) ([]projection.Projector, error) {
	all := server.Projectors()
	if name == "" {
		return all, nil
	}
	for _, projector := range all {
		if projector.Name() == name {
			return []projection.Projector{projector}, nil
		}
	}
	names := make([]string, 0, len(all))
	for _, projector := range all {
		names = append(names, projector.Name())
	}
	return nil, usageError{fmt.Sprintf("--projection %q is not one of %v", name, names)}
}

// rejectWhileServing stops replay from racing a running server, which
// rebuilds its own read models through POST /api/admin/projections/rebuild.
func rejectWhileServing(ctx context.Context, cfg config.Config) error {
	const advice = "a server is running on this store; use POST /api/admin/projections/rebuild instead, or stop it first"
	if cfg.EventStoreURL == "" {
		if _, err := os.Stat(cfg.DataDir); err != nil {
			return fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
		}
		err := filestore.CheckUnlocked(cfg.DataDir)
		if errors.Is(err, filestore.ErrLocked) {
			return errors.New(advice)
		}
		if err != nil {
			return fmt.Errorf("check the event store lock in %s: %w", cfg.DataDir, err)
		}
	}
	if cfg.RedisURL != "" {
		options, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return fmt.Errorf("REDIS_URL: %w", err)
		}
		client := redis.NewClient(options)
		defer client.Close()
		exists, err := client.Exists(ctx, server.HeartbeatKey).Result()
		if err != nil {
			return fmt.Errorf("connect to Redis at %s: %w", options.Addr, err)
		}
		if exists > 0 {
			return errors.New(advice)
		}
	}
	return nil
}
