package providers

import (
	"encoding/json"
	"time"

	"esimscan/backend/money"
)

// Sync statuses.
const (
	SyncRunning   = "running"
	SyncCompleted = "completed"
	SyncFailed    = "failed"
)

// History entry kinds.
const (
	KindTest = "test"
	KindSync = "sync"
)

// ProviderView is a provider's settings and latest outcomes as admins see
// them. Credentials map each secret field to "set" or "missing" and never
// hold a value. Version is the revision of the provider's stream that the
// view reflects.
type ProviderView struct {
	Slug                string                     `json:"slug"`
	Name                string                     `json:"name"`
	Configured          bool                       `json:"configured"`
	Enabled             bool                       `json:"enabled"`
	BaseURL             string                     `json:"base_url"`
	MarginPercent       money.Percent              `json:"margin_percent"`
	SyncIntervalMinutes int                        `json:"sync_interval_minutes"`
	RateLimitPerHour    *int                       `json:"rate_limit_per_hour"`
	AuthMode            string                     `json:"auth_mode,omitempty"`
	Credentials         map[string]string          `json:"credentials"`
	Advanced            map[string]json.RawMessage `json:"advanced"`
	LastTest            *TestView                  `json:"last_test"`
	LastSync            *SyncView                  `json:"last_sync"`
	Version             uint64                     `json:"version"`
}

// TestView is the outcome of a provider's latest connection test. Cause is
// empty when OK is true.
type TestView struct {
	OK      bool      `json:"ok"`
	At      time.Time `json:"at"`
	Message string    `json:"message"`
	Cause   string    `json:"cause,omitempty"`
}

// SyncView is one catalog sync of a provider. FinishedAt is nil while the
// sync runs, and Cause is set only on a failed sync.
type SyncView struct {
	ID              string     `json:"id"`
	Status          string     `json:"status"`
	PackagesSeen    int        `json:"packages_seen"`
	PackagesAdded   int        `json:"packages_added"`
	PackagesChanged int        `json:"packages_changed"`
	PackagesRemoved int        `json:"packages_removed"`
	StartedAt       time.Time  `json:"started_at"`
	FinishedAt      *time.Time `json:"finished_at"`
	Message         string     `json:"message"`
	Cause           string     `json:"cause,omitempty"`
}

// HistoryEntry is one test or sync outcome of a provider. SyncID is set for
// sync entries and Cause for failures.
type HistoryEntry struct {
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"`
	OK      bool      `json:"ok"`
	Message string    `json:"message"`
	Cause   string    `json:"cause,omitempty"`
	SyncID  string    `json:"sync_id,omitempty"`
}
