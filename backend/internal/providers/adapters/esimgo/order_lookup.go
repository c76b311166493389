package esimgo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"esimscan/backend/internal/providers/adapters"
)

// Bounds of an order lookup: orders per page, and pages read.
const (
	lookupPageSize = 100
	maxLookupPages = 20
)

// ordersPage is one page of GET /orders.
//
// NOTE: the shape of the list is not documented; an object
// {"orders": [...], "pageCount": N} and a bare array of orders are both
// accepted.
type ordersPage struct {
	Orders    []orderResponse
	PageCount int
}

func (p *ordersPage) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		return json.Unmarshal(data, &p.Orders)
	}
	var object struct {
		Orders    []orderResponse `json:"orders"`
		PageCount int             `json:"pageCount"`
	}
	if err := json.Unmarshal(data, &object); err != nil {
		return err
	}
	p.Orders, p.PageCount = object.Orders, object.PageCount
	return nil
}

// findOrder looks for an order that a call for req may have bought: one
// line of req's bundle and quantity, created at or after since, not failed,
// not bought for another reference of this client, and not claimed by
// another order according to req.Claimed. The earliest such order wins and
// is recorded for req.Reference.
//
// NOTE: an order of the same bundle and quantity placed in that window by
// another program on the same eSIM Go account would be taken as this one.
func (c *Client) findOrder(ctx context.Context, req adapters.OrderRequest, since time.Time) (adapters.OrderResult, bool, error) {
	best, err := c.earliestUnclaimed(ctx, since, req.Claimed, func(candidate *orderResponse) (time.Time, bool) {
		return c.matches(candidate, req, since)
	})
	if err != nil {
		return adapters.OrderResult{}, false, err
	}
	if best == nil {
		return adapters.OrderResult{}, false, nil
	}
	result, err := best.result(req.Quantity)
	if err != nil {
		return adapters.OrderResult{}, false, fmt.Errorf("look up orders: order %s: %w", best.OrderReference, err)
	}
	c.orders.settle(req.Reference, result)
	c.doer.Logger.Info().
		Str("reference", req.Reference).
		Str("provider_order_id", result.ProviderOrderID).
		Msg("esim-go order found after a failed call")
	return result, true, nil
}

// matches reports whether order may be the one bought for req, and when
// it was created. An unreadable createdDate is trusted to the provider's
// createdAt filter.
func (c *Client) matches(order *orderResponse, req adapters.OrderRequest, since time.Time) (time.Time, bool) {
	if order.OrderReference == "" || len(order.Order) != 1 {
		return time.Time{}, false
	}
	line := order.Order[0]
	if line.Item != req.ProviderPackageID || line.Quantity != req.Quantity {
		return time.Time{}, false
	}
	status := strings.ToLower(order.Status)
	if strings.Contains(status, "fail") || strings.Contains(status, "cancel") || strings.Contains(status, "refund") {
		return time.Time{}, false
	}
	if c.orders.claimedByOther(order.OrderReference, req.Reference) {
		return time.Time{}, false
	}
	createdAt, err := time.Parse(time.RFC3339Nano, order.CreatedDate)
	if err != nil {
		return since, true
	}
	if createdAt.Before(since) {
		return time.Time{}, false
	}
	return createdAt, true
}

// earliestUnclaimed pages through the orders created at or after since and
// returns the earliest one that match accepts and that claimed does not
// report as another order's, or nil when there is none.
func (c *Client) earliestUnclaimed(
	ctx context.Context,
	since time.Time,
	claimed func(context.Context, string) (bool, error),
	match func(*orderResponse) (time.Time, bool),
) (*orderResponse, error) {
	var best *orderResponse
	var bestAt time.Time
	for page := 1; page <= maxLookupPages; page++ {
		query := url.Values{
			"includeIccids": {"true"},
			"createdAt":     {"gte:" + since.UTC().Format("2006-01-02T15:04:05.000Z")},
			"page":          {strconv.Itoa(page)},
			"limit":         {strconv.Itoa(lookupPageSize)},
		}
		var answer ordersPage
		if err := c.getJSON(ctx, ordersPath, query, &answer); err != nil {
			return nil, fmt.Errorf("look up orders since %s: %w", since.UTC().Format(time.RFC3339), err)
		}
		for i := range answer.Orders {
			candidate := &answer.Orders[i]
			createdAt, ok := match(candidate)
			if !ok || (best != nil && !createdAt.Before(bestAt)) {
				continue
			}
			taken, err := claimedElsewhere(ctx, claimed, candidate.OrderReference)
			if err != nil {
				return nil, fmt.Errorf("look up orders: %w", err)
			}
			if !taken {
				best, bestAt = candidate, createdAt
			}
		}
		if len(answer.Orders) < lookupPageSize || (answer.PageCount > 0 && page >= answer.PageCount) {
			break
		}
	}
	return best, nil
}
