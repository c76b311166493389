package esimgo_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	sim "esimscan/backend/internal/simulators/esimgo"
)

func TestClient_Order_insufficientBalanceFailure(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailInsufficientBalance, Count: 10})
	client := f.client(t)
	req := japan5GB(t)

	_, err := client.Order(context.Background(), req)

	failure := f.requireFailure(t, err, adapters.CauseRejected)
	require.Equal(t, `esim-go refused the order with HTTP 400 "Insufficient balance to complete this order". `+
		"Top up the eSIM Go organisation balance, then retry the order (POST /v2.4"+sim.PathOrders+")", failure.Message)
	require.Len(t, f.requestsTo("POST", sim.PathOrders), 1, "the validation was refused, nothing more sent")
	require.Empty(t, f.sim.Orders())

	f.sim.ClearFailures()
	placed, err := client.Order(context.Background(), req)
	require.NoError(t, err)
	require.NotEmpty(t, placed.ProviderOrderID)
	require.Len(t, f.sim.Orders(), 1)
}

func TestClient_Order_refusedTransactionNotRetried(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailInsufficientBalance, OrderType: "transaction", Count: 10})

	_, err := f.client(t).Order(context.Background(), japan5GB(t))

	f.requireFailure(t, err, adapters.CauseRejected)
	require.NotContains(t, err.Error(), "outcome unknown")
	require.Len(t, f.requestsTo("POST", sim.PathOrders), 2, "one validation, one refused transaction")
	require.Empty(t, f.requestsTo("GET", sim.PathOrders), "a refusal needs no lookup")
	require.Empty(t, f.sim.Orders())
}
