package domain

import (
	"maps"
	"time"

	"esimscan/backend/money"
)

// StreamName returns the stream of the provider with slug.
func StreamName(slug string) string { return "provider-" + slug }

// CredentialContext returns the associated data that binds a sealed
// credential to its provider and field, so that it opens nowhere else.
func CredentialContext(slug, field string) string {
	return "provider:" + slug + ":" + field
}

// Settings are a provider's non-secret settings as last saved.
type Settings struct {
	BaseURL             string
	SyncIntervalMinutes int
	RateLimitPerHour    *int
	Advanced            map[string]string
	// AuthMode is Maya's auth mode, empty for the other providers.
	AuthMode string
}

// Credential is one stored secret field.
type Credential struct {
	Fingerprint string
	Sealed      string
}

// TestResult is the outcome of a connection test. Cause is empty when OK.
type TestResult struct {
	OK      bool
	Cause   string
	Message string
	Balance *money.Money
	At      time.Time
}

// SyncStatus is the state of one sync.
type SyncStatus string

const (
	SyncStatusRunning   SyncStatus = "running"
	SyncStatusCompleted SyncStatus = "completed"
	SyncStatusFailed    SyncStatus = "failed"
)

// SyncCounts are the package counts of a finished sync. Seen counts distinct
// provider packages.
type SyncCounts struct {
	Seen    int
	Added   int
	Changed int
	Removed int
}

// Sync is the provider's most recent sync.
type Sync struct {
	ID         string
	Status     SyncStatus
	StartedAt  time.Time
	FinishedAt time.Time
	Counts     SyncCounts
	Cause      string
	Message    string
}

// Provider is the aggregate of one provider. The zero value is not usable,
// so create one with New. A Provider is not safe for concurrent use.
type Provider struct {
	slug string
	spec providerSpec

	hasEvents bool
	revision  uint64
	// settingsRevision is the revision of the last event that changed the
	// settings, margin or credentials. Sync and test events leave it alone.
	settingsRevision uint64
	// connectionRevision is the revision of the last event that changed
	// what a connection test exercises: the base URL, the auth mode, an
	// advanced setting or a credential.
	connectionRevision uint64
	// testRevision is the revision of the last ProviderTested.
	testRevision uint64

	configured  bool
	settings    Settings
	margin      *money.Percent
	credentials map[string]Credential
	lastTest    *TestResult
	enabled     bool
	lastSync    *Sync
}

// New returns the empty aggregate of the provider with slug, or
// ErrProviderNotFound for an unsupported slug.
func New(slug string) (*Provider, error) {
	spec, ok := specs[slug]
	if !ok {
		return nil, ErrProviderNotFound
	}
	return &Provider{slug: slug, spec: spec, credentials: map[string]Credential{}}, nil
}

// Apply folds event, stored at revision in the provider's stream, into the
// state. Events of unknown types must be skipped by the caller.
func (p *Provider) Apply(event Event, revision uint64) {
	p.hasEvents = true
	p.revision = revision
	switch e := event.(type) {
	case ProviderConfigured:
		settings := Settings{
			BaseURL:             e.BaseURL,
			SyncIntervalMinutes: e.SyncIntervalMinutes,
			RateLimitPerHour:    e.RateLimitPerHour,
			Advanced:            maps.Clone(e.Advanced),
			AuthMode:            e.AuthMode,
		}
		if !p.configured || !sameConnection(p.settings, settings) {
			p.connectionRevision = revision
		}
		p.configured = true
		p.settings = settings
		p.settingsRevision = revision
	case ProviderMarginSet:
		// Configure wrote NewPercent from a parsed Percent, so a parse
		// failure means a damaged event. The previous margin then stays.
		if margin, err := money.ParsePercent(e.NewPercent); err == nil {
			p.margin = &margin
		}
		p.settingsRevision = revision
	case ProviderCredentialSet:
		p.credentials[e.Field] = Credential{Fingerprint: e.Fingerprint, Sealed: e.Sealed}
		p.settingsRevision = revision
		p.connectionRevision = revision
	case ProviderTested:
		p.lastTest = &TestResult{OK: e.OK, Cause: e.Cause, Message: e.Message, Balance: e.Balance, At: e.At}
		p.testRevision = revision
	case SyncStarted:
		p.lastSync = &Sync{ID: e.SyncID, Status: SyncStatusRunning, StartedAt: e.StartedAt}
	case SyncProgressed:
		if p.isRunning(e.SyncID) {
			p.lastSync.Counts.Seen = e.PackagesSeen
		}
	case SyncCompleted:
		if p.isRunning(e.SyncID) {
			p.lastSync.Status = SyncStatusCompleted
			p.lastSync.FinishedAt = e.FinishedAt
			p.lastSync.Counts = SyncCounts{
				Seen:    e.PackagesSeen,
				Added:   e.PackagesAdded,
				Changed: e.PackagesChanged,
				Removed: e.PackagesRemoved,
			}
		}
	case SyncFailed:
		if p.isRunning(e.SyncID) {
			p.lastSync.Status = SyncStatusFailed
			p.lastSync.FinishedAt = e.FinishedAt
			p.lastSync.Counts.Seen = e.PackagesSeen
			p.lastSync.Cause = e.Cause
			p.lastSync.Message = e.Message
		}
	case ProviderEnabled:
		p.enabled = true
	case ProviderDisabled:
		p.enabled = false
	}
}

// ApplyAll applies events as if appended after the current revision, for
// callers that append and keep using the aggregate.
func (p *Provider) ApplyAll(events []Event) {
	next := p.revision
	if p.hasEvents {
		next++
	}
	for i, event := range events {
		p.Apply(event, next+uint64(i))
	}
}

func (p *Provider) isRunning(syncID string) bool {
	return p.lastSync != nil && p.lastSync.ID == syncID && p.lastSync.Status == SyncStatusRunning
}

// Slug returns the provider's slug.
func (p *Provider) Slug() string { return p.slug }

// Revision returns the revision of the stream's last event, and false when
// the stream has no events.
func (p *Provider) Revision() (uint64, bool) { return p.revision, p.hasEvents }

// SettingsRevision returns the revision of the last event that changed the
// settings, margin or credentials, or 0 when there is none.
func (p *Provider) SettingsRevision() uint64 { return p.settingsRevision }

// ConnectionRevision returns the revision of the last event that changed
// the base URL, the auth mode, an advanced setting or a credential: what a
// connection test exercises. It is 0 before the first save.
func (p *Provider) ConnectionRevision() uint64 { return p.connectionRevision }

// LastTestCurrent reports whether a connection test ran after the last
// change of ConnectionRevision, so its outcome applies to the saved
// settings.
func (p *Provider) LastTestCurrent() bool {
	return p.lastTest != nil && p.configured && p.testRevision > p.connectionRevision
}

// sameConnection reports whether a and b agree on every setting a
// connection test depends on. The sync interval and the rate limit do not
// change what a test calls.
func sameConnection(a, b Settings) bool {
	return a.BaseURL == b.BaseURL && a.AuthMode == b.AuthMode && maps.Equal(a.Advanced, b.Advanced)
}

// Configured reports whether the provider's settings were ever saved.
func (p *Provider) Configured() bool { return p.configured }

// Enabled reports whether the store sells the provider's packages.
func (p *Provider) Enabled() bool { return p.enabled }

// Settings returns a copy of the saved non-secret settings.
func (p *Provider) Settings() Settings {
	settings := p.settings
	settings.Advanced = maps.Clone(p.settings.Advanced)
	return settings
}

// Margin returns the default margin, and false before the first save.
func (p *Provider) Margin() (money.Percent, bool) {
	if p.margin == nil {
		return 0, false
	}
	return *p.margin, true
}

// Credentials returns a copy of the stored credentials by field.
func (p *Provider) Credentials() map[string]Credential { return maps.Clone(p.credentials) }

// LastTest returns a copy of the last connection test, or nil.
func (p *Provider) LastTest() *TestResult {
	if p.lastTest == nil {
		return nil
	}
	test := *p.lastTest
	return &test
}

// LastSync returns a copy of the most recent sync, or nil.
func (p *Provider) LastSync() *Sync {
	if p.lastSync == nil {
		return nil
	}
	sync := *p.lastSync
	return &sync
}

// RunningSync returns the running sync, or nil when none runs.
func (p *Provider) RunningSync() *Sync {
	if p.lastSync == nil || p.lastSync.Status != SyncStatusRunning {
		return nil
	}
	return p.LastSync()
}
