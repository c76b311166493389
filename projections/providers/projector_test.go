package providers

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esimscan/projections/projectiontest"
)

// sealedValue stands for an encrypted credential: it must never reach Redis.
const sealedValue = "c2VhbGVkLXNlY3JldC1kby1ub3Qtc3RvcmU="

// allRedisText returns every key and value of the database as one string.
// Keys that other tests delete during the scan are skipped.
func allRedisText(t *testing.T, rdb redis.UniversalClient) string {
	t.Helper()
	ctx := projectiontest.Context(t)
	var text strings.Builder
	iter := rdb.Scan(ctx, 0, "*", 1000).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		text.WriteString(key + "\n")
		kind, err := rdb.Type(ctx, key).Result()
		require.NoError(t, err)
		switch kind {
		case "string":
			text.WriteString(rdb.Get(ctx, key).Val())
		case "zset":
			text.WriteString(strings.Join(rdb.ZRange(ctx, key, 0, -1).Val(), "\n"))
		case "hash":
			for field, value := range rdb.HGetAll(ctx, key).Val() {
				text.WriteString(field + "=" + value + "\n")
			}
		case "set":
			text.WriteString(strings.Join(rdb.SMembers(ctx, key).Val(), "\n"))
		case "none":
			continue
		case "list":
			text.WriteString(strings.Join(rdb.LRange(ctx, key, 0, -1).Val(), "\n"))
		default:
			t.Fatalf("key %s has unexpected type %s", key, kind)
		}
		text.WriteString("\n")
	}
	require.NoError(t, iter.Err())
	return text.String()
}

func TestProviders_Providers_unconfigured(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		views, err := NewQueries(rdb).Providers(projectiontest.Context(t))
		require.NoError(t, err)
		require.Len(t, views, 4)
		names := []string{}
		for _, view := range views {
			names = append(names, view.Slug+"="+view.Name)
			assert.False(t, view.Configured, view.Slug)
		}
		assert.Equal(t, []string{"airalo=Airalo", "esim-access=eSIM Access", "maya=Maya Mobile", "esim-go=eSIM Go"}, names)

		raw, err := json.Marshal(views[0])
		require.NoError(t, err)
		assert.JSONEq(t, `{"slug":"airalo","name":"Airalo","configured":false,"enabled":false,"base_url":"",
			"margin_percent":0,"sync_interval_minutes":0,"rate_limit_per_hour":null,
			"credentials":{"client_id":"missing","client_secret":"missing"},"advanced":{},
			"last_test":null,"last_sync":null,"version":0}`, string(raw))
	})
}

func TestProviders_Provider_configured(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := projectiontest.NewFeeder(t, rdb, NewProjector())
		f.Apply("provider-maya", typeProviderConfigured, `{"slug":"maya","base_url":"https://api.example.test",
			"sync_interval_minutes":60,"rate_limit_per_hour":null,
			"advanced":{"balance_path":"/v1/balance","package_list_path":"/v1/products"},"auth_mode":"basic"}`)
		f.Apply("provider-maya", typeProviderMarginSet, `{"slug":"maya","old_percent":null,"new_percent":"12.5"}`)
		f.Apply("provider-maya", typeProviderCredentialSet, `{"slug":"maya","field":"api_key",
			"old_fingerprint":null,"fingerprint":"a1b2c3d4e5f6","sealed":"`+sealedValue+`"}`)
		f.Apply("provider-maya", typeProviderTested, `{"slug":"maya","ok":true,"cause":"","message":"balance 120.00 USD",
			"balance":{"amount":"120.00","currency":"USD"},"at":"2025-03-01T10:00:00Z"}`)
		f.Apply("provider-maya", typeProviderEnabled, `{"slug":"maya"}`)

		view, err := NewQueries(rdb).Provider(ctx, "maya")
		require.NoError(t, err)
		raw, err := json.Marshal(view)
		require.NoError(t, err)
		assert.JSONEq(t, `{"slug":"maya","name":"Maya Mobile","configured":true,"enabled":true,
			"base_url":"https://api.example.test","margin_percent":12.5,"sync_interval_minutes":60,
			"rate_limit_per_hour":null,"auth_mode":"basic",
			"credentials":{"api_key":"set","api_secret":"missing"},
			"advanced":{"balance_path":"/v1/balance","package_list_path":"/v1/products"},
			"last_test":{"ok":true,"at":"2025-03-01T10:00:00Z","message":"balance 120.00 USD"},
			"last_sync":null,"version":4}`, string(raw))

		f.Apply("provider-maya", typeProviderDisabled, `{"slug":"maya"}`)
		view, err = NewQueries(rdb).Provider(ctx, "maya")
		require.NoError(t, err)
		assert.False(t, view.Enabled)
		assert.Equal(t, uint64(5), view.Version)

		stored := allRedisText(t, rdb)
		assert.NotContains(t, stored, sealedValue, "the sealed credential must not reach Redis")
		assert.NotContains(t, stored, "sealed")
	})
}

func TestProviders_Sync_progress(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := projectiontest.NewFeeder(t, rdb, NewProjector())
		q := NewQueries(rdb)
		f.Apply("provider-airalo", typeSyncStarted, `{"slug":"airalo","sync_id":"s-progress","started_at":"2025-03-01T10:00:00Z"}`)

		sync, err := q.Sync(ctx, "airalo", "s-progress")
		require.NoError(t, err)
		raw, err := json.Marshal(sync)
		require.NoError(t, err)
		assert.JSONEq(t, `{"id":"s-progress","status":"running","packages_seen":0,"packages_added":0,
			"packages_changed":0,"packages_removed":0,"started_at":"2025-03-01T10:00:00Z",
			"finished_at":null,"message":""}`, string(raw))

		f.Apply("provider-airalo", typeSyncProgressed, `{"slug":"airalo","sync_id":"s-progress","packages_seen":40}`)
		f.Apply("provider-airalo", typeSyncProgressed, `{"slug":"airalo","sync_id":"s-progress","packages_seen":95}`)
		sync, err = q.Sync(ctx, "airalo", "s-progress")
		require.NoError(t, err)
		assert.Equal(t, SyncRunning, sync.Status)
		assert.Equal(t, 95, sync.PackagesSeen)
		view, err := q.Provider(ctx, "airalo")
		require.NoError(t, err)
		require.NotNil(t, view.LastSync)
		assert.Equal(t, 95, view.LastSync.PackagesSeen, "last_sync follows the running sync")

		f.Apply("provider-airalo", typeSyncCompleted, `{"slug":"airalo","sync_id":"s-progress","packages_seen":120,
			"packages_added":3,"packages_changed":2,"packages_removed":1,"finished_at":"2025-03-01T10:05:00Z"}`)
		sync, err = q.Sync(ctx, "airalo", "s-progress")
		require.NoError(t, err)
		assert.Equal(t, SyncCompleted, sync.Status)
		assert.Equal(t, []int{120, 3, 2, 1}, []int{sync.PackagesSeen, sync.PackagesAdded, sync.PackagesChanged, sync.PackagesRemoved})
		require.NotNil(t, sync.FinishedAt)
		assert.Equal(t, "2025-03-01T10:05:00Z", sync.FinishedAt.Format("2006-01-02T15:04:05Z07:00"))

		f.Apply("provider-airalo", typeSyncStarted, `{"slug":"airalo","sync_id":"s-failing","started_at":"2025-03-01T11:00:00Z"}`)
		f.Apply("provider-airalo", typeSyncFailed, `{"slug":"airalo","sync_id":"s-failing","packages_seen":7,
			"cause":"rate_limited","message":"provider answered 429","finished_at":"2025-03-01T11:01:00Z"}`)
		view, err = q.Provider(ctx, "airalo")
		require.NoError(t, err)
		require.NotNil(t, view.LastSync)
		assert.Equal(t, "s-failing", view.LastSync.ID)
		assert.Equal(t, SyncFailed, view.LastSync.Status)
		assert.Equal(t, "rate_limited", view.LastSync.Cause)
		assert.Equal(t, 7, view.LastSync.PackagesSeen)
	})
}

func TestProviders_History_newestFirst(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := projectiontest.NewFeeder(t, rdb, NewProjector())
		f.Apply("provider-esim-go", typeProviderTested, `{"slug":"esim-go","ok":false,"cause":"credentials",
			"message":"key rejected","balance":null,"at":"2025-03-01T09:00:00Z"}`)
		f.Apply("provider-esim-go", typeProviderTested, `{"slug":"esim-go","ok":true,"cause":"",
			"message":"ok","balance":null,"at":"2025-03-01T09:10:00Z"}`)
		f.Apply("provider-esim-go", typeSyncStarted, `{"slug":"esim-go","sync_id":"s1","started_at":"2025-03-01T09:20:00Z"}`)
		f.Apply("provider-esim-go", typeSyncProgressed, `{"slug":"esim-go","sync_id":"s1","packages_seen":10}`)
		f.Apply("provider-esim-go", typeSyncCompleted, `{"slug":"esim-go","sync_id":"s1","packages_seen":10,
			"packages_added":10,"packages_changed":0,"packages_removed":0,"finished_at":"2025-03-01T09:21:00Z"}`)
		f.Apply("provider-esim-go", typeSyncStarted, `{"slug":"esim-go","sync_id":"s2","started_at":"2025-03-01T09:30:00Z"}`)
		failed := f.Apply("provider-esim-go", typeSyncFailed, `{"slug":"esim-go","sync_id":"s2","packages_seen":0,
			"cause":"timeout","message":"no answer in 30s","finished_at":"2025-03-01T09:31:00Z"}`)
		require.NoError(t, f.ApplyEvent(failed), "a repeated event is harmless")

		entries, err := NewQueries(rdb).History(ctx, "esim-go")
		require.NoError(t, err)
		require.Len(t, entries, 4)
		raw, err := json.Marshal(entries)
		require.NoError(t, err)
		assert.JSONEq(t, `[
			{"at":"2025-03-01T09:31:00Z","kind":"sync","ok":false,"message":"no answer in 30s","cause":"timeout","sync_id":"s2"},
			{"at":"2025-03-01T09:21:00Z","kind":"sync","ok":true,"message":"10 packages seen: 10 added, 0 changed, 0 removed","sync_id":"s1"},
			{"at":"2025-03-01T09:10:00Z","kind":"test","ok":true,"message":"ok"},
			{"at":"2025-03-01T09:00:00Z","kind":"test","ok":false,"message":"key rejected","cause":"credentials"}
		]`, string(raw))
	})
}

func TestProviders_Queries_notFound(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := projectiontest.NewFeeder(t, rdb, NewProjector())
		f.Apply("provider-unknown", typeProviderEnabled, `{"slug":"unknown"}`)
		q := NewQueries(rdb)

		_, err := q.Provider(ctx, "unknown")
		assert.ErrorIs(t, err, ErrNotFound)
		_, err = q.History(ctx, "unknown")
		assert.ErrorIs(t, err, ErrNotFound)
		_, err = q.Sync(ctx, "unknown", "s1")
		assert.ErrorIs(t, err, ErrNotFound)
		_, err = q.Sync(ctx, "airalo", "no-such-sync")
		assert.ErrorIs(t, err, ErrNotFound)
		keys, err := rdb.Keys(ctx, keyPrefix+"*").Result()
		require.NoError(t, err)
		assert.Empty(t, keys, "events of an unsupported slug write nothing")
	})
}

func TestProviders_Apply_rejectsBadPayload(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := projectiontest.NewFeeder(t, rdb, NewProjector())
		err := f.ApplyEvent(f.Event("provider-airalo", typeProviderEnabled, `{}`))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "slug")
		err = f.ApplyEvent(f.Event("provider-airalo", typeProviderCredentialSet, `{"slug":"airalo","fingerprint":"abc"}`))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "field")
		err = f.ApplyEvent(f.Event("provider-airalo", typeSyncStarted, `{"slug":"airalo"}`))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "sync_id")
	})
}
