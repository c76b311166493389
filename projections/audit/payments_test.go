package audit

import (
	"encoding/json"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esimscan/projections/projectiontest"
)

func TestAudit_Entries_paymentCredentials(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := projectiontest.NewFeeder(t, rdb, NewProjector())
		f.Apply("admin-a1", typeAdminCreated, `{"admin_id":"a1","email":"owner@example.com"}`)
		f.Actor = "a1"
		f.Apply("payment-settings", typePaymentCredentialSet, `{"gateway":"stripe","field":"secret_key",
			"old_fingerprint":null,"fingerprint":"0123456789ab","sealed":"c2VhbGVkLXN0cmlwZQ=="}`)
		f.Apply("payment-settings", typePaymentCredentialSet, `{"gateway":"stripe","field":"secret_key",
			"old_fingerprint":"0123456789ab","fingerprint":"ba9876543210","sealed":"c2VhbGVkLXN0cmlwZTI="}`)

		credentials, err := NewQueries(rdb).Entries(ctx, KindCredentials, 0)
		require.NoError(t, err)
		raw, err := json.Marshal(credentials)
		require.NoError(t, err)
		assert.JSONEq(t, `[
			{"at":"2025-03-01T09:03:00Z","actor":{"id":"a1","email":"owner@example.com"},"action":"credential_set","subject":"payments:stripe:secret_key","old":"0123456789ab","new":"ba9876543210"},
			{"at":"2025-03-01T09:02:00Z","actor":{"id":"a1","email":"owner@example.com"},"action":"credential_set","subject":"payments:stripe:secret_key","old":null,"new":"0123456789ab"}
		]`, string(raw))
		assert.NotContains(t, storedText(t, rdb), "c2VhbGVk", "a sealed value reached Redis")

		err = f.ApplyEvent(f.Event("payment-settings", typePaymentCredentialSet, `{"field":"secret_key","fingerprint":"abc"}`))
		assert.ErrorContains(t, err, "missing gateway or field")
	})
}
