package audit

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esimscan/projections/projectiontest"
)

func TestAudit_Entries_oldToNew(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := projectiontest.NewFeeder(t, rdb, NewProjector())
		f.Apply("admin-a1", typeAdminCreated, `{"admin_id":"a1","email":"owner@example.com","password_hash":"$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"}`)
		f.Actor = "a1"
		margin1 := f.Apply("provider-airalo", typeProviderMarginSet, `{"slug":"airalo","old_percent":null,"new_percent":"10"}`)
		f.Apply("provider-airalo", typeProviderCredentialSet, `{"slug":"airalo","field":"client_secret",
			"old_fingerprint":null,"fingerprint":"0123456789ab","sealed":"c2VhbGVkLXZhbHVl"}`)
		f.Apply("provider-airalo", typeProviderMarginSet, `{"slug":"airalo","old_percent":"10","new_percent":"12.5"}`)
		f.Actor = "a-unknown"
		f.Apply("catalog-airalo", typePackageMarginSet, `{"package_id":"pkg1","provider":"airalo","old_percent":null,"new_percent":"5"}`)
		f.Apply("catalog-airalo", typePackageMarginSet, `{"package_id":"pkg1","provider":"airalo","old_percent":"5","new_percent":null}`)
		f.Actor = "a1"
		f.Apply("provider-airalo", typeProviderCredentialSet, `{"slug":"airalo","field":"client_secret",
			"old_fingerprint":"0123456789ab","fingerprint":"ba9876543210","sealed":"c2VhbGVkLXZhbHVlLTI="}`)
		require.NoError(t, f.ApplyEvent(margin1), "a repeated event adds no second entry")

		q := NewQueries(rdb)
		margins, err := q.Entries(ctx, KindMargin, 0)
		require.NoError(t, err)
		raw, err := json.Marshal(margins)
		require.NoError(t, err)
		assert.JSONEq(t, `[
			{"at":"2025-03-01T09:06:00Z","actor":{"id":"a-unknown","email":""},"action":"package_margin_set","subject":"package:pkg1","old":"5","new":null},
			{"at":"2025-03-01T09:05:00Z","actor":{"id":"a-unknown","email":""},"action":"package_margin_set","subject":"package:pkg1","old":null,"new":"5"},
			{"at":"2025-03-01T09:04:00Z","actor":{"id":"a1","email":"owner@example.com"},"action":"provider_margin_set","subject":"provider:airalo","old":"10","new":"12.5"},
			{"at":"2025-03-01T09:02:00Z","actor":{"id":"a1","email":"owner@example.com"},"action":"provider_margin_set","subject":"provider:airalo","old":null,"new":"10"}
		]`, string(raw))

		credentials, err := q.Entries(ctx, KindCredentials, 0)
		require.NoError(t, err)
		raw, err = json.Marshal(credentials)
		require.NoError(t, err)
		assert.JSONEq(t, `[
			{"at":"2025-03-01T09:07:00Z","actor":{"id":"a1","email":"owner@example.com"},"action":"credential_set","subject":"provider:airalo:client_secret","old":"0123456789ab","new":"ba9876543210"},
			{"at":"2025-03-01T09:03:00Z","actor":{"id":"a1","email":"owner@example.com"},"action":"credential_set","subject":"provider:airalo:client_secret","old":null,"new":"0123456789ab"}
		]`, string(raw))

		all, err := q.Entries(ctx, "", 3)
		require.NoError(t, err)
		require.Len(t, all, 3)
		assert.Equal(t, []string{ActionCredentialSet, ActionPackageMarginSet, ActionPackageMarginSet},
			[]string{all[0].Action, all[1].Action, all[2].Action})
		everything, err := q.Entries(ctx, "", 0)
		require.NoError(t, err)
		assert.Len(t, everything, 6)

		stored := storedText(t, rdb)
		assert.NotContains(t, stored, "c2VhbGVk", "a sealed value reached Redis")
		assert.NotContains(t, stored, "argon2id", "a password hash reached Redis")
	})
}

// storedText returns every key and value under the audit prefix as one
// string.
func storedText(t *testing.T, rdb redis.UniversalClient) string {
	t.Helper()
	ctx := projectiontest.Context(t)
	keys, err := rdb.Keys(ctx, keyPrefix+"*").Result()
	require.NoError(t, err)
	var text strings.Builder
	for _, key := range keys {
		text.WriteString(key + "\n")
		kind, err := rdb.Type(ctx, key).Result()
		require.NoError(t, err)
		switch kind {
		case "zset":
			text.WriteString(strings.Join(rdb.ZRange(ctx, key, 0, -1).Val(), "\n"))
		case "hash":
			for field, value := range rdb.HGetAll(ctx, key).Val() {
				text.WriteString(field + "=" + value + "\n")
			}
		default:
			t.Fatalf("key %s has unexpected type %s", key, kind)
		}
	}
	return text.String()
}

func TestAudit_Entries_unknownKind(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		_, err := NewQueries(rdb).Entries(projectiontest.Context(t), "passwords", 10)
		assert.ErrorIs(t, err, ErrUnknownKind)
	})
}

func TestAudit_Apply_rejectsBadPayload(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := projectiontest.NewFeeder(t, rdb, NewProjector())
		err := f.ApplyEvent(f.Event("catalog-airalo", typePackageMarginSet, `{"provider":"airalo","new_percent":"5"}`))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "package_id")
		err = f.ApplyEvent(f.Event("provider-airalo", typeProviderCredentialSet, `{"slug":"airalo","fingerprint":"abc"}`))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "field")
	})
}
