package orders

import (
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esimscan/projections/projectiontest"
)

func TestOrders_Order_retriedAfterFailure(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := newFeeder(t, rdb, NewProjector())
		q := NewQueries(rdb)

		f.placeOrder("o-retry", "buyer@example.com")
		f.orderEvent("o-retry", typeOrderPaid, `{"order_id":"o-retry","gateway":"test","payment_reference":"test-o-retry",
			"amount":{"amount":"2200","currency":"JPY"},"paid_at":"2025-03-01T10:01:00Z"}`)
		f.orderEvent("o-retry", typeProvisioningStarted, `{"order_id":"o-retry","driver":"live","started_at":"2025-03-01T10:02:00Z"}`)
		f.orderEvent("o-retry", typeProviderOrderPlaced, `{"order_id":"o-retry","provider":"airalo",
			"provider_order_id":"9001","reference":"o-retry","placed_at":"2025-03-01T10:02:01Z"}`)
		view, err := q.Order(ctx, "o-retry")
		require.NoError(t, err)
		assert.Equal(t, StatusProvisioning, view.Status, "a provider order keeps the order in provisioning")
		assert.Equal(t, "9001", view.ProviderOrderID)

		f.orderEvent("o-retry", typeOrderFailed, `{"order_id":"o-retry","reason":"no eSIM from airalo within 15m0s","failed_at":"2025-03-01T10:17:00Z"}`)
		f.orderEvent("o-retry", typeProvisioningRetried, `{"order_id":"o-retry","driver":"live","retried_at":"2025-03-01T11:00:00Z"}`)
		view, err = q.Order(ctx, "o-retry")
		require.NoError(t, err)
		assert.Equal(t, StatusProvisioning, view.Status)
		assert.Nil(t, view.Failure, "a retry clears the failure")
		assert.Equal(t, "9001", view.ProviderOrderID)

		failed, total, err := q.List(ctx, ListFilter{Status: StatusFailed})
		require.NoError(t, err)
		assert.Zero(t, total, "the retried order left the failed index: %v", failed)
		provisioning, total, err := q.List(ctx, ListFilter{Status: StatusProvisioning})
		require.NoError(t, err)
		assert.Equal(t, 1, total)
		require.Len(t, provisioning, 1)
		assert.Equal(t, "o-retry", provisioning[0].ID)
	})
}
