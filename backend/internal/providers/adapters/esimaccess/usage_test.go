package esimaccess_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	sim "esimscan/backend/internal/simulators/esimaccess"
)

func TestClient_Usage_convertsBytesToMB(t *testing.T) {
	placedAt := time.Now().UTC().Truncate(time.Second)
	f := newFixture(t, sim.Options{AllocationPolls: -1, Now: func() time.Time { return placedAt }})
	iccid := issued(t, f, "P8KQ2JD55") // 3 GB, 15 days
	f.sim.SetUsage(iccid, 734_003_200) // 700 MB

	usage, err := f.client(t).Usage(context.Background(), iccid)

	require.NoError(t, err)
	require.Equal(t, int64(3072), *usage.TotalMB)
	require.Equal(t, int64(700), *usage.UsedMB)
	require.Equal(t, int64(2372), *usage.RemainingMB)
	require.Equal(t, adapters.UsageStatusActive, usage.Status)
	require.Equal(t, placedAt.AddDate(0, 0, 15), *usage.ExpiresAt)
	require.Equal(t, placedAt, usage.AsOf, "AsOf is the provider's lastUpdateTime")
	require.Len(t, f.requestsTo(sim.PathUsage), 1)
}

func TestClient_Usage_unusedESIM(t *testing.T) {
	f := newFixture(t, sim.Options{AllocationPolls: -1})
	iccid := issued(t, f, "P8KQ2JD41")

	usage, err := f.client(t).Usage(context.Background(), iccid)

	require.NoError(t, err)
	require.Equal(t, int64(0), *usage.UsedMB)
	require.Equal(t, int64(1024), *usage.RemainingMB)
	require.Equal(t, adapters.UsageStatusNotActive, usage.Status)
}

func TestClient_Usage_usedUp(t *testing.T) {
	f := newFixture(t, sim.Options{AllocationPolls: -1})
	iccid := issued(t, f, "P8KQ2JD41")
	f.sim.SetUsage(iccid, 1<<30)

	usage, err := f.client(t).Usage(context.Background(), iccid)

	require.NoError(t, err)
	require.Equal(t, int64(0), *usage.RemainingMB)
	require.Equal(t, adapters.UsageStatusDepleted, usage.Status)
}

func TestClient_Usage_unknownICCID(t *testing.T) {
	f := newFixture(t, sim.Options{AllocationPolls: -1})

	_, err := f.client(t).Usage(context.Background(), "8999000000000000000")

	f.requireFailure(t, err, adapters.CauseRejected)
	require.Empty(t, f.requestsTo(sim.PathUsage), "no usage query for an eSIM that was not found")
}

func TestClient_Usage_failures(t *testing.T) {
	cases := []struct {
		name    string
		failure sim.Failure
		cause   adapters.Cause
	}{
		{"401", sim.Failure{Mode: sim.FailUnauthorized}, adapters.CauseCredentials},
		{"429 after retries", sim.Failure{Mode: sim.FailRateLimited, Count: 5}, adapters.CauseRateLimited},
		{"500 after retries", sim.Failure{Mode: sim.FailServerError, Count: 5}, adapters.CauseServerError},
		{"malformed", sim.Failure{Mode: sim.FailMalformed}, adapters.CauseBadResponse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, sim.Options{AllocationPolls: -1})
			iccid := issued(t, f, "P8KQ2JD41")
			tc.failure.Path = sim.PathUsage
			f.sim.Fail(tc.failure)

			_, err := f.client(t).Usage(context.Background(), iccid)

			f.requireFailure(t, err, tc.cause)
		})
	}
}

func TestClient_Usage_retriesOne500(t *testing.T) {
	f := newFixture(t, sim.Options{AllocationPolls: -1})
	iccid := issued(t, f, "P8KQ2JD41")
	f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Path: sim.PathUsage})

	usage, err := f.client(t).Usage(context.Background(), iccid)

	require.NoError(t, err)
	require.Equal(t, int64(1024), *usage.TotalMB)
	require.Len(t, f.requestsTo(sim.PathUsage), 2)
}
