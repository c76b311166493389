package maya_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	sim "esimscan/backend/internal/simulators/maya"
)

// openedLog is an Opened func that keeps the provider order ids reported
// to it, as the live driver records them in the order's stream.
type openedLog struct {
	mu  sync.Mutex
	ids []string
}

func (l *openedLog) opened(ctx context.Context, providerOrderID string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids = append(l.ids, providerOrderID)
	return nil
}

func (l *openedLog) reported() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.ids...)
}

// orderLostByEarlierProcess charges an order whose response is lost: the
// eSIM is issued, then the simulator answers 500, and every lookup of the
// customer fails, so the client ends with an unknown outcome. It returns
// the request and the customer the client reported through Opened.
func orderLostByEarlierProcess(t *testing.T, f *fixture) (adapters.OrderRequest, string) {
	t.Helper()
	log := &openedLog{}
	req := orderOf(reference(), "Jp3xQ7vL2mKa", 1)
	req.Opened = log.opened
	f.sim.Fail(sim.Failure{Mode: sim.FailServerAfter, Method: http.MethodPost, Path: sim.PathESIM})
	f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Method: http.MethodGet, Path: sim.PathCustomer + "/", Count: 10})

	_, err := f.client(t).Order(context.Background(), req)

	require.Error(t, err)
	require.Len(t, f.sim.Orders(), 1, "the earlier process was charged")
	f.sim.ClearFailures()
	reported := log.reported()
	require.Len(t, reported, 1)
	require.Equal(t, f.sim.Orders()[0].CustomerID, reported[0], "the customer was reported before the charge")
	return req, reported[0]
}

func TestClient_Order_restartFindsEarlierESIM(t *testing.T) {
	f := newFixture(t, sim.Options{})
	req, customerID := orderLostByEarlierProcess(t, f)
	log := &openedLog{}
	req.Opened = log.opened
	req.OpenedOrderID = customerID

	result, err := f.client(t).Order(context.Background(), req)

	require.NoError(t, err)
	orders := f.sim.Orders()
	require.Len(t, orders, 1, "not bought again")
	require.Equal(t, customerID, result.ProviderOrderID)
	require.Len(t, result.ESIMs, 1)
	require.Equal(t, orders[0].ICCIDs, []string{result.ESIMs[0].ICCID})
	require.Empty(t, log.reported(), "no new customer")
}

func TestClient_Order_restartWithoutOpenedOrderBuysAgain(t *testing.T) {
	f := newFixture(t, sim.Options{})
	req, _ := orderLostByEarlierProcess(t, f)
	req.Opened = nil

	_, err := f.client(t).Order(context.Background(), req)

	require.NoError(t, err)
	require.Len(t, f.sim.Orders(), 2, "a fresh client without OpenedOrderID cannot know of the first customer")
}

func TestClient_Order_openedErrorChargesNothing(t *testing.T) {
	f := newFixture(t, sim.Options{})
	storeDown := errors.New("event store unavailable")
	req := orderOf(reference(), "Jp3xQ7vL2mKa", 1)
	req.Opened = func(context.Context, string) error { return storeDown }

	_, err := f.client(t).Order(context.Background(), req)

	require.ErrorIs(t, err, storeDown)
	require.Empty(t, f.sim.Orders())
	require.Empty(t, f.requestsTo(http.MethodPost, sim.PathESIM))
}
