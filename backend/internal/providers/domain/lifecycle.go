package domain

import (
	"fmt"
	"time"
)

// CheckTestable returns ErrProviderNotConfigured until the first save.
func (p *Provider) CheckTestable() error {
	if !p.configured {
		return ErrProviderNotConfigured
	}
	return nil
}

// RecordTest returns the ProviderTested event of a finished connection test
// that used the settings at ConnectionRevision testedRevision. It fails
// with ErrSettingsChangedDuringTest when the connection settings changed
// since, because the outcome then says nothing about the saved settings.
func (p *Provider) RecordTest(result TestResult, testedRevision uint64) ([]Event, error) {
	if err := p.CheckTestable(); err != nil {
		return nil, err
	}
	if p.connectionRevision != testedRevision {
		return nil, ErrSettingsChangedDuringTest
	}
	cause := result.Cause
	if result.OK {
		cause = ""
	}
	return []Event{ProviderTested{
		Slug:    p.slug,
		OK:      result.OK,
		Cause:   cause,
		Message: result.Message,
		Balance: result.Balance,
		At:      result.At.UTC(),
	}}, nil
}

// StartSync returns the SyncStarted event of a new sync with syncID. It
// fails with ErrProviderNotConfigured or ErrSyncRunning.
func (p *Provider) StartSync(syncID string, at time.Time) ([]Event, error) {
	if !p.configured {
		return nil, ErrProviderNotConfigured
	}
	if p.RunningSync() != nil {
		return nil, ErrSyncRunning
	}
	if syncID == "" {
		return nil, fmt.Errorf("start sync of %s: empty sync id", p.slug)
	}
	return []Event{SyncStarted{Slug: p.slug, SyncID: syncID, StartedAt: at.UTC()}}, nil
}

// ProgressSync returns a SyncProgressed event while syncID runs, or
// ErrSyncNotRunning.
func (p *Provider) ProgressSync(syncID string, seen int) ([]Event, error) {
	if !p.isRunning(syncID) {
		return nil, ErrSyncNotRunning
	}
	return []Event{SyncProgressed{Slug: p.slug, SyncID: syncID, PackagesSeen: seen}}, nil
}

// CompleteSync returns the SyncCompleted event of syncID, or
// ErrSyncNotRunning when it already finished.
func (p *Provider) CompleteSync(syncID string, counts SyncCounts, at time.Time) ([]Event, error) {
	if !p.isRunning(syncID) {
		return nil, ErrSyncNotRunning
	}
	return []Event{SyncCompleted{
		Slug:            p.slug,
		SyncID:          syncID,
		PackagesSeen:    counts.Seen,
		PackagesAdded:   counts.Added,
		PackagesChanged: counts.Changed,
		PackagesRemoved: counts.Removed,
		FinishedAt:      at.UTC(),
	}}, nil
}

// FailSync returns the SyncFailed event of syncID, or ErrSyncNotRunning
// when it already finished.
func (p *Provider) FailSync(syncID string, seen int, cause, message string, at time.Time) ([]Event, error) {
	if !p.isRunning(syncID) {
		return nil, ErrSyncNotRunning
	}
	return []Event{SyncFailed{
		Slug:         p.slug,
		SyncID:       syncID,
		PackagesSeen: seen,
		Cause:        cause,
		Message:      message,
		FinishedAt:   at.UTC(),
	}}, nil
}

// Enable returns ProviderEnabled, or no events when already enabled. It
// fails with ErrProviderNotConfigured, or ErrProviderNotTested unless the
// last connection test succeeded after the last change of the base URL,
// the auth mode, an advanced setting or a credential.
func (p *Provider) Enable() ([]Event, error) {
	if !p.configured {
		return nil, ErrProviderNotConfigured
	}
	if !p.LastTestCurrent() || !p.lastTest.OK {
		return nil, ErrProviderNotTested
	}
	if p.enabled {
		return nil, nil
	}
	return []Event{ProviderEnabled{Slug: p.slug}}, nil
}

// Disable returns ProviderDisabled, or no events when not enabled.
func (p *Provider) Disable() ([]Event, error) {
	if !p.enabled {
		return nil, nil
	}
	return []Event{ProviderDisabled{Slug: p.slug}}, nil
}
