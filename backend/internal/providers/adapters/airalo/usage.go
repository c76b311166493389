package airalo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/money"
)

// usageTimeLayout is the format of Airalo's expired_at, such as
// "2025-06-19 10:02:11".
//
// NOTE: Airalo does not document the zone of expired_at, so it is read as UTC.
const usageTimeLayout = "2006-01-02 15:04:05"

var _ adapters.UsageReader = (*Client)(nil)

type rawUsage struct {
	Remaining   *json.Number `json:"remaining"` // MB, 1024 per GB
	Total       *json.Number `json:"total"`     // MB
	ExpiredAt   *string      `json:"expired_at"`
	IsUnlimited bool         `json:"is_unlimited"`
	Status      string       `json:"status"`
}

// Usage returns the data use of an eSIM with GET /sims/{iccid}/usage.
// Airalo reports MB of 1024 per GB, possibly with decimals, which are
// rounded to the nearest MB. Airalo limits calls per ICCID and caches its
// responses, and it sends no measurement time, so AsOf is the
// time of the call. An ICCID that Airalo does not know is a CauseRejected.
func (c *Client) Usage(ctx context.Context, iccid string) (adapters.Usage, error) {
	if err := validateICCID(iccid); err != nil {
		return adapters.Usage{}, fmt.Errorf("query airalo usage: %w", err)
	}
	var answer struct {
		Data json.RawMessage `json:"data"`
	}
	asOf := c.now().UTC()
	err := c.authorized(ctx, request{
		method:       http.MethodGet,
		path:         simsPath + "/" + url.PathEscape(iccid) + "/usage",
		handleStatus: unknownESIM(iccid),
		handle:       func(resp *http.Response) error { return readJSON(resp, "usage", &answer) },
	})
	if err != nil {
		return adapters.Usage{}, fmt.Errorf("query airalo usage of %s: %w", iccid, err)
	}
	var raw rawUsage
	if err := json.Unmarshal(answer.Data, &raw); err != nil {
		return adapters.Usage{}, fmt.Errorf("query airalo usage of %s: %w", iccid, badResponse("usage data is not an object", err))
	}
	usage, err := raw.toUsage(asOf)
	if err != nil {
		return adapters.Usage{}, fmt.Errorf("query airalo usage of %s: %w", iccid, badResponse(err.Error(), nil))
	}
	return usage, nil
}

func (r rawUsage) toUsage(asOf time.Time) (adapters.Usage, error) {
	usage := adapters.Usage{Status: airaloUsageStatus(r.Status), AsOf: asOf}
	if r.ExpiredAt != nil && *r.ExpiredAt != "" {
		expires, err := time.Parse(usageTimeLayout, *r.ExpiredAt)
		if err != nil {
			return adapters.Usage{}, fmt.Errorf("expired_at %q is not a time", *r.ExpiredAt)
		}
		usage.ExpiresAt = &expires
	}
	if r.IsUnlimited {
		return usage, nil
	}
	total, err := usageMB(r.Total, "total")
	if err != nil {
		return adapters.Usage{}, err
	}
	remaining, err := usageMB(r.Remaining, "remaining")
	if err != nil {
		return adapters.Usage{}, err
	}
	usage.TotalMB, usage.RemainingMB = total, remaining
	if total != nil && remaining != nil {
		used := max(*total-*remaining, 0)
		usage.UsedMB = &used
	}
	return usage, nil
}

// usageMB reads a MB figure as an exact decimal rounded to the nearest MB;
// null gives nil.
func usageMB(number *json.Number, field string) (*int64, error) {
	if number == nil {
		return nil, nil
	}
	amount, err := parseDecimal(*number)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	if amount < 0 {
		return nil, fmt.Errorf("%s %s MB is negative", field, number.String())
	}
	mb := (int64(amount) + money.Scale/2) / money.Scale
	return &mb, nil
}

// airaloUsageStatus maps Airalo's usage status to a usage status.
func airaloUsageStatus(status string) string {
	switch strings.ToUpper(status) {
	case "NOT_ACTIVE":
		return adapters.UsageStatusNotActive
	case "ACTIVE":
		return adapters.UsageStatusActive
	case "FINISHED":
		return adapters.UsageStatusDepleted
	case "EXPIRED":
		return adapters.UsageStatusExpired
	default:
		return adapters.UsageStatusUnknown
	}
}
