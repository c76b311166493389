package maya

import (
	"net/http"
	"strings"
	"time"
)

// plansSuffix ends the path of an eSIM's plans, GET /esim/{iccid}/plans.
const plansSuffix = "/plans"

// Network statuses of a served plan. Public integrations show ACTIVE, and
// the other two are guesses.
const (
	planActive    = "ACTIVE"
	planNotActive = "NOT_ACTIVE"
	planExpired   = "EXPIRED"
)

// plan is the data plan an eSIM was issued with.
type plan struct {
	ID           string
	PlanTypeID   string
	Name         string
	Countries    []string
	QuotaBytes   int64
	ValidityDays int
	StartedAt    time.Time
}

// newPlan returns the plan of product issued at now. The quota is
// data_quota_bytes, or data_quota_mb in MB of 1,048,576 bytes, as in the
// samples.
func newPlan(product Product, now time.Time) plan {
	quota := int64(0)
	switch {
	case product.DataQuotaBytes != nil:
		quota = *product.DataQuotaBytes
	case product.DataQuotaMB != nil:
		quota = *product.DataQuotaMB << 20
	}
	return plan{
		ID:           randomID(),
		PlanTypeID:   product.UID,
		Name:         product.Name,
		Countries:    append([]string(nil), product.CountriesEnabled...),
		QuotaBytes:   quota,
		ValidityDays: product.ValidityDays,
		StartedAt:    now.UTC(),
	}
}

// SetUsage sets the bytes an eSIM has used, as its plans report them next.
// An eSIM with bytes used counts as activated when it was issued, so its
// plan ends ValidityDays after that.
func (s *Server) SetUsage(iccid string, usedBytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.used[iccid] = usedBytes
}

// servePlans serves GET /esim/{iccid}/plans for an eSIM this server
// issued: its one plan, with the quota and the bytes remaining.
func (s *Server) servePlans(w http.ResponseWriter, r *http.Request) {
	iccid := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, PathESIM+"/"), plansSuffix)
	if strings.Contains(iccid, "/") {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	esim, ok := s.esims[iccid]
	if !ok {
		writeError(w, http.StatusNotFound, "eSIM not found", "No eSIM with ICCID "+iccid+" exists on this account.")
		return
	}
	writeOK(w, http.StatusOK, map[string]any{"plans": []map[string]any{s.planView(esim.plan, s.used[iccid])}})
}

// planView is a plan as Maya serves it. A plan with no bytes used has not
// been activated, so it has no activation and no end time. The caller
// holds s.mu.
func (s *Server) planView(p plan, used int64) map[string]any {
	view := map[string]any{
		"id":                   p.ID,
		"plan_type":            map[string]string{"uid": p.PlanTypeID, "name": p.Name},
		"countries_enabled":    p.Countries,
		"data_quota_bytes":     p.QuotaBytes,
		"data_bytes_remaining": max(p.QuotaBytes-used, 0),
		"start_time":           p.StartedAt.Format(time.DateTime),
		"date_activated":       nil,
		"end_time":             nil,
		"network_status":       planNotActive,
	}
	if used <= 0 {
		return view
	}
	end := p.StartedAt.AddDate(0, 0, p.ValidityDays)
	view["date_activated"] = p.StartedAt.Format(time.DateTime)
	view["end_time"] = end.Format(time.DateTime)
	view["network_status"] = planActive
	if !s.opts.Now().Before(end) {
		view["network_status"] = planExpired
	}
	return view
}
