package esimaccess_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	sim "esimscan/backend/internal/simulators/esimaccess"
)

// issued orders one eSIM of packageCode from the simulator and returns its
// ICCID.
func issued(t *testing.T, f *fixture, packageCode string) string {
	t.Helper()
	client := f.client(t)
	placed, err := client.Order(context.Background(), adapters.OrderRequest{
		Reference: reference(), ProviderPackageID: packageCode, Quantity: 1,
	})
	require.NoError(t, err)
	result, err := client.QueryOrder(context.Background(), placed.ProviderOrderID)
	require.NoError(t, err)
	require.Len(t, result.ESIMs, 1)
	return result.ESIMs[0].ICCID
}

func TestClient_ListTopUps_ofOneESIM(t *testing.T) {
	f := newFixture(t, sim.Options{AllocationPolls: -1})
	iccid := issued(t, f, "P8KQ2JD41")

	packages, err := f.client(t).ListTopUps(context.Background(), iccid)

	require.NoError(t, err)
	require.Len(t, packages, 1)
	require.Equal(t, "TOPUP_P8KQ2JD41", packages[0].ProviderPackageID)
	require.Equal(t, "USD", packages[0].Wholesale.Currency)
	require.Positive(t, int64(packages[0].Wholesale.Amount))
	require.Positive(t, packages[0].DataMB)
}

func TestClient_ListTopUps_unknownESIM(t *testing.T) {
	f := newFixture(t, sim.Options{AllocationPolls: -1})

	_, err := f.client(t).ListTopUps(context.Background(), "8999000000000000000")

	f.requireFailure(t, err, adapters.CauseServerError)
}

func TestClient_TopUp_sameReferenceChargesOnce(t *testing.T) {
	f := newFixture(t, sim.Options{AllocationPolls: -1})
	iccid := issued(t, f, "P8KQ2JD41")
	client := f.client(t)
	packages, err := client.ListTopUps(context.Background(), iccid)
	require.NoError(t, err)
	req := adapters.TopUpRequest{
		Reference:         reference(),
		ICCID:             iccid,
		ProviderPackageID: packages[0].ProviderPackageID,
		Wholesale:         packages[0].Wholesale,
	}
	before := f.sim.Balance()

	first, err := client.TopUp(context.Background(), req)
	require.NoError(t, err)
	second, err := client.TopUp(context.Background(), req)
	require.NoError(t, err)

	require.Equal(t, iccid, first.ICCID)
	require.NotEmpty(t, first.ProviderReference)
	require.Equal(t, first, second)
	topUps := f.sim.TopUps()
	require.Len(t, topUps, 1)
	require.Equal(t, req.Reference, topUps[0].TransactionID)
	require.Equal(t, before-topUps[0].Amount, f.sim.Balance(), "charged once")
}

func TestClient_TopUp_priceChanged(t *testing.T) {
	f := newFixture(t, sim.Options{AllocationPolls: -1})
	iccid := issued(t, f, "P8KQ2JD41")

	_, err := f.client(t).TopUp(context.Background(), adapters.TopUpRequest{
		Reference: reference(), ICCID: iccid, ProviderPackageID: "TOPUP_P8KQ2JD41", Wholesale: usd(t, 1),
	})

	failure := f.requireFailure(t, err, adapters.CauseRejected)
	require.Contains(t, failure.Message, "esim-access refused the top-up")
	require.Empty(t, f.sim.TopUps())
}

func TestClient_TopUp_rejectsBadRequests(t *testing.T) {
	f := newFixture(t, sim.Options{AllocationPolls: -1})
	client := f.client(t)
	cases := map[string]adapters.TopUpRequest{
		"no reference": {ICCID: "8999", ProviderPackageID: "TOPUP_P"},
		"no ICCID":     {Reference: "r", ProviderPackageID: "TOPUP_P"},
		"no package":   {Reference: "r", ICCID: "8999"},
	}
	for name, req := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := client.TopUp(context.Background(), req)
			require.Error(t, err)
		})
	}
	require.Empty(t, f.requestsTo(sim.PathTopUp), "nothing is sent")
}
