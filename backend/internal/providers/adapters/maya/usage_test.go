package maya_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/maya"
	sim "esimscan/backend/internal/simulators/maya"
)

func plansPath(iccid string) string { return sim.PathESIM + "/" + iccid + "/plans" }

// issuedESIM orders one eSIM of product from the simulator and returns its
// ICCID.
func issuedESIM(t *testing.T, f *fixture, product string) string {
	t.Helper()
	placed, err := f.client(t).Order(context.Background(), orderOf(reference(), product, 1))
	require.NoError(t, err)
	return placed.ESIMs[0].ICCID
}

func TestClient_Usage_convertsBytesToMB(t *testing.T) {
	issuedAt := time.Now().UTC().Truncate(time.Second)
	f := newFixture(t, sim.Options{Now: func() time.Time { return issuedAt }})
	iccid := issuedESIM(t, f, "Jp3xQ7vL2mKa") // 3,145,728,000 bytes, 15 days
	f.sim.SetUsage(iccid, 734_003_200)        // 700 MB
	readAt := issuedAt.Add(time.Hour)

	usage, err := f.client(t, maya.WithClock(func() time.Time { return readAt })).Usage(context.Background(), iccid)

	require.NoError(t, err)
	require.Equal(t, int64(3000), *usage.TotalMB)
	require.Equal(t, int64(700), *usage.UsedMB)
	require.Equal(t, int64(2300), *usage.RemainingMB)
	require.Equal(t, adapters.UsageStatusActive, usage.Status)
	require.Equal(t, issuedAt.AddDate(0, 0, 15), *usage.ExpiresAt)
	require.Equal(t, readAt, usage.AsOf, "AsOf is the time of the call")
	require.Len(t, f.requestsTo(http.MethodGet, plansPath(iccid)), 1)
	require.Equal(t, []string{f.basicHeader()}, f.recorder.HeaderValues("Authorization")[2:],
		"the plans call sends the same Basic header as the order")
}

func TestClient_Usage_unusedESIM(t *testing.T) {
	f := newFixture(t, sim.Options{})
	iccid := issuedESIM(t, f, "Th6gH3jK1lPz") // 1,048,576,000 bytes

	usage, err := f.client(t).Usage(context.Background(), iccid)

	require.NoError(t, err)
	require.Equal(t, int64(1000), *usage.TotalMB)
	require.Equal(t, int64(0), *usage.UsedMB)
	require.Equal(t, int64(1000), *usage.RemainingMB)
	require.Nil(t, usage.ExpiresAt, "a plan not yet activated has no end")
	require.Equal(t, adapters.UsageStatusNotActive, usage.Status)
}

func TestClient_Usage_usedUp(t *testing.T) {
	f := newFixture(t, sim.Options{})
	iccid := issuedESIM(t, f, "Th6gH3jK1lPz")
	f.sim.SetUsage(iccid, 2<<30)

	usage, err := f.client(t).Usage(context.Background(), iccid)

	require.NoError(t, err)
	require.Equal(t, int64(1000), *usage.UsedMB)
	require.Equal(t, int64(0), *usage.RemainingMB)
	require.Equal(t, adapters.UsageStatusDepleted, usage.Status)
}

func TestClient_Usage_expired(t *testing.T) {
	var simNow atomic.Pointer[time.Time]
	issuedAt := time.Now().UTC().AddDate(0, 0, -8).Truncate(time.Second)
	simNow.Store(&issuedAt)
	f := newFixture(t, sim.Options{Now: func() time.Time { return *simNow.Load() }})
	iccid := issuedESIM(t, f, "Th6gH3jK1lPz") // 7 days
	f.sim.SetUsage(iccid, 1<<20)
	now := time.Now().UTC()
	simNow.Store(&now)

	usage, err := f.client(t).Usage(context.Background(), iccid)

	require.NoError(t, err)
	require.Equal(t, adapters.UsageStatusExpired, usage.Status)
	require.Nil(t, usage.TotalMB, "an expired plan is not counted")
}

func TestClient_Usage_unlimited(t *testing.T) {
	f := newFixture(t, sim.Options{})
	iccid := issuedESIM(t, f, "Eu2wN7xC4vBn") // Europe+ Unlimited Standard 7 Days
	f.sim.SetUsage(iccid, 5<<30)

	usage, err := f.client(t).Usage(context.Background(), iccid)

	require.NoError(t, err)
	require.Nil(t, usage.TotalMB)
	require.Nil(t, usage.UsedMB)
	require.Nil(t, usage.RemainingMB)
	require.NotNil(t, usage.ExpiresAt)
	require.Equal(t, adapters.UsageStatusActive, usage.Status)
}

func TestClient_Usage_unknownICCID(t *testing.T) {
	f := newFixture(t, sim.Options{})

	_, err := f.client(t).Usage(context.Background(), "8999000000000000000")

	failure := f.requireFailure(t, err, adapters.CauseRejected)
	require.Equal(t, "maya does not know the eSIM 8999000000000000000, so check it in the Maya dashboard", failure.Message)
	require.Len(t, f.requestsTo(http.MethodGet, plansPath("8999000000000000000")), 1, "a refusal is not retried")
}

func TestClient_Usage_emptyICCID(t *testing.T) {
	f := newFixture(t, sim.Options{})

	_, err := f.client(t).Usage(context.Background(), " ")

	require.Error(t, err)
	require.Empty(t, f.sim.Requests())
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
		{"html", sim.Failure{Mode: sim.FailHTML}, adapters.CauseBadResponse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, sim.Options{})
			iccid := issuedESIM(t, f, "Jp3xQ7vL2mKa")
			tc.failure.Path = plansPath(iccid)
			f.sim.Fail(tc.failure)

			_, err := f.client(t).Usage(context.Background(), iccid)

			f.requireFailure(t, err, tc.cause)
		})
	}
}

func TestClient_Usage_retriesOne500(t *testing.T) {
	f := newFixture(t, sim.Options{})
	iccid := issuedESIM(t, f, "Jp3xQ7vL2mKa")
	f.sim.Fail(sim.Failure{Mode: sim.FailServerError, Path: plansPath(iccid)})

	usage, err := f.client(t).Usage(context.Background(), iccid)

	require.NoError(t, err)
	require.Equal(t, int64(3000), *usage.TotalMB)
	require.Len(t, f.requestsTo(http.MethodGet, plansPath(iccid)), 2)
}

func TestClient_Usage_bearerMode(t *testing.T) {
	f := newFixture(t, sim.Options{AllowBearer: true})
	iccid := issuedESIM(t, f, "Jp3xQ7vL2mKa")
	settings := f.settings()
	settings.Credentials = map[string]string{"api_key": f.apiKey, "auth_mode": "bearer"}

	usage, err := f.clientWith(t, settings).Usage(context.Background(), iccid)

	require.NoError(t, err)
	require.Equal(t, adapters.UsageStatusNotActive, usage.Status)
	headers := f.recorder.HeaderValues("Authorization")
	require.Equal(t, "Bearer "+f.apiKey, headers[len(headers)-1])
}
