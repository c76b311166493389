package orders

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esimscan/projections/projectiontest"
)

func (f *feeder) placeTopUp(id, parentID, iccid string) {
	f.T.Helper()
	f.Apply("order-"+id, typeOrderPlaced, fmt.Sprintf(`{"order_id":%q,"email":"buyer@example.com",
		"access_token_hash":%q,
		"package":{"id":"airalo:jp-1gb-topup","provider":"airalo","provider_package_id":"jp-1gb-topup",
			"name":"Japan 1GB top-up","countries":["JP"],"data_mb":1024,"unlimited":false,"validity_days":7},
		"unit_price":{"amount":"600","currency":"JPY"},"quantity":1,
		"total":{"amount":"600","currency":"JPY"},"placed_at":"2025-03-02T10:00:00Z",
		"topup_of":{"order_id":%q,"iccid":%q}}`, id, tokenHash, parentID, iccid))
}

func TestOrders_TopUp_linkedBothWays(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := projectiontest.Context(t)
		f := newFeeder(t, rdb, NewProjector())
		q := NewQueries(rdb)
		const iccid = "8981100000000000001"
		f.placeOrder("o-parent", "buyer@example.com")
		f.placeTopUp("o-topup", "o-parent", iccid)

		child, err := q.Order(ctx, "o-topup")
		require.NoError(t, err)
		require.NotNil(t, child.TopUpOf)
		assert.Equal(t, TopUpOf{OrderID: "o-parent", ICCID: iccid}, *child.TopUpOf)
		assert.Equal(t, StatusPendingPayment, child.Status)
		parent, err := q.Order(ctx, "o-parent")
		require.NoError(t, err)
		require.Len(t, parent.TopUps, 1)
		assert.Equal(t, "o-topup", parent.TopUps[0].OrderID)
		assert.Equal(t, StatusPendingPayment, parent.TopUps[0].Status)
		assert.Nil(t, parent.TopUps[0].AppliedAt)

		f.orderEvent("o-topup", typeOrderPaid, `{"order_id":"o-topup","gateway":"test","payment_reference":"test-o-topup",
			"amount":{"amount":"600","currency":"JPY"},"paid_at":"2025-03-02T10:01:00Z"}`)
		f.orderEvent("o-topup", typeProvisioningStarted, `{"order_id":"o-topup","driver":"live","started_at":"2025-03-02T10:02:00Z"}`)
		f.orderEvent("o-topup", typeTopUpApplied, `{"order_id":"o-topup","iccid":"`+iccid+`","applied_at":"2025-03-02T10:03:00Z"}`)

		child, err = q.Order(ctx, "o-topup")
		require.NoError(t, err)
		assert.Equal(t, StatusIssued, child.Status)
		require.NotNil(t, child.IssuedAt)
		assert.Empty(t, child.ESIMs, "a top-up issues no eSIM of its own")
		raw, err := json.Marshal(child)
		require.NoError(t, err)
		assert.Contains(t, string(raw), `"topup_of":{"order_id":"o-parent","iccid":"`+iccid+`"}`)
		parent, err = q.Order(ctx, "o-parent")
		require.NoError(t, err)
		require.Len(t, parent.TopUps, 1)
		assert.Equal(t, StatusIssued, parent.TopUps[0].Status)
		require.NotNil(t, parent.TopUps[0].AppliedAt)
		assert.Equal(t, "2025-03-02T10:03:00Z", parent.TopUps[0].AppliedAt.Format("2006-01-02T15:04:05Z07:00"))
		issued, _, err := q.List(ctx, ListFilter{Status: StatusIssued})
		require.NoError(t, err)
		assert.Len(t, issued, 1, "the status index follows TopUpApplied")
	})
}

func TestOrders_TopUp_plainOrderHasNoTopUpFields(t *testing.T) {
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		f := newFeeder(t, rdb, NewProjector())
		f.placeOrder("o-plain", "buyer@example.com")

		view, err := NewQueries(rdb).Order(projectiontest.Context(t), "o-plain")

		require.NoError(t, err)
		raw, err := json.Marshal(view)
		require.NoError(t, err)
		assert.NotContains(t, string(raw), "topup")
	})
}
