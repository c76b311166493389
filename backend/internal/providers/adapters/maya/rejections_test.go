package maya_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	sim "esimscan/backend/internal/simulators/maya"
)

func TestClient_Order_insufficientBalanceFailure(t *testing.T) {
	f := newFixture(t, sim.Options{})
	f.sim.Fail(sim.Failure{Mode: sim.FailInsufficientBalance, Count: 10})
	client := f.client(t)
	req := orderOf(reference(), "Jp3xQ7vL2mKa", 1)

	_, err := client.Order(context.Background(), req)

	failure := f.requireFailure(t, err, adapters.CauseRejected)
	require.Equal(t, `maya refused the order with "Insufficient balance: The account balance does not cover this plan.". `+
		"Top up the Maya account balance, then retry the order (HTTP 400, POST "+sim.PathESIM+")", failure.Message)
	require.Len(t, f.requestsTo(http.MethodPost, sim.PathESIM), 1, "a refusal is not retried")
	require.Empty(t, f.sim.Orders())

	f.sim.ClearFailures()
	placed, err := client.Order(context.Background(), req)
	require.NoError(t, err)
	require.Len(t, placed.ESIMs, 1)
	require.Len(t, f.sim.Orders(), 1)
}
