package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ErrNotFound reports an unsupported provider slug or an unknown sync.
var ErrNotFound = errors.New("not found")

// Queries is the query side of the providers read model. It is safe for
// concurrent use.
type Queries struct {
	rdb redis.UniversalClient
}

// NewQueries returns the providers queries over rdb.
func NewQueries(rdb redis.UniversalClient) *Queries {
	return &Queries{rdb: rdb}
}

// Provider returns the view of one supported provider, unconfigured ones
// included, or ErrNotFound for any other slug.
func (q *Queries) Provider(ctx context.Context, slug string) (ProviderView, error) {
	p, ok := lookup(slug)
	if !ok {
		return ProviderView{}, fmt.Errorf("provider %q: %w", slug, ErrNotFound)
	}
	record, err := loadRecord(ctx, q.rdb, slug)
	if err != nil {
		return ProviderView{}, err
	}
	view := ProviderView{
		Slug:                p.slug,
		Name:                p.name,
		Configured:          record.Configured,
		Enabled:             record.Enabled,
		BaseURL:             record.BaseURL,
		MarginPercent:       record.Margin,
		SyncIntervalMinutes: record.SyncIntervalMinutes,
		RateLimitPerHour:    record.RateLimitPerHour,
		AuthMode:            record.AuthMode,
		Credentials:         make(map[string]string, len(p.credentials)),
		Advanced:            record.Advanced,
		LastTest:            record.LastTest,
		Version:             record.Version,
	}
	if view.Advanced == nil {
		view.Advanced = map[string]json.RawMessage{}
	}
	for _, field := range p.credentials {
		view.Credentials[field] = "missing"
	}
	for _, field := range record.CredentialsSet {
		view.Credentials[field] = "set"
	}
	if record.LastSyncID != "" {
		if view.LastSync, err = loadSync(ctx, q.rdb, slug, record.LastSyncID); err != nil {
			return ProviderView{}, err
		}
	}
	return view, nil
}

// Providers returns the views of the four supported providers in a fixed
// order: airalo, esim-access, maya, esim-go.
func (q *Queries) Providers(ctx context.Context) ([]ProviderView, error) {
	views := make([]ProviderView, 0, len(supported))
	for _, p := range supported {
		view, err := q.Provider(ctx, p.slug)
		if err != nil {
			return nil, err
		}
		views = append(views, view)
	}
	return views, nil
}

// History returns every test and sync outcome of the provider, newest first,
// or ErrNotFound for an unsupported slug.
func (q *Queries) History(ctx context.Context, slug string) ([]HistoryEntry, error) {
	if _, ok := lookup(slug); !ok {
		return nil, fmt.Errorf("provider %q: %w", slug, ErrNotFound)
	}
	members, err := q.rdb.ZRevRange(ctx, historyKey(slug), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("read history of provider %s: %w", slug, err)
	}
	entries := make([]HistoryEntry, 0, len(members))
	for _, member := range members {
		_, raw, _ := strings.Cut(member, " ")
		var entry HistoryEntry
		if err := json.Unmarshal([]byte(raw), &entry); err != nil {
			return nil, fmt.Errorf("decode history of provider %s: %w", slug, err)
		}
		entries = append(entries, entry)
	}
	return entries, nil
}

// Sync returns one sync of the provider, or ErrNotFound when the slug is
// unsupported or the sync unknown.
func (q *Queries) Sync(ctx context.Context, slug, syncID string) (SyncView, error) {
	if _, ok := lookup(slug); !ok {
		return SyncView{}, fmt.Errorf("provider %q: %w", slug, ErrNotFound)
	}
	sync, err := loadSync(ctx, q.rdb, slug, syncID)
	if err != nil {
		return SyncView{}, err
	}
	if sync == nil {
		return SyncView{}, fmt.Errorf("sync %q of provider %s: %w", syncID, slug, ErrNotFound)
	}
	return *sync, nil
}
