package domain

import (
	"encoding/json"
	"fmt"
	"time"

	"esimscan/backend/money"
)

// Event type names as stored in the log. Renaming one rewrites history.
const (
	TypeProviderConfigured    = "ProviderConfigured"
	TypeProviderMarginSet     = "ProviderMarginSet"
	TypeProviderCredentialSet = "ProviderCredentialSet"
	TypeProviderTested        = "ProviderTested"
	TypeSyncStarted           = "SyncStarted"
	TypeSyncProgressed        = "SyncProgressed"
	TypeSyncCompleted         = "SyncCompleted"
	TypeSyncFailed            = "SyncFailed"
	TypeProviderEnabled       = "ProviderEnabled"
	TypeProviderDisabled      = "ProviderDisabled"
)

// Event is a Provider event. EventType returns its stored type name.
type Event interface {
	EventType() string
}

// ProviderConfigured records the full non-secret settings of every save
// that changes something. A save that changes nothing appends no event.
type ProviderConfigured struct {
	Slug                string            `json:"slug"`
	BaseURL             string            `json:"base_url"`
	SyncIntervalMinutes int               `json:"sync_interval_minutes"`
	RateLimitPerHour    *int              `json:"rate_limit_per_hour"`
	Advanced            map[string]string `json:"advanced"`
	AuthMode            string            `json:"auth_mode,omitempty"`
}

// ProviderMarginSet records a change of the provider's default margin.
// OldPercent is nil on the first save.
type ProviderMarginSet struct {
	Slug       string  `json:"slug"`
	OldPercent *string `json:"old_percent"`
	NewPercent string  `json:"new_percent"`
}

// ProviderCredentialSet records one changed secret field: its sealed value
// and the fingerprints of the old and new values, never the value itself.
type ProviderCredentialSet struct {
	Slug           string  `json:"slug"`
	Field          string  `json:"field"`
	OldFingerprint *string `json:"old_fingerprint"`
	Fingerprint    string  `json:"fingerprint"`
	Sealed         string  `json:"sealed"`
}

// ProviderTested records the outcome of a connection test. Cause is empty
// when OK is true.
type ProviderTested struct {
	Slug    string       `json:"slug"`
	OK      bool         `json:"ok"`
	Cause   string       `json:"cause"`
	Message string       `json:"message"`
	Balance *money.Money `json:"balance"`
	At      time.Time    `json:"at"`
}

// SyncStarted records the start of a catalog sync.
type SyncStarted struct {
	Slug      string    `json:"slug"`
	SyncID    string    `json:"sync_id"`
	StartedAt time.Time `json:"started_at"`
}

// SyncProgressed records how many distinct packages a running sync has read.
type SyncProgressed struct {
	Slug         string `json:"slug"`
	SyncID       string `json:"sync_id"`
	PackagesSeen int    `json:"packages_seen"`
}

// SyncCompleted records a sync whose catalog changes were appended.
type SyncCompleted struct {
	Slug            string    `json:"slug"`
	SyncID          string    `json:"sync_id"`
	PackagesSeen    int       `json:"packages_seen"`
	PackagesAdded   int       `json:"packages_added"`
	PackagesChanged int       `json:"packages_changed"`
	PackagesRemoved int       `json:"packages_removed"`
	FinishedAt      time.Time `json:"finished_at"`
}

// SyncFailed records a sync that appended no catalog events.
type SyncFailed struct {
	Slug         string    `json:"slug"`
	SyncID       string    `json:"sync_id"`
	PackagesSeen int       `json:"packages_seen"`
	Cause        string    `json:"cause"`
	Message      string    `json:"message"`
	FinishedAt   time.Time `json:"finished_at"`
}

// ProviderEnabled records that the store sells the provider's packages.
type ProviderEnabled struct {
	Slug string `json:"slug"`
}

// ProviderDisabled records that the store stopped selling them.
type ProviderDisabled struct {
	Slug string `json:"slug"`
}

func (ProviderConfigured) EventType() string    { return TypeProviderConfigured }
func (ProviderMarginSet) EventType() string     { return TypeProviderMarginSet }
func (ProviderCredentialSet) EventType() string { return TypeProviderCredentialSet }
func (ProviderTested) EventType() string        { return TypeProviderTested }
func (SyncStarted) EventType() string           { return TypeSyncStarted }
func (SyncProgressed) EventType() string        { return TypeSyncProgressed }
func (SyncCompleted) EventType() string         { return TypeSyncCompleted }
func (SyncFailed) EventType() string            { return TypeSyncFailed }
func (ProviderEnabled) EventType() string       { return TypeProviderEnabled }
func (ProviderDisabled) EventType() string      { return TypeProviderDisabled }

var decoders = map[string]func(data []byte) (Event, error){
	TypeProviderConfigured:    decodeAs[ProviderConfigured],
	TypeProviderMarginSet:     decodeAs[ProviderMarginSet],
	TypeProviderCredentialSet: decodeAs[ProviderCredentialSet],
	TypeProviderTested:        decodeAs[ProviderTested],
	TypeSyncStarted:           decodeAs[SyncStarted],
	TypeSyncProgressed:        decodeAs[SyncProgressed],
	TypeSyncCompleted:         decodeAs[SyncCompleted],
	TypeSyncFailed:            decodeAs[SyncFailed],
	TypeProviderEnabled:       decodeAs[ProviderEnabled],
	TypeProviderDisabled:      decodeAs[ProviderDisabled],
}

// Decode parses stored event data of eventType. It returns false for a type
// this package does not define, which the aggregate then ignores.
func Decode(eventType string, data []byte) (Event, bool, error) {
	decode, known := decoders[eventType]
	if !known {
		return nil, false, nil
	}
	event, err := decode(data)
	if err != nil {
		return nil, true, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return event, true, nil
}

func decodeAs[T Event](data []byte) (Event, error) {
	var event T
	if err := json.Unmarshal(data, &event); err != nil {
		return nil, err
	}
	return event, nil
}
