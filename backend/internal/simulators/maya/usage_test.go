package maya_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	sim "esimscan/backend/internal/simulators/maya"
)

type servedPlan struct {
	ID       string `json:"id"`
	PlanType struct {
		UID  string `json:"uid"`
		Name string `json:"name"`
	} `json:"plan_type"`
	Quota         int64   `json:"data_quota_bytes"`
	Remaining     int64   `json:"data_bytes_remaining"`
	StartTime     string  `json:"start_time"`
	DateActivated *string `json:"date_activated"`
	EndTime       *string `json:"end_time"`
	NetworkStatus string  `json:"network_status"`
}

func issueESIM(t *testing.T, f simFixture, planTypeID string) string {
	t.Helper()
	issued := f.call(t, http.MethodPost, sim.PathESIM, `{"plan_type_id":"`+planTypeID+`"}`)
	require.Equal(t, http.StatusCreated, issued.Status)
	var esim sim.ESIM
	require.NoError(t, json.Unmarshal(issued.Body["esim"], &esim))
	return esim.ICCID
}

func plansOf(t *testing.T, f simFixture, iccid string) []servedPlan {
	t.Helper()
	got := f.call(t, http.MethodGet, sim.PathESIM+"/"+iccid+"/plans", "")
	require.Equal(t, http.StatusOK, got.Status)
	require.Equal(t, "1", got.result())
	var plans []servedPlan
	require.NoError(t, json.Unmarshal(got.Body["plans"], &plans))
	return plans
}

func TestServer_plansOfUnusedESIM(t *testing.T) {
	issuedAt := time.Date(2025, 6, 11, 9, 14, 28, 0, time.UTC)
	f := start(t, sim.Options{Now: func() time.Time { return issuedAt }})
	iccid := issueESIM(t, f, "Jp3xQ7vL2mKa")

	plans := plansOf(t, f, iccid)

	require.Len(t, plans, 1)
	require.Len(t, plans[0].ID, 12)
	require.Equal(t, "Jp3xQ7vL2mKa", plans[0].PlanType.UID)
	require.Equal(t, "Japan 3GB 15 Days", plans[0].PlanType.Name)
	require.Equal(t, int64(3145728000), plans[0].Quota)
	require.Equal(t, int64(3145728000), plans[0].Remaining)
	require.Equal(t, "2025-06-11 09:14:28", plans[0].StartTime)
	require.Nil(t, plans[0].DateActivated)
	require.Nil(t, plans[0].EndTime)
	require.Equal(t, "NOT_ACTIVE", plans[0].NetworkStatus)
}

func TestServer_plansAfterSetUsage(t *testing.T) {
	now := time.Date(2025, 6, 11, 9, 14, 28, 0, time.UTC)
	f := start(t, sim.Options{Now: func() time.Time { return now }})
	iccid := issueESIM(t, f, "Jp3xQ7vL2mKa")
	f.SetUsage(iccid, 734_003_200)

	plans := plansOf(t, f, iccid)

	require.Equal(t, int64(3145728000-734_003_200), plans[0].Remaining)
	require.Equal(t, "2025-06-11 09:14:28", *plans[0].DateActivated)
	require.Equal(t, "2025-06-26 09:14:28", *plans[0].EndTime)
	require.Equal(t, "ACTIVE", plans[0].NetworkStatus)

	f.SetUsage(iccid, 4<<30)
	require.Equal(t, int64(0), plansOf(t, f, iccid)[0].Remaining, "remaining never goes below 0")
}

func TestServer_plansOverHTTPControl(t *testing.T) {
	f := start(t, sim.Options{})
	iccid := issueESIM(t, f, "Us5kB2pD9fGh")

	set := send(t, http.MethodPost, f.URL+"/_sim/usage", "", `{"iccid":"`+iccid+`","used_bytes":1048576}`)

	require.Equal(t, http.StatusOK, set.Status)
	require.Equal(t, int64(5242880000-1048576), plansOf(t, f, iccid)[0].Remaining)
}

func TestServer_plansOfUnknownESIM(t *testing.T) {
	f := start(t, sim.Options{})

	got := f.call(t, http.MethodGet, sim.PathESIM+"/8999000000000000000/plans", "")

	require.Equal(t, http.StatusNotFound, got.Status)
	require.Equal(t, "0", got.result())
	require.Equal(t, "eSIM not found", got.text("message"))
}

func TestServer_plansNeedCredentialsAndTakeFailures(t *testing.T) {
	f := start(t, sim.Options{})
	iccid := issueESIM(t, f, "Jp3xQ7vL2mKa")
	path := sim.PathESIM + "/" + iccid + "/plans"

	require.Equal(t, http.StatusUnauthorized, send(t, http.MethodGet, f.URL+path, basic(f.apiKey, "wrong"), "").Status)
	f.Fail(sim.Failure{Mode: sim.FailRateLimited, Path: path})
	require.Equal(t, http.StatusTooManyRequests, f.call(t, http.MethodGet, path, "").Status)
	require.Equal(t, http.StatusOK, f.call(t, http.MethodGet, path, "").Status)
}
