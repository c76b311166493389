package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/eventstore/esdb"
	"esimscan/backend/internal/eventstore/filestore"
	"esimscan/backend/internal/platform/config"
	"esimscan/backend/internal/platform/secrets"
)

// OpenStore opens the event store the configuration selects: EventStoreDB
// when EVENTSTORE_URL is set, else the embedded file store in the data
// directory (taking its writer lock).
func OpenStore(cfg config.Config, logger zerolog.Logger) (eventstore.Store, error) {
	if cfg.EventStoreURL != "" {
		store, err := esdb.Open(cfg.EventStoreURL)
		if err != nil {
			return nil, fmt.Errorf("connect to EventStoreDB: %w", err)
		}
		return store, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", cfg.DataDir, err)
	}
	store, err := filestore.Open(cfg.DataDir, filestore.Options{Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("open event store in %s: %w", cfg.DataDir, err)
	}
	return store, nil
}

// OpenStoreReadOnly opens the configured event store for reading while a
// server may be writing to it.
func OpenStoreReadOnly(cfg config.Config) (eventstore.Store, error) {
	if cfg.EventStoreURL != "" {
		return esdb.Open(cfg.EventStoreURL)
	}
	store, err := filestore.OpenReadOnly(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("open event store in %s: %w", cfg.DataDir, err)
	}
	return store, nil
}

// appKeyFile is the file in the data directory that keeps a generated APP_KEY.
const appKeyFile = "app.key"

// LoadKeyring returns the keyring for APP_KEY. With no APP_KEY and the
// embedded store, it reads the key from the data directory, generating one
// there on first start.
func LoadKeyring(cfg config.Config, logger zerolog.Logger) (*secrets.Keyring, error) {
	if cfg.AppKey != "" {
		keyring, err := secrets.ParseAppKey(cfg.AppKey)
		if err != nil {
			return nil, fmt.Errorf("APP_KEY: %w", err)
		}
		return keyring, nil
	}
	path := filepath.Join(cfg.DataDir, appKeyFile)
	content, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return generateKeyFile(path, logger)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	keyring, err := secrets.ParseAppKey(strings.TrimSpace(string(content)))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return keyring, nil
}

func generateKeyFile(path string, logger zerolog.Logger) (*secrets.Keyring, error) {
	key, err := secrets.GenerateAppKey()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := file.WriteString(key + "\n"); err != nil {
		file.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := file.Sync(); err != nil {
		file.Close()
		return nil, fmt.Errorf("sync %s: %w", path, err)
	}
	if err := file.Close(); err != nil {
		return nil, err
	}
	logger.Warn().Str("path", path).
		Msg("APP_KEY is not set, so a new key was generated into the data directory; back it up, because stored credentials cannot be decrypted without it")
	return secrets.ParseAppKey(key)
}

// redisHandle is the Redis client and, for the embedded default, the
// in-process server behind it.
type redisHandle struct {
	Client    redis.UniversalClient
	InProcess *miniredis.Miniredis
}

// Close closes the client and stops the in-process server.
func (r redisHandle) Close() error {
	err := r.Client.Close()
	if r.InProcess != nil {
		r.InProcess.Close()
	}
	return err
}

// OpenRedis connects to REDIS_URL, or starts the in-process
// Redis-protocol server on loopback and connects the same go-redis client.
func OpenRedis(ctx context.Context, cfg config.Config) (redisHandle, error) {
	if cfg.RedisURL == "" {
		server := miniredis.NewMiniRedis()
		if err := server.StartAddr("127.0.0.1:0"); err != nil {
			return redisHandle{}, fmt.Errorf("start in-process Redis: %w", err)
		}
		client := redis.NewClient(&redis.Options{Addr: server.Addr()})
		return redisHandle{Client: client, InProcess: server}, nil
	}
	options, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return redisHandle{}, fmt.Errorf("REDIS_URL: %w", err)
	}
	client := redis.NewClient(options)
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return redisHandle{}, fmt.Errorf("connect to Redis at %s: %w", options.Addr, err)
	}
	return redisHandle{Client: client}, nil
}
