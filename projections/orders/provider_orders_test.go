package orders

import (
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esimscan/projections/projection"
	"esimscan/projections/projectiontest"
)

func TestOrders_ProviderOrderOwner_indexedAndRebuilt(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := newFeeder(t, rdb, NewProjector())
		q := NewQueries(rdb)
		var log []projection.Event
		apply := func(id, eventType, data string) {
			t.Helper()
			log = append(log, f.Apply("order-"+id, eventType, data))
		}
		const iccid = "8981100000000000001"

		f.placeOrder("o-owner", "buyer@example.com")
		f.placeTopUp("o-owner-topup", "o-owner", iccid)
		apply("o-owner", typeProvisioningStarted, `{"order_id":"o-owner","driver":"live","started_at":"2025-03-01T10:02:00Z"}`)
		apply("o-owner", "ProviderOrderRequested", `{"order_id":"o-owner","provider":"airalo","reference":"o-owner",
			"requested_at":"2025-03-01T10:02:00Z"}`)
		apply("o-owner", typeProviderOrderPlaced, `{"order_id":"o-owner","provider":"airalo",
			"provider_order_id":"9001","reference":"o-owner","placed_at":"2025-03-01T10:02:01Z"}`)
		apply("o-owner-topup", typeProvisioningStarted, `{"order_id":"o-owner-topup","driver":"live","started_at":"2025-03-02T10:02:00Z"}`)
		apply("o-owner-topup", typeTopUpApplied, `{"order_id":"o-owner-topup","iccid":"`+iccid+`",
			"provider_reference":"topup-77","applied_at":"2025-03-02T10:03:00Z"}`)

		check := func(when string) {
			t.Helper()
			for _, tc := range []struct {
				provider, providerOrderID, wantOwner string
			}{
				{"airalo", "9001", "o-owner"},
				{"airalo", "topup-77", "o-owner-topup"},
				{"esim-go", "9001", ""}, // the same id at another provider
				{"airalo", "9002", ""},
			} {
				owner, found, err := q.ProviderOrderOwner(ctx, tc.provider, tc.providerOrderID)
				require.NoError(t, err)
				assert.Equal(t, tc.wantOwner != "", found, "%s: found %s/%s", when, tc.provider, tc.providerOrderID)
				assert.Equal(t, tc.wantOwner, owner, "%s: owner of %s/%s", when, tc.provider, tc.providerOrderID)
			}
		}
		check("after the events")

		// A replay drops every key under the prefix, then applies the log
		// again from the start.
		keys, err := rdb.Keys(ctx, keyPrefix+"*").Result()
		require.NoError(t, err)
		require.NoError(t, rdb.Del(ctx, keys...).Err())
		_, found, err := q.ProviderOrderOwner(ctx, "airalo", "9001")
		require.NoError(t, err)
		require.False(t, found, "the index lives under the projector's key prefix")
		f.placeOrder("o-owner", "buyer@example.com")
		f.placeTopUp("o-owner-topup", "o-owner", iccid)
		for _, ev := range log {
			require.NoError(t, f.ApplyEvent(ev))
		}
		check("after the replay")
	})
}
