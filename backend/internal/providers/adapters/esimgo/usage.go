package esimgo

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"esimscan/backend/internal/providers/adapters"
)

var _ adapters.UsageReader = (*Client)(nil)

// usageBundles is the part of GET /esims/{iccid}/bundles that usage needs.
type usageBundles struct {
	Bundles []struct {
		Assignments []usageAssignment `json:"assignments"`
	} `json:"bundles"`
}

type usageAssignment struct {
	CallTypeGroup     string `json:"callTypeGroup"`
	InitialQuantity   *int64 `json:"initialQuantity"`   // bytes
	RemainingQuantity *int64 `json:"remainingQuantity"` // bytes
	BundleState       string `json:"bundleState"`
	Unlimited         bool   `json:"unlimited"`
}

// Usage returns the data use of an eSIM from GET /esims/{iccid}/bundles:
// the data assignments that are queued, active or depleted, summed.
// eSIM Go counts bytes, which are converted to MB of 2^20 bytes.
// NOTE: eSIM Go does not document whether its GB is 10^9 or 2^30 bytes, so a
// "5GB" bundle of 10^9-byte GB shows 4768 MB. The listing gives
// no end of validity and no measurement time, so ExpiresAt is nil and
// AsOf is the time of the call. An unlimited assignment leaves every
// figure nil. An ICCID eSIM Go does not know is its HTTP 400, a
// CauseRejected.
func (c *Client) Usage(ctx context.Context, iccid string) (adapters.Usage, error) {
	if err := validateICCID(iccid); err != nil {
		return adapters.Usage{}, fmt.Errorf("query esim-go usage: %w", err)
	}
	asOf := c.now().UTC()
	var answer usageBundles
	query := url.Values{"includeUsed": {"true"}, "limit": {strconv.Itoa(maxAssignments)}}
	if err := c.getJSON(ctx, esimsPath+url.PathEscape(iccid)+"/bundles", query, &answer); err != nil {
		return adapters.Usage{}, fmt.Errorf("query esim-go usage of %s: %w", iccid, err)
	}
	var assignments []usageAssignment
	for _, bundle := range answer.Bundles {
		assignments = append(assignments, bundle.Assignments...)
	}
	usage, err := toUsage(assignments, asOf)
	if err != nil {
		return adapters.Usage{}, fmt.Errorf("query esim-go usage of %s: %w", iccid, badResponse(err.Error(), nil))
	}
	return usage, nil
}

// counted reports whether an assignment's data belongs to the eSIM's
// current figures: not expired, revoked or lapsed, and not voice or SMS.
func (a usageAssignment) counted() bool {
	if a.CallTypeGroup != "" && !strings.EqualFold(a.CallTypeGroup, "data") {
		return false
	}
	switch strings.ToLower(a.BundleState) {
	case "processing", "queued", "active", "depleted":
		return true
	default:
		return false
	}
}

func toUsage(assignments []usageAssignment, asOf time.Time) (adapters.Usage, error) {
	usage := adapters.Usage{Status: usageStatus(assignments), AsOf: asOf}
	var total, remaining int64
	counted := 0
	for _, assignment := range assignments {
		if !assignment.counted() {
			continue
		}
		if assignment.Unlimited {
			return usage, nil
		}
		if assignment.InitialQuantity == nil || assignment.RemainingQuantity == nil {
			return adapters.Usage{}, fmt.Errorf("a %s assignment has no initialQuantity or remainingQuantity", assignment.BundleState)
		}
		initial, left := *assignment.InitialQuantity, *assignment.RemainingQuantity
		if initial < 0 || left < 0 || left > initial {
			return adapters.Usage{}, fmt.Errorf("assignment quantities %d of %d bytes are not a usage", left, initial)
		}
		total += initial
		remaining += left
		counted++
	}
	if counted == 0 {
		return usage, nil
	}
	totalMB := adapters.BytesToUsageMB(total)
	remainingMB := adapters.BytesToUsageMB(remaining)
	usedMB := totalMB - remainingMB // so that the figures add up after rounding
	usage.TotalMB, usage.UsedMB, usage.RemainingMB = &totalMB, &usedMB, &remainingMB
	return usage, nil
}

// usageStatus is "active" when an assignment is active, else "not_active"
// when one is queued, else "depleted", else "expired".
func usageStatus(assignments []usageAssignment) string {
	seen := map[string]bool{}
	for _, assignment := range assignments {
		seen[strings.ToLower(assignment.BundleState)] = true
	}
	switch {
	case seen["active"]:
		return adapters.UsageStatusActive
	case seen["queued"] || seen["processing"]:
		return adapters.UsageStatusNotActive
	case seen["depleted"]:
		return adapters.UsageStatusDepleted
	case seen["expired"] || seen["lapsed"]:
		return adapters.UsageStatusExpired
	default:
		return adapters.UsageStatusUnknown
	}
}
