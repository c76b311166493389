package orders

import (
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esimscan/projections/projectiontest"
)

func TestOrders_Order_cancelled(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := newFeeder(t, rdb, NewProjector())
		q := NewQueries(rdb)
		f.placeOrder("o-cancel", "buyer@example.com")
		f.orderEvent("o-cancel", "CheckoutStarted", `{"order_id":"o-cancel","gateway":"stripe","reference":"cs_1","at":"2025-03-01T10:00:30Z"}`)
		f.orderEvent("o-cancel", typeOrderCancelled, `{"order_id":"o-cancel","cancelled_at":"2025-03-01T10:01:00Z"}`)

		view, err := q.Order(ctx, "o-cancel")
		require.NoError(t, err)
		assert.Equal(t, StatusCancelled, view.Status)
		require.NotNil(t, view.CancelledAt)
		cancelled, total, err := q.List(ctx, ListFilter{Status: StatusCancelled})
		require.NoError(t, err)
		assert.Equal(t, 1, total)
		require.Len(t, cancelled, 1)
		pending, _, err := q.List(ctx, ListFilter{Status: StatusPendingPayment})
		require.NoError(t, err)
		assert.Empty(t, pending, "the status index moves with the order")
	})
}

func TestOrders_Order_partialThenFullRefund(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := newFeeder(t, rdb, NewProjector())
		q := NewQueries(rdb)
		f.placeOrder("o-refund", "buyer@example.com")
		f.orderEvent("o-refund", typeOrderPaid, `{"order_id":"o-refund","gateway":"stripe","payment_reference":"pi_1",
			"amount":{"amount":"2200","currency":"JPY"},"paid_at":"2025-03-01T10:01:00Z"}`)
		f.orderEvent("o-refund", typeOrderRefunded, `{"order_id":"o-refund","gateway":"stripe","refund_reference":"re_1",
			"amount":{"amount":"200","currency":"JPY"},"refunded_at":"2025-03-01T10:02:00Z"}`)

		view, err := q.Order(ctx, "o-refund")
		require.NoError(t, err)
		assert.Equal(t, StatusPaid, view.Status, "a partial refund keeps the status")
		require.NotNil(t, view.Payment)
		require.NotNil(t, view.Payment.Refunded)
		assert.Equal(t, "200 JPY", view.Payment.Refunded.String())

		f.orderEvent("o-refund", typeOrderRefunded, `{"order_id":"o-refund","gateway":"stripe","refund_reference":"re_2",
			"amount":{"amount":"2000","currency":"JPY"},"refunded_at":"2025-03-01T10:03:00Z"}`)
		view, err = q.Order(ctx, "o-refund")
		require.NoError(t, err)
		assert.Equal(t, StatusRefunded, view.Status)
		assert.Equal(t, "2200 JPY", view.Payment.Refunded.String())
		refunded, _, err := q.List(ctx, ListFilter{Status: StatusRefunded})
		require.NoError(t, err)
		require.Len(t, refunded, 1)
	})
}
