package airalo_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	sim "esimscan/backend/internal/simulators/airalo"
)

func TestClient_Usage_megabytes(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	iccid := issued(t, client, "hanami-mobile-30days-5gb")
	f.sim.SetUsage(iccid, 700)

	usage, err := client.Usage(context.Background(), iccid)

	require.NoError(t, err)
	require.Equal(t, int64(5120), *usage.TotalMB)
	require.Equal(t, int64(700), *usage.UsedMB)
	require.Equal(t, int64(4420), *usage.RemainingMB)
	require.Equal(t, adapters.UsageStatusActive, usage.Status)
	require.NotNil(t, usage.ExpiresAt)
	require.WithinDuration(t, time.Now().AddDate(0, 0, 30), *usage.ExpiresAt, time.Minute)
	require.WithinDuration(t, time.Now(), usage.AsOf, time.Minute, "Airalo sends no measurement time")
	require.Len(t, f.requestsTo(sim.SIMUsagePath(iccid)), 1)
}

func TestClient_Usage_unlimitedHasNoFigures(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	iccid := issued(t, client, "hanami-mobile-5days-unlimited")
	f.sim.SetUsage(iccid, 9000)

	usage, err := client.Usage(context.Background(), iccid)

	require.NoError(t, err)
	require.Nil(t, usage.TotalMB)
	require.Nil(t, usage.UsedMB)
	require.Nil(t, usage.RemainingMB)
	require.Equal(t, adapters.UsageStatusActive, usage.Status)
}

func TestClient_Usage_unknownICCID(t *testing.T) {
	f := newFixture(t, sim.Options{})

	_, err := f.client(t).Usage(context.Background(), "8999000000000000000")

	f.requireFailure(t, err, adapters.CauseRejected)
}

func TestClient_Usage_failures(t *testing.T) {
	cases := []struct {
		name    string
		failure sim.Failure
		cause   adapters.Cause
	}{
		{"401 twice", sim.Failure{Mode: sim.FailUnauthorized, Count: 2}, adapters.CauseCredentials},
		{"429 after retries", sim.Failure{Mode: sim.FailRateLimited, Count: 5}, adapters.CauseRateLimited},
		{"500 after retries", sim.Failure{Mode: sim.FailServerError, Count: 5}, adapters.CauseServerError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, sim.Options{})
			client := f.client(t)
			iccid := issued(t, client, "hanami-mobile-7days-1gb")
			tc.failure.Path = sim.SIMUsagePath(iccid)
			f.sim.Fail(tc.failure)

			_, err := client.Usage(context.Background(), iccid)

			f.requireFailure(t, err, tc.cause)
		})
	}
}

func TestClient_Usage_refreshesTokenOnce401(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	iccid := issued(t, client, "hanami-mobile-7days-1gb")
	f.sim.Fail(sim.Failure{Mode: sim.FailUnauthorized, Path: sim.SIMUsagePath(iccid)})

	usage, err := client.Usage(context.Background(), iccid)

	require.NoError(t, err)
	require.Equal(t, int64(1024), *usage.TotalMB)
	require.Equal(t, adapters.UsageStatusNotActive, usage.Status)
}
