package providers

import (
	"encoding/json"
	"fmt"
	"time"

	"esimscan/backend/money"
)

// Event types the providers projector consumes, as stored in the log.
const (
	typeProviderConfigured    = "ProviderConfigured"
	typeProviderMarginSet     = "ProviderMarginSet"
	typeProviderCredentialSet = "ProviderCredentialSet"
	typeProviderTested        = "ProviderTested"
	typeProviderEnabled       = "ProviderEnabled"
	typeProviderDisabled      = "ProviderDisabled"
	typeSyncStarted           = "SyncStarted"
	typeSyncProgressed        = "SyncProgressed"
	typeSyncCompleted         = "SyncCompleted"
	typeSyncFailed            = "SyncFailed"
)

// providerEvent holds the fields of every provider event that this read
// model uses. ProviderCredentialSet's sealed value is deliberately absent,
// so it is never decoded, let alone stored.
type providerEvent struct {
	Slug string `json:"slug"`

	// ProviderConfigured
	BaseURL             string                     `json:"base_url"`
	SyncIntervalMinutes int                        `json:"sync_interval_minutes"`
	RateLimitPerHour    *int                       `json:"rate_limit_per_hour"`
	Advanced            map[string]json.RawMessage `json:"advanced"`
	AuthMode            string                     `json:"auth_mode"`

	// ProviderMarginSet
	NewPercent *money.Percent `json:"new_percent"`

	// ProviderCredentialSet
	Field string `json:"field"`

	// ProviderTested
	OK      bool      `json:"ok"`
	Cause   string    `json:"cause"`
	Message string    `json:"message"`
	At      time.Time `json:"at"`

	// SyncStarted, SyncProgressed, SyncCompleted and SyncFailed
	SyncID          string    `json:"sync_id"`
	StartedAt       time.Time `json:"started_at"`
	FinishedAt      time.Time `json:"finished_at"`
	PackagesSeen    int       `json:"packages_seen"`
	PackagesAdded   int       `json:"packages_added"`
	PackagesChanged int       `json:"packages_changed"`
	PackagesRemoved int       `json:"packages_removed"`
}

func decodeEvent(eventType string, data []byte) (providerEvent, error) {
	var payload providerEvent
	if err := json.Unmarshal(data, &payload); err != nil {
		return providerEvent{}, fmt.Errorf("decode %s: %w", eventType, err)
	}
	if payload.Slug == "" {
		return providerEvent{}, fmt.Errorf("decode %s: missing slug", eventType)
	}
	return payload, nil
}
