package reports

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esimscan/projections/projection"
	"esimscan/projections/projectiontest"
)

// feeder is projectiontest.Feeder with this package's event builders.
type feeder struct{ *projectiontest.Feeder }

func newFeeder(t *testing.T, rdb redis.UniversalClient, projector projection.Projector) *feeder {
	return &feeder{projectiontest.NewFeeder(t, rdb, projector)}
}

func (f *feeder) placed(id, at string) {
	f.T.Helper()
	f.Apply("order-"+id, typeOrderPlaced, fmt.Sprintf(`{"order_id":%q,"email":"a@example.com",
		"total":{"amount":"1.00","currency":"USD"},"placed_at":%q}`, id, at))
}

func (f *feeder) paid(id, amount, currency, at string) {
	f.T.Helper()
	f.Apply("order-"+id, typeOrderPaid, fmt.Sprintf(`{"order_id":%q,"gateway":"stripe","payment_reference":"pi",
		"amount":{"amount":%q,"currency":%q},"paid_at":%q}`, id, amount, currency, at))
}

func TestReports_Daily_sums(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := newFeeder(t, rdb, NewProjector())
		f.placed("r1", "2025-03-01T23:59:59Z")
		f.placed("r2", "2025-03-01T10:00:00Z")
		f.placed("r3", "2025-03-02T00:00:00Z")
		f.paid("r1", "0.10", "USD", "2025-03-02T00:00:01Z")
		f.paid("r2", "0.20", "USD", "2025-03-02T08:00:00Z")
		f.paid("r3", "1500", "JPY", "2025-03-02T09:00:00Z")
		last := f.Event("order-r4", typeOrderPaid, `{"order_id":"r4","gateway":"manual","payment_reference":"m",
			"amount":{"amount":"1.255","currency":"KWD"},"paid_at":"2025-03-02T10:00:00+03:00"}`)
		require.NoError(t, f.ApplyEvent(last))
		require.NoError(t, f.ApplyEvent(last), "a repeated event is not counted twice")
		f.Apply("order-r1", typeESIMIssued, `{"order_id":"r1","esims":[{"iccid":"1"},{"iccid":"2"}],"issued_at":"2025-03-02T00:01:00Z"}`)
		f.Apply("order-r2", typeOrderFailed, `{"order_id":"r2","reason":"no stock","failed_at":"2025-03-02T08:01:00Z"}`)
		f.placed("r5", "2025-03-05T12:00:00Z")

		reports, err := NewQueries(rdb).Daily(ctx,
			time.Date(2025, 3, 1, 15, 0, 0, 0, time.UTC), time.Date(2025, 3, 2, 1, 0, 0, 0, time.UTC))
		require.NoError(t, err)
		raw, err := json.Marshal(reports)
		require.NoError(t, err)
		assert.JSONEq(t, `[
			{"date":"2025-03-01","orders_placed":2,"orders_paid":0,"revenue":[],"esims_issued":0,"failures":0},
			{"date":"2025-03-02","orders_placed":1,"orders_paid":4,
			 "revenue":[{"amount":"1500","currency":"JPY"},{"amount":"1.255","currency":"KWD"},{"amount":"0.30","currency":"USD"}],
			 "esims_issued":2,"failures":1}
		]`, string(raw))

		later, err := NewQueries(rdb).Daily(ctx,
			time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC))
		require.NoError(t, err)
		require.Len(t, later, 1)
		assert.Equal(t, "2025-03-05", later[0].Date)
		assert.Equal(t, 1, later[0].OrdersPlaced)
	})
}

func TestReports_Daily_empty(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		reports, err := NewQueries(rdb).Daily(projectiontest.Context(t), time.Unix(0, 0), time.Now())
		require.NoError(t, err)
		assert.Empty(t, reports)
		assert.NotNil(t, reports)
	})
}

func TestReports_Apply_rejectsBadPayload(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFeeder(t, rdb, NewProjector())
		err := f.ApplyEvent(f.Event("order-x", typeOrderPaid, `{"order_id":"x","paid_at":"2025-03-01T00:00:00Z"}`))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "amount")
		err = f.ApplyEvent(f.Event("order-x", typeOrderPlaced, `{"placed_at":"2025-03-01T00:00:00Z"}`))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "order_id")
	})
}
