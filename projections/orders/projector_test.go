package orders

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esimscan/projections/projection"
	"esimscan/projections/projectiontest"
)

const tokenHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// feeder is projectiontest.Feeder with this package's event builders.
type feeder struct{ *projectiontest.Feeder }

func newFeeder(t *testing.T, rdb redis.UniversalClient, projector projection.Projector) *feeder {
	return &feeder{projectiontest.NewFeeder(t, rdb, projector)}
}

func (f *feeder) placeOrder(id, email string) {
	f.T.Helper()
	f.Apply("order-"+id, typeOrderPlaced, fmt.Sprintf(`{"order_id":%q,"email":%q,
		"access_token_hash":%q,
		"package":{"id":"pkg-jp","provider":"airalo","provider_package_id":"jp-1gb","name":"Japan 1GB",
			"countries":["JP"],"data_mb":1024,"unlimited":false,"validity_days":7},
		"unit_price":{"amount":"1100","currency":"JPY"},"quantity":2,
		"total":{"amount":"2200","currency":"JPY"},"placed_at":"2025-03-01T10:00:00Z"}`, id, email, tokenHash))
}

func (f *feeder) orderEvent(id, eventType, data string) {
	f.T.Helper()
	f.Apply("order-"+id, eventType, data)
}

func TestOrders_Order_statusSequence(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := newFeeder(t, rdb, NewProjector())
		q := NewQueries(rdb)
		status := func() string {
			t.Helper()
			view, err := q.Order(ctx, "o-seq")
			require.NoError(t, err)
			return view.Status
		}

		f.placeOrder("o-seq", "Buyer@Example.com")
		view, err := q.Order(ctx, "o-seq")
		require.NoError(t, err)
		assert.Equal(t, tokenHash, view.AccessTokenHash)
		raw, err := json.Marshal(view)
		require.NoError(t, err)
		assert.JSONEq(t, `{"id":"o-seq","status":"pending_payment","email":"Buyer@Example.com",
			"total":{"amount":"2200","currency":"JPY"},"unit_price":{"amount":"1100","currency":"JPY"},"quantity":2,
			"package":{"id":"pkg-jp","provider":"airalo","provider_package_id":"jp-1gb","name":"Japan 1GB",
				"countries":["JP"],"data_mb":1024,"unlimited":false,"daily":false,"validity_days":7},
			"esims":[],"placed_at":"2025-03-01T10:00:00Z","failure":null,"payment":null}`, string(raw))
		assert.NotContains(t, string(raw), tokenHash, "the token hash stays out of JSON")

		f.orderEvent("o-seq", typeOrderPaid, `{"order_id":"o-seq","gateway":"stripe","payment_reference":"pi_123",
			"amount":{"amount":"2200","currency":"JPY"},"paid_at":"2025-03-01T10:01:00Z"}`)
		assert.Equal(t, StatusPaid, status())
		f.orderEvent("o-seq", typeProvisioningStarted, `{"order_id":"o-seq","driver":"live","started_at":"2025-03-01T10:02:00Z"}`)
		assert.Equal(t, StatusProvisioning, status())
		f.orderEvent("o-seq", typeOrderFailed, `{"order_id":"o-seq","reason":"provider out of stock","cause":"rejected","failed_at":"2025-03-01T10:03:00Z"}`)
		view, err = q.Order(ctx, "o-seq")
		require.NoError(t, err)
		assert.Equal(t, StatusFailed, view.Status)
		require.NotNil(t, view.Failure)
		assert.Equal(t, "provider out of stock", view.Failure.Message)
		assert.Equal(t, "rejected", view.Failure.Cause)

		f.orderEvent("o-seq", typeProvisioningStarted, `{"order_id":"o-seq","driver":"live","started_at":"2025-03-01T10:04:00Z"}`)
		view, err = q.Order(ctx, "o-seq")
		require.NoError(t, err)
		assert.Equal(t, StatusProvisioning, view.Status, "a retry provisions again")
		assert.Nil(t, view.Failure)

		f.orderEvent("o-seq", typeESIMIssued, `{"order_id":"o-seq","esims":[
			{"iccid":"8981100000000000001","lpa":"LPA:1$smdp.example.test$ABC","smdp_address":"smdp.example.test","activation_code":"ABC","demo":false},
			{"iccid":"8981100000000000002","lpa":"LPA:1$smdp.example.test$DEF","smdp_address":"smdp.example.test","activation_code":"DEF","demo":false}],
			"issued_at":"2025-03-01T10:05:00Z"}`)
		view, err = q.Order(ctx, "o-seq")
		require.NoError(t, err)
		raw, err = json.Marshal(view)
		require.NoError(t, err)
		assert.JSONEq(t, `{"id":"o-seq","status":"issued","email":"Buyer@Example.com",
			"total":{"amount":"2200","currency":"JPY"},"unit_price":{"amount":"1100","currency":"JPY"},"quantity":2,
			"package":{"id":"pkg-jp","provider":"airalo","provider_package_id":"jp-1gb","name":"Japan 1GB",
				"countries":["JP"],"data_mb":1024,"unlimited":false,"daily":false,"validity_days":7},
			"esims":[
				{"iccid":"8981100000000000001","lpa":"LPA:1$smdp.example.test$ABC","smdp_address":"smdp.example.test","activation_code":"ABC","demo":false},
				{"iccid":"8981100000000000002","lpa":"LPA:1$smdp.example.test$DEF","smdp_address":"smdp.example.test","activation_code":"DEF","demo":false}],
			"placed_at":"2025-03-01T10:00:00Z","paid_at":"2025-03-01T10:01:00Z","issued_at":"2025-03-01T10:05:00Z",
			"failure":null,"payment":{"gateway":"stripe","reference":"pi_123"}}`, string(raw))

		for _, wanted := range []string{StatusPendingPayment, StatusPaid, StatusProvisioning, StatusFailed} {
			_, total, err := q.List(ctx, ListFilter{Status: wanted})
			require.NoError(t, err)
			assert.Zero(t, total, "the order left status %s", wanted)
		}
		issued, total, err := q.List(ctx, ListFilter{Status: StatusIssued})
		require.NoError(t, err)
		assert.Equal(t, 1, total)
		require.Len(t, issued, 1)
		assert.Equal(t, "o-seq", issued[0].ID)
	})
}

func TestOrders_List_filtersAndPages(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := newFeeder(t, rdb, NewProjector())
		q := NewQueries(rdb)
		for i := 1; i <= 5; i++ {
			email := "a@example.com"
			if i%2 == 0 {
				email = "b@example.com"
			}
			f.placeOrder(fmt.Sprintf("o-list-%d", i), email)
		}
		f.orderEvent("o-list-3", typeOrderPaid, `{"order_id":"o-list-3","gateway":"manual","payment_reference":"m-1",
			"amount":{"amount":"2200","currency":"JPY"},"paid_at":"2025-03-01T10:01:00Z"}`)
		ids := func(views []OrderView) []string {
			out := []string{}
			for _, view := range views {
				out = append(out, view.ID)
			}
			return out
		}

		all, total, err := q.List(ctx, ListFilter{})
		require.NoError(t, err)
		assert.Equal(t, 5, total)
		assert.Equal(t, []string{"o-list-5", "o-list-4", "o-list-3", "o-list-2", "o-list-1"}, ids(all), "newest first")

		page, total, err := q.List(ctx, ListFilter{Limit: 2, Offset: 1})
		require.NoError(t, err)
		assert.Equal(t, 5, total)
		assert.Equal(t, []string{"o-list-4", "o-list-3"}, ids(page))

		byEmail, total, err := q.List(ctx, ListFilter{Email: "A@Example.COM"})
		require.NoError(t, err)
		assert.Equal(t, 3, total)
		assert.Equal(t, []string{"o-list-5", "o-list-3", "o-list-1"}, ids(byEmail), "email matches case-insensitively")

		pending, total, err := q.List(ctx, ListFilter{Email: "a@example.com", Status: StatusPendingPayment, Limit: 1, Offset: 1})
		require.NoError(t, err)
		assert.Equal(t, 2, total)
		assert.Equal(t, []string{"o-list-1"}, ids(pending))

		paid, total, err := q.List(ctx, ListFilter{Status: StatusPaid})
		require.NoError(t, err)
		assert.Equal(t, 1, total)
		assert.Equal(t, []string{"o-list-3"}, ids(paid))

		beyond, total, err := q.List(ctx, ListFilter{Email: "b@example.com", Status: StatusPendingPayment, Offset: 10})
		require.NoError(t, err)
		assert.Equal(t, 2, total)
		assert.Empty(t, beyond)
	})
}

func TestOrders_Order_notFound(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := newFeeder(t, rdb, NewProjector())
		f.orderEvent("o-ghost", typeOrderPaid, `{"order_id":"o-ghost","gateway":"stripe","payment_reference":"pi_1"}`)
		_, err := NewQueries(rdb).Order(ctx, "o-ghost")
		assert.ErrorIs(t, err, ErrNotFound, "an event for an order never placed is ignored")
	})
}

func TestOrders_Apply_rejectsBadPayload(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFeeder(t, rdb, NewProjector())
		err := f.ApplyEvent(f.Event("order-x", typeOrderPlaced, `{"email":"a@example.com"}`))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "order_id")
		err = f.ApplyEvent(f.Event("order-x", typeOrderPlaced, `{"order_id":"x","total":{"amount":"-1","currency":"USD"}}`))
		require.Error(t, err, "a negative total is invalid")
	})
}
