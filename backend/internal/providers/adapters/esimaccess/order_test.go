package esimaccess_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	sim "esimscan/backend/internal/simulators/esimaccess"
)

func reference() string {
	return "esc-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:24]
}

func TestClient_Order_sameReferenceBuysOnce(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	req := adapters.OrderRequest{
		Reference:         reference(),
		ProviderPackageID: "P8KQ2JD55",
		Quantity:          1,
		Wholesale:         usd(t, 24500),
	}

	first, err := client.Order(context.Background(), req)
	require.NoError(t, err)
	second, err := client.Order(context.Background(), req)
	require.NoError(t, err)

	require.True(t, first.Pending)
	require.NotEmpty(t, first.ProviderOrderID)
	require.Equal(t, first.ProviderOrderID, second.ProviderOrderID)
	orders := f.sim.Orders()
	require.Len(t, orders, 1)
	require.Equal(t, req.Reference, orders[0].TransactionID)
	require.Equal(t, int64(24500), orders[0].Amount)
	require.Equal(t, int64(1_257_500-24500), f.sim.Balance(), "charged once")
}

func TestClient_Order_retriedServerErrorBuysOnce(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Path: sim.PathOrder})

	_, err := f.client(t).Order(context.Background(), adapters.OrderRequest{
		Reference: reference(), ProviderPackageID: "P8KQ2JD41", Quantity: 2, Wholesale: usd(t, 9800),
	})

	require.NoError(t, err)
	orders := f.sim.Orders()
	require.Len(t, orders, 1)
	require.Equal(t, int64(19600), orders[0].Amount)
}

func TestClient_Order_priceChanged(t *testing.T) {
	f := newFixture(t, sim.Options{})

	_, err := f.client(t).Order(context.Background(), adapters.OrderRequest{
		Reference: reference(), ProviderPackageID: "P8KQ2JD55", Quantity: 1, Wholesale: usd(t, 20000),
	})

	failure := f.requireFailure(t, err, adapters.CauseRejected)
	require.Contains(t, failure.Message, "200005")
	require.Contains(t, failure.Message, "sync the catalog")
	require.Empty(t, f.sim.Orders())
}

func TestClient_Order_insufficientBalance(t *testing.T) {
	f := newFixture(t, sim.Options{Balance: 100})

	_, err := f.client(t).Order(context.Background(), adapters.OrderRequest{
		Reference: reference(), ProviderPackageID: "P8KQ2JD55", Quantity: 1,
	})

	failure := f.requireFailure(t, err, adapters.CauseRejected)
	require.Contains(t, failure.Message, "200007")
	require.Contains(t, failure.Message, "Insufficient account balance")
	require.Len(t, f.requestsTo(sim.PathOrder), 1, "a refusal is not retried")
}

func TestClient_Order_invalidRequest(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	subUnit := usd(t, 1)
	subUnit.Amount++ // one millionth of a dollar: finer than 1/10,000
	cases := map[string]adapters.OrderRequest{
		"empty reference": {ProviderPackageID: "P8KQ2JD55", Quantity: 1},
		"long reference":  {Reference: strings.Repeat("r", 51), ProviderPackageID: "P8KQ2JD55", Quantity: 1},
		"no package":      {Reference: reference(), Quantity: 1},
		"zero quantity":   {Reference: reference(), ProviderPackageID: "P8KQ2JD55"},
		"sub-unit price":  {Reference: reference(), ProviderPackageID: "P8KQ2JD55", Quantity: 1, Wholesale: subUnit},
	}

	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := client.Order(context.Background(), req)
			require.Error(t, err)
		})
	}
	require.Empty(t, f.sim.Orders())
}

func TestClient_QueryOrder_pendingThenReady(t *testing.T) {
	f := newFixture(t, sim.Options{AllocationPolls: 1})
	client := f.client(t)
	placed, err := client.Order(context.Background(), adapters.OrderRequest{
		Reference: reference(), ProviderPackageID: "P8KQ2JD55", Quantity: 1, Wholesale: usd(t, 24500),
	})
	require.NoError(t, err)

	first, err := client.QueryOrder(context.Background(), placed.ProviderOrderID)
	require.NoError(t, err)
	second, err := client.QueryOrder(context.Background(), placed.ProviderOrderID)
	require.NoError(t, err)

	require.True(t, first.Pending)
	require.Empty(t, first.ESIMs)
	require.False(t, second.Pending)
	require.Len(t, second.ESIMs, 1)
	esim := second.ESIMs[0]
	require.True(t, strings.HasPrefix(esim.ICCID, "8999"), esim.ICCID)
	require.Equal(t, "sim.esimscan.invalid", esim.SMDPAddress)
	require.NotEmpty(t, esim.ActivationCode)
	require.Equal(t, "LPA:1$sim.esimscan.invalid$"+esim.ActivationCode, esim.LPA)
}

func TestClient_QueryOrder_pagesThroughLargeOrder(t *testing.T) {
	f := newFixture(t, sim.Options{AllocationPolls: -1, Balance: 10_000_000})
	client := f.client(t)
	placed, err := client.Order(context.Background(), adapters.OrderRequest{
		Reference: reference(), ProviderPackageID: "P8KQ2JD41", Quantity: 25,
	})
	require.NoError(t, err)

	result, err := client.QueryOrder(context.Background(), placed.ProviderOrderID)

	require.NoError(t, err)
	require.False(t, result.Pending)
	require.Len(t, result.ESIMs, 25)
	require.Len(t, f.requestsTo(sim.PathQuery), 2, "pages of 20")
}

func TestClient_QueryOrder_unknownOrder(t *testing.T) {
	f := newFixture(t, sim.Options{})

	_, err := f.client(t).QueryOrder(context.Background(), "B000000000000")

	failure := f.requireFailure(t, err, adapters.CauseRejected)
	require.Contains(t, failure.Message, "esim-access refused the order query with code 310272")
}
