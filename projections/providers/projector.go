// Package providers projects provider events into the providers read model:
// each provider's settings, which credentials are set, its latest test and
// sync, its test and sync history, and every sync's progress.
package providers

import (
	"context"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"

	"esimscan/projections/projection"
)

// Name is the providers projector's name and checkpoint key.
const Name = "providers"

type projector struct{}

// NewProjector returns the providers projector. It keeps no state of its
// own and is safe for concurrent use.
func NewProjector() projection.Projector { return projector{} }

func (projector) Name() string      { return Name }
func (projector) KeyPrefix() string { return keyPrefix }

// Apply queues the providers read-model writes for ev on tx. Events of a
// slug that esimScan does not support are ignored.
func (projector) Apply(ctx context.Context, rdb redis.Cmdable, tx redis.Pipeliner, ev projection.Event) error {
	if !handles(ev.Type) {
		return nil
	}
	payload, err := decodeEvent(ev.Type, ev.Data)
	if err != nil {
		return err
	}
	if _, ok := lookup(payload.Slug); !ok {
		return nil
	}
	record, err := loadRecord(ctx, rdb, payload.Slug)
	if err != nil {
		return err
	}
	switch ev.Type {
	case typeSyncStarted, typeSyncProgressed, typeSyncCompleted, typeSyncFailed:
		err = applySync(ctx, rdb, tx, ev, payload, &record)
	default:
		err = applySetting(ctx, tx, ev, payload, &record)
	}
	if err != nil {
		return err
	}
	record.Version = ev.Revision
	return saveRecord(ctx, tx, payload.Slug, record)
}

func handles(eventType string) bool {
	switch eventType {
	case typeProviderConfigured, typeProviderMarginSet, typeProviderCredentialSet, typeProviderTested,
		typeProviderEnabled, typeProviderDisabled,
		typeSyncStarted, typeSyncProgressed, typeSyncCompleted, typeSyncFailed:
		return true
	}
	return false
}

// applySetting updates the record for the events that are not about a sync.
func applySetting(
	ctx context.Context,
	tx redis.Pipeliner,
	ev projection.Event,
	payload providerEvent,
	record *providerRecord,
) error {
	switch ev.Type {
	case typeProviderConfigured:
		record.Configured = true
		record.BaseURL = payload.BaseURL
		record.SyncIntervalMinutes = payload.SyncIntervalMinutes
		record.RateLimitPerHour = payload.RateLimitPerHour
		record.Advanced = payload.Advanced
		record.AuthMode = payload.AuthMode
	case typeProviderMarginSet:
		record.Margin = 0
		if payload.NewPercent != nil {
			record.Margin = *payload.NewPercent
		}
	case typeProviderCredentialSet:
		if payload.Field == "" {
			return fmt.Errorf("decode %s: missing field", ev.Type)
		}
		if !slices.Contains(record.CredentialsSet, payload.Field) {
			record.CredentialsSet = append(record.CredentialsSet, payload.Field)
			slices.Sort(record.CredentialsSet)
		}
	case typeProviderEnabled:
		record.Enabled = true
	case typeProviderDisabled:
		record.Enabled = false
	case typeProviderTested:
		record.LastTest = &TestView{OK: payload.OK, At: payload.At, Message: payload.Message, Cause: payload.Cause}
		return addHistory(ctx, tx, payload.Slug, ev.Position, HistoryEntry{
			At:      payload.At,
			Kind:    KindTest,
			OK:      payload.OK,
			Message: payload.Message,
			Cause:   payload.Cause,
		})
	}
	return nil
}

// applySync updates the sync the event names, and the provider's latest
// sync on SyncStarted.
func applySync(
	ctx context.Context,
	rdb redis.Cmdable,
	tx redis.Pipeliner,
	ev projection.Event,
	payload providerEvent,
	record *providerRecord,
) error {
	if payload.SyncID == "" {
		return fmt.Errorf("decode %s: missing sync_id", ev.Type)
	}
	sync, err := loadSync(ctx, rdb, payload.Slug, payload.SyncID)
	if err != nil {
		return err
	}
	if sync == nil {
		sync = &SyncView{ID: payload.SyncID, Status: SyncRunning}
	}
	switch ev.Type {
	case typeSyncStarted:
		sync.StartedAt = payload.StartedAt
		record.LastSyncID = payload.SyncID
	case typeSyncProgressed:
		sync.PackagesSeen = payload.PackagesSeen
	case typeSyncCompleted:
		finished := payload.FinishedAt
		sync.Status = SyncCompleted
		sync.PackagesSeen = payload.PackagesSeen
		sync.PackagesAdded = payload.PackagesAdded
		sync.PackagesChanged = payload.PackagesChanged
		sync.PackagesRemoved = payload.PackagesRemoved
		sync.FinishedAt = &finished
		sync.Message = completedMessage(sync)
	case typeSyncFailed:
		finished := payload.FinishedAt
		sync.Status = SyncFailed
		sync.PackagesSeen = payload.PackagesSeen
		sync.FinishedAt = &finished
		sync.Message = payload.Message
		sync.Cause = payload.Cause
	}
	if err := saveSync(ctx, tx, payload.Slug, sync); err != nil {
		return err
	}
	if sync.FinishedAt == nil {
		return nil
	}
	return addHistory(ctx, tx, payload.Slug, ev.Position, HistoryEntry{
		At:      *sync.FinishedAt,
		Kind:    KindSync,
		OK:      sync.Status == SyncCompleted,
		Message: sync.Message,
		Cause:   sync.Cause,
		SyncID:  sync.ID,
	})
}

func completedMessage(sync *SyncView) string {
	return fmt.Sprintf("%d packages seen: %d added, %d changed, %d removed",
		sync.PackagesSeen, sync.PackagesAdded, sync.PackagesChanged, sync.PackagesRemoved)
}
