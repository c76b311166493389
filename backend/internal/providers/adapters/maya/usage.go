package maya

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
)

// plansSuffix ends the path of an eSIM's plans, GET /esim/{iccid}/plans.
const plansSuffix = "/plans"

// planExpired is the network_status of a plan that Maya reports as over.
// Only ACTIVE has been seen in public integrations, so this value is a guess.
const planExpired = "EXPIRED"

var _ adapters.UsageReader = (*Client)(nil)

// rawPlan is one element of plans[], with only the fields used.
//
// NOTE: Maya's times are "YYYY-MM-DD HH:MM:SS" with no zone, and are read
// as UTC. Their real zone is not public.
type rawPlan struct {
	PlanType struct {
		Name string `json:"name"`
	} `json:"plan_type"`
	QuotaBytes     *int64  `json:"data_quota_bytes"`
	RemainingBytes *int64  `json:"data_bytes_remaining"`
	DateActivated  *string `json:"date_activated"`
	EndTime        *string `json:"end_time"`
	NetworkStatus  string  `json:"network_status"`
}

// Usage returns the data use of an eSIM from GET /esim/{iccid}/plans. It
// sums the plans that are active or not yet started: used is quota minus
// remaining, in bytes. A plan named unlimited leaves the figures nil,
// because Maya's quota on such plans is not known. Maya does not say when
// it measured the figures, so AsOf is the time of the call.
//
// NOTE: the status is derived from the plans' activation and end times,
// because Maya's plan network_status values other than ACTIVE are not
// public.
func (c *Client) Usage(ctx context.Context, iccid string) (adapters.Usage, error) {
	if strings.TrimSpace(iccid) == "" {
		return adapters.Usage{}, errors.New("query maya usage: ICCID is empty")
	}
	asOf := c.now().UTC()
	plans, err := c.plans(ctx, iccid)
	if err != nil {
		return adapters.Usage{}, fmt.Errorf("query maya usage of %s: %w", iccid, err)
	}
	usage, err := toUsage(plans, asOf)
	if err != nil {
		return adapters.Usage{}, fmt.Errorf("query maya usage of %s: %w", iccid, badResponse(err.Error(), nil))
	}
	return usage, nil
}

func (c *Client) plans(ctx context.Context, iccid string) ([]rawPlan, error) {
	req := request{method: http.MethodGet, path: esimPath + "/" + url.PathEscape(iccid) + plansSuffix}
	var data []byte
	err := c.doer.Do(ctx, httpx.Call{
		NewRequest:   c.newRequest(req),
		HandleStatus: c.handleUsageStatus(iccid),
		Handle: func(resp *http.Response) error {
			var err error
			data, err = c.readEnvelope(resp)
			return err
		},
	})
	if err != nil {
		return nil, err
	}
	var answer struct {
		Plans *[]rawPlan `json:"plans"`
	}
	if err := json.Unmarshal(data, &answer); err != nil || answer.Plans == nil {
		return nil, badResponse("plans response has no plans list", err)
	}
	return *answer.Plans, nil
}

// handleUsageStatus is handleStatus for a call that names an eSIM, with
// Maya's 404 error envelope read as an ICCID it does not know.
func (c *Client) handleUsageStatus(iccid string) func(resp *http.Response) error {
	handle := c.handleStatus(true)
	return func(resp *http.Response) error {
		err := handle(resp)
		if err != nil && resp.StatusCode == http.StatusNotFound && adapters.CauseOf(err) == adapters.CauseRejected {
			return &adapters.Error{
				Cause:   adapters.CauseRejected,
				Message: "maya does not know the eSIM " + iccid + ", so check it in the Maya dashboard",
				Err:     err,
			}
		}
		return err
	}
}

// planState is the stage of a plan: not started, active or over.
type planState int

const (
	planNotStarted planState = iota
	planActive
	planOver
)

func (p rawPlan) state(now time.Time) (planState, *time.Time, error) {
	end, err := parseTime("end_time", p.EndTime)
	if err != nil {
		return 0, nil, err
	}
	activated, err := parseTime("date_activated", p.DateActivated)
	if err != nil {
		return 0, nil, err
	}
	switch {
	case strings.EqualFold(p.NetworkStatus, planExpired), end != nil && !now.Before(*end):
		return planOver, end, nil
	case activated == nil:
		return planNotStarted, end, nil
	default:
		return planActive, end, nil
	}
}

func toUsage(plans []rawPlan, asOf time.Time) (adapters.Usage, error) {
	usage := adapters.Usage{Status: adapters.UsageStatusUnknown, AsOf: asOf}
	var quota, used int64
	counted, started, unlimited, figures := 0, false, false, true
	anyOver := false
	for _, plan := range plans {
		state, end, err := plan.state(asOf)
		if err != nil {
			return adapters.Usage{}, err
		}
		if state == planOver {
			anyOver = true
			continue
		}
		counted++
		started = started || state == planActive
		if end != nil && (usage.ExpiresAt == nil || end.After(*usage.ExpiresAt)) {
			usage.ExpiresAt = end
		}
		if containsFold(plan.PlanType.Name, "unlimited") {
			unlimited = true
			continue
		}
		if plan.QuotaBytes == nil || plan.RemainingBytes == nil {
			figures = false
			continue
		}
		if *plan.QuotaBytes < 0 || *plan.RemainingBytes < 0 {
			return adapters.Usage{}, fmt.Errorf("plan quota %d or remaining %d bytes is negative",
				*plan.QuotaBytes, *plan.RemainingBytes)
		}
		quota += *plan.QuotaBytes
		used += max(*plan.QuotaBytes-*plan.RemainingBytes, 0)
	}

	switch {
	case counted == 0 && anyOver:
		usage.Status = adapters.UsageStatusExpired
	case counted == 0:
		return usage, nil // no plan at all
	case !unlimited && figures && quota > 0 && used >= quota:
		usage.Status = adapters.UsageStatusDepleted
	case started:
		usage.Status = adapters.UsageStatusActive
	default:
		usage.Status = adapters.UsageStatusNotActive
	}
	if counted == 0 || unlimited || !figures {
		return usage, nil
	}
	total, usedMB := adapters.BytesToUsageMB(quota), adapters.BytesToUsageMB(used)
	remaining := max(total-usedMB, 0) // so that the figures add up after rounding
	usage.TotalMB, usage.UsedMB, usage.RemainingMB = &total, &usedMB, &remaining
	return usage, nil
}

// parseTime reads a Maya time, "YYYY-MM-DD HH:MM:SS" in UTC, and returns
// nil for a missing or empty one.
func parseTime(field string, text *string) (*time.Time, error) {
	if text == nil || strings.TrimSpace(*text) == "" {
		return nil, nil
	}
	parsed, err := time.ParseInLocation(time.DateTime, strings.TrimSpace(*text), time.UTC)
	if err != nil {
		return nil, fmt.Errorf("%s %q is not a YYYY-MM-DD HH:MM:SS time", field, *text)
	}
	return &parsed, nil
}
