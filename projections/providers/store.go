package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"esimscan/backend/money"
)

const keyPrefix = "providers:"

// providerKey holds the JSON providerRecord of one provider.
func providerKey(slug string) string { return keyPrefix + "provider:" + slug }

// syncKey holds the JSON SyncView of one sync.
func syncKey(slug, syncID string) string { return keyPrefix + "sync:" + slug + ":" + syncID }

// historyKey is a sorted set of history entries scored by log position.
// Each member is the position, a space and the JSON HistoryEntry: the
// position keeps two equal outcomes apart, and a repeated event adds no
// second entry.
func historyKey(slug string) string { return keyPrefix + "history:" + slug }

// providerRecord is the stored state of one provider. CredentialsSet names
// the secret fields that have a value, and the sealed values are never
// stored here.
type providerRecord struct {
	Configured          bool                       `json:"configured"`
	Enabled             bool                       `json:"enabled"`
	BaseURL             string                     `json:"base_url"`
	Margin              money.Percent              `json:"margin"`
	SyncIntervalMinutes int                        `json:"sync_interval_minutes"`
	RateLimitPerHour    *int                       `json:"rate_limit_per_hour"`
	AuthMode            string                     `json:"auth_mode,omitempty"`
	Advanced            map[string]json.RawMessage `json:"advanced,omitempty"`
	CredentialsSet      []string                   `json:"credentials_set,omitempty"`
	LastTest            *TestView                  `json:"last_test,omitempty"`
	LastSyncID          string                     `json:"last_sync_id,omitempty"`
	Version             uint64                     `json:"version"`
}

func loadRecord(ctx context.Context, rdb redis.Cmdable, slug string) (providerRecord, error) {
	raw, err := rdb.Get(ctx, providerKey(slug)).Bytes()
	if errors.Is(err, redis.Nil) {
		return providerRecord{}, nil
	}
	if err != nil {
		return providerRecord{}, fmt.Errorf("load provider %s: %w", slug, err)
	}
	var record providerRecord
	if err := json.Unmarshal(raw, &record); err != nil {
		return providerRecord{}, fmt.Errorf("decode provider %s: %w", slug, err)
	}
	return record, nil
}

func saveRecord(ctx context.Context, tx redis.Pipeliner, slug string, record providerRecord) error {
	raw, err := json.Marshal(record)
	if err != nil {
		return fmt.Errorf("encode provider %s: %w", slug, err)
	}
	tx.Set(ctx, providerKey(slug), raw, 0)
	return nil
}

// loadSync returns the stored sync, or nil when there is none.
func loadSync(ctx context.Context, rdb redis.Cmdable, slug, syncID string) (*SyncView, error) {
	raw, err := rdb.Get(ctx, syncKey(slug, syncID)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load sync %s of provider %s: %w", syncID, slug, err)
	}
	var sync SyncView
	if err := json.Unmarshal(raw, &sync); err != nil {
		return nil, fmt.Errorf("decode sync %s of provider %s: %w", syncID, slug, err)
	}
	return &sync, nil
}

func saveSync(ctx context.Context, tx redis.Pipeliner, slug string, sync *SyncView) error {
	raw, err := json.Marshal(sync)
	if err != nil {
		return fmt.Errorf("encode sync %s of provider %s: %w", sync.ID, slug, err)
	}
	tx.Set(ctx, syncKey(slug, sync.ID), raw, 0)
	return nil
}

func addHistory(ctx context.Context, tx redis.Pipeliner, slug string, position uint64, entry HistoryEntry) error {
	raw, err := json.Marshal(entry)
	if err != nil {
		return fmt.Errorf("encode history of provider %s: %w", slug, err)
	}
	member := fmt.Sprintf("%020d %s", position, raw)
	tx.ZAdd(ctx, historyKey(slug), redis.Z{Score: float64(position), Member: member})
	return nil
}
