package orders

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esimscan/projections/projection"
	"esimscan/projections/projectiontest"
)

const buyerHash = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"

// sealedOrder returns the OrderPlaced payload of an order whose email is
// sealed for a customer or a guest and listed under buyerHash.
func sealedOrder(id, holderField, holder string) string {
	return fmt.Sprintf(`{"order_id":%q,%q:%q,"email_hash":%q,"email_sealed":"c2VhbGVk",
		"access_token_hash":%q,"package":{"id":"pkg-jp","provider":"airalo","name":"Japan 1GB","countries":["JP"]},
		"unit_price":{"amount":"1100","currency":"JPY"},"quantity":1,
		"total":{"amount":"1100","currency":"JPY"},"placed_at":"2025-03-01T10:00:00Z"}`,
		id, holderField, holder, buyerHash, tokenHash)
}

// listedByHash returns the ids of the orders that the admin's email
// filter finds under buyerHash.
func listedByHash(ctx context.Context, t *testing.T, q *Queries) []string {
	t.Helper()
	found, total, err := q.List(ctx, ListFilter{EmailHash: buyerHash})
	require.NoError(t, err)
	ids := make([]string, 0, len(found))
	for _, order := range found {
		ids = append(ids, order.ID)
	}
	assert.Equal(t, len(ids), total, "total")
	sort.Strings(ids)
	return ids
}

// snapshot returns every key of the read model with a dump of its value.
func snapshot(ctx context.Context, t *testing.T, rdb redis.UniversalClient) map[string]string {
	t.Helper()
	keys, err := rdb.Keys(ctx, keyPrefix+"*").Result()
	require.NoError(t, err)
	out := make(map[string]string, len(keys))
	for _, key := range keys {
		kind, err := rdb.Type(ctx, key).Result()
		require.NoError(t, err)
		switch kind {
		case "string":
			out[key], err = rdb.Get(ctx, key).Result()
		case "set":
			var members []string
			members, err = rdb.SMembers(ctx, key).Result()
			sort.Strings(members)
			out[key] = fmt.Sprint(members)
		case "zset":
			var members []redis.Z
			members, err = rdb.ZRangeWithScores(ctx, key, 0, -1).Result()
			out[key] = fmt.Sprint(members)
		default:
			t.Fatalf("key %s has unexpected type %s", key, kind)
		}
		require.NoError(t, err)
	}
	return out
}

func TestOrders_erasure_leavesEmailHashIndex(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := newFeeder(t, rdb, NewProjector())
		q := NewQueries(rdb)
		var events []projection.Event
		apply := func(stream, eventType, data string) {
			t.Helper()
			events = append(events, f.Apply(stream, eventType, data))
		}

		apply("order-o-account", typeOrderPlaced, sealedOrder("o-account", "customer_id", "c-erased"))
		apply("order-o-guest", typeOrderPlaced, sealedOrder("o-guest", "guest_id", "g1-erased"))
		apply("order-o-later", typeOrderPlaced, sealedOrder("o-later", "guest_id", "g2-kept"))
		require.Equal(t, []string{"o-account", "o-guest", "o-later"}, listedByHash(ctx, t, q))

		apply("customer-key-c-erased", typeCustomerErased, `{"customer_id":"c-erased","erased_at":"2025-03-02T10:00:00Z"}`)
		assert.Equal(t, []string{"o-guest", "o-later"}, listedByHash(ctx, t, q),
			"the erased customer's order leaves the email filter")
		apply("customerguest-h", typeGuestErased, `{"guest_id":"g1-erased","erased_at":"2025-03-02T11:00:00Z"}`)
		assert.Equal(t, []string{"o-later"}, listedByHash(ctx, t, q),
			"the erased guest's order leaves the email filter")

		erased, err := q.Order(ctx, "o-account")
		require.NoError(t, err)
		assert.Equal(t, ErasedEmail, erased.Email)
		assert.Empty(t, erased.EmailSealed)
		kept, err := q.Order(ctx, "o-later")
		require.NoError(t, err)
		assert.Equal(t, "c2VhbGVk", kept.EmailSealed, "an order of a key that was not erased keeps its sealed email")

		live := snapshot(ctx, t, rdb)
		keys, err := rdb.Keys(ctx, keyPrefix+"*").Result()
		require.NoError(t, err)
		require.NoError(t, rdb.Del(ctx, keys...).Err())
		replay := newFeeder(t, rdb, NewProjector())
		for _, ev := range events {
			require.NoError(t, replay.ApplyEvent(ev))
		}
		assert.Equal(t, live, snapshot(ctx, t, rdb), "a rebuild gives the read model the live run built")
	})
}
