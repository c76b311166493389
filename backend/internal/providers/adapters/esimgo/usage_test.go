package esimgo_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	sim "esimscan/backend/internal/simulators/esimgo"
)

func TestClient_Usage_bytesToMB(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	iccid := issued(t, client, "esim_5GB_30D_JP_V2") // 5,000,000,000 bytes
	f.sim.SetUsage(iccid, 1_000_000_000)

	usage, err := client.Usage(context.Background(), iccid)

	require.NoError(t, err)
	require.Equal(t, int64(4768), *usage.TotalMB)
	require.Equal(t, int64(3815), *usage.RemainingMB)
	require.Equal(t, int64(953), *usage.UsedMB)
	require.Equal(t, adapters.UsageStatusActive, usage.Status)
	require.Nil(t, usage.ExpiresAt)
	require.WithinDuration(t, time.Now(), usage.AsOf, time.Minute)
	require.Len(t, f.requestsTo("GET", sim.ESIMBundlesPath(iccid)), 1)
}

func TestClient_Usage_queuedBundleIsNotActive(t *testing.T) {
	f := newFixture(t, sim.Options{})
	client := f.client(t)
	iccid := issued(t, client, "esim_1GB_7D_JP_V2")

	usage, err := client.Usage(context.Background(), iccid)

	require.NoError(t, err)
	require.Equal(t, int64(0), *usage.UsedMB)
	require.Equal(t, *usage.TotalMB, *usage.RemainingMB)
	require.Equal(t, adapters.UsageStatusNotActive, usage.Status)
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
		{"403", sim.Failure{Mode: sim.FailForbidden}, adapters.CauseCredentials},
		{"401", sim.Failure{Mode: sim.FailUnauthorized}, adapters.CauseCredentials},
		{"429 after retries", sim.Failure{Mode: sim.FailRateLimited, Count: 5}, adapters.CauseRateLimited},
		{"500 after retries", sim.Failure{Mode: sim.FailServerError, Count: 5}, adapters.CauseServerError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, sim.Options{})
			client := f.client(t)
			iccid := issued(t, client, "esim_1GB_7D_JP_V2")
			tc.failure.Path = sim.ESIMBundlesPath(iccid)
			f.sim.Fail(tc.failure)

			_, err := client.Usage(context.Background(), iccid)

			f.requireFailure(t, err, tc.cause)
		})
	}
}
