package esimgo_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/esimgo"
	sim "esimscan/backend/internal/simulators/esimgo"
)

// claimedSet is a Claimed func over a fixed set of provider order ids,
// which records the ids it was called with.
type claimedSet struct {
	mu      sync.Mutex
	taken   map[string]bool
	lookups []string
}

func (c *claimedSet) claimed(ctx context.Context, providerOrderID string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lookups = append(c.lookups, providerOrderID)
	return c.taken[providerOrderID], nil
}

// orderLostByEarlierProcess charges an order whose response is lost: the
// transaction runs, then the simulator returns 500, and the client gives
// up after that one attempt, as a process that stops there would. It
// returns the request and when its call started.
func orderLostByEarlierProcess(t *testing.T, f *fixture) (adapters.OrderRequest, time.Time) {
	t.Helper()
	oneAttempt := fastRetry
	oneAttempt.MaxAttempts = 1
	earlier := f.client(t, esimgo.WithRetry(oneAttempt))
	f.sim.Fail(sim.Failure{Mode: sim.FailServerAfter, Method: http.MethodPost, Path: sim.PathOrders, OrderType: "transaction"})
	req := japan5GB(t)
	started := time.Now()

	_, err := earlier.Order(context.Background(), req)

	f.requireFailure(t, err, adapters.CauseServerError)
	require.Contains(t, err.Error(), "order outcome unknown")
	require.Len(t, f.sim.Orders(), 1, "the earlier process was charged")
	return req, started
}

func TestClient_Order_restartFindsEarlierOrder(t *testing.T) {
	f := newFixture(t, sim.Options{})
	req, started := orderLostByEarlierProcess(t, f)
	posts := len(f.requestsTo(http.MethodPost, sim.PathOrders))
	claims := &claimedSet{}
	req.OutcomeUnknownSince = started
	req.Claimed = claims.claimed

	result, err := f.client(t).Order(context.Background(), req)

	require.NoError(t, err)
	orders := f.sim.Orders()
	require.Len(t, orders, 1, "not bought again")
	require.Equal(t, orders[0].OrderReference, result.ProviderOrderID)
	require.Len(t, result.ESIMs, 1)
	require.Equal(t, orders[0].ESIMs[0].ICCID, result.ESIMs[0].ICCID)
	require.Equal(t, posts, len(f.requestsTo(http.MethodPost, sim.PathOrders)), "no validation and no transaction")
	require.Equal(t, []string{orders[0].OrderReference}, claims.lookups)
}

func TestClient_Order_restartWithoutOutcomeBuysAgain(t *testing.T) {
	f := newFixture(t, sim.Options{})
	req, _ := orderLostByEarlierProcess(t, f)

	_, err := f.client(t).Order(context.Background(), req)

	require.NoError(t, err)
	require.Len(t, f.sim.Orders(), 2, "a fresh client without OutcomeUnknownSince cannot know of the first order")
	require.Empty(t, f.requestsTo(http.MethodGet, sim.PathOrders))
}

func TestClient_Order_restartSkipsClaimedOrder(t *testing.T) {
	f := newFixture(t, sim.Options{})
	req, started := orderLostByEarlierProcess(t, f)
	earlierOrder := f.sim.Orders()[0].OrderReference
	claims := &claimedSet{taken: map[string]bool{earlierOrder: true}}
	req.OutcomeUnknownSince = started
	req.Claimed = claims.claimed

	result, err := f.client(t).Order(context.Background(), req)

	require.NoError(t, err)
	require.Len(t, f.sim.Orders(), 2, "the only candidate belongs to another order, so this one buys")
	require.NotEqual(t, earlierOrder, result.ProviderOrderID)
	require.Equal(t, []string{earlierOrder}, claims.lookups)
}

func TestClient_Order_claimedErrorBuysNothing(t *testing.T) {
	f := newFixture(t, sim.Options{})
	req, started := orderLostByEarlierProcess(t, f)
	readModelDown := errors.New("read model unavailable")
	req.OutcomeUnknownSince = started
	req.Claimed = func(context.Context, string) (bool, error) { return false, readModelDown }

	_, err := f.client(t).Order(context.Background(), req)

	require.ErrorIs(t, err, readModelDown)
	require.Contains(t, err.Error(), "order outcome unknown")
	require.Len(t, f.sim.Orders(), 1)
}

// topUpLostByEarlierProcess charges a top-up whose response is lost and
// whose lookup fails too, so the earlier client ends with an unknown
// outcome. It returns the request and when its call started.
func topUpLostByEarlierProcess(t *testing.T, f *fixture) (adapters.TopUpRequest, time.Time) {
	t.Helper()
	earlier := f.client(t)
	iccid := issued(t, earlier, "esim_5GB_30D_JP_V2")
	f.sim.Fail(sim.Failure{Mode: sim.FailServerAfter, Method: http.MethodPost, Path: sim.PathOrders, OrderType: "transaction"})
	f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Method: http.MethodGet, Path: sim.PathOrders, Count: 10})
	req := topUpRequest(iccid, "esim_1GB_7D_JP_V2")
	started := time.Now()

	_, err := earlier.TopUp(context.Background(), req)

	f.requireFailure(t, err, adapters.CauseServerError)
	require.Contains(t, err.Error(), "outcome unknown")
	require.Len(t, f.sim.TopUps(), 1, "the earlier process was charged")
	f.sim.ClearFailures()
	return req, started
}

func TestClient_TopUp_restartFindsEarlierTopUp(t *testing.T) {
	f := newFixture(t, sim.Options{})
	req, started := topUpLostByEarlierProcess(t, f)
	posts := f.orderPosts()
	req.OutcomeUnknownSince = started
	req.Claimed = (&claimedSet{}).claimed

	result, err := f.client(t).TopUp(context.Background(), req)

	require.NoError(t, err)
	topUps := f.sim.TopUps()
	require.Len(t, topUps, 1, "not bought again")
	require.Equal(t, topUps[0].OrderReference, result.ProviderReference)
	require.Equal(t, req.ICCID, result.ICCID)
	require.Equal(t, posts, f.orderPosts(), "no validation and no transaction")
}

func TestClient_TopUp_restartSkipsClaimedTopUp(t *testing.T) {
	f := newFixture(t, sim.Options{})
	req, started := topUpLostByEarlierProcess(t, f)
	earlierTopUp := f.sim.TopUps()[0].OrderReference
	req.OutcomeUnknownSince = started
	req.Claimed = (&claimedSet{taken: map[string]bool{earlierTopUp: true}}).claimed

	result, err := f.client(t).TopUp(context.Background(), req)

	require.NoError(t, err)
	require.Len(t, f.sim.TopUps(), 2, "the only candidate belongs to another order, so this one buys")
	require.NotEqual(t, earlierTopUp, result.ProviderReference)
}
