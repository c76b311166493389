package esimaccess

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
)

// usagePath reports the data use of up to 10 eSIMs by esimTranNo.
const usagePath = "/api/v1/open/esim/usage/query"

// codeUnknownICCID is the error code eSIM Access returns for an unknown
// ICCID.
const codeUnknownICCID = "310211"

// timeLayout is the format of eSIM Access times, such as
// "2025-06-13T06:00:00+0000".
const timeLayout = "2006-01-02T15:04:05-0700"

var _ adapters.UsageReader = (*Client)(nil)

// usageESIM is the part of an esim/query element that usage needs.
type usageESIM struct {
	ESIMTranNo  string `json:"esimTranNo"`
	ICCID       string `json:"iccid"`
	ExpiredTime string `json:"expiredTime"`
	ESIMStatus  string `json:"esimStatus"`
}

type usageRecord struct {
	ESIMTranNo     string `json:"esimTranNo"`
	DataUsage      *int64 `json:"dataUsage"` // bytes
	TotalData      *int64 `json:"totalData"` // bytes
	LastUpdateTime string `json:"lastUpdateTime"`
}

// Usage returns the data use of an eSIM. eSIM Access reports usage by
// esimTranNo, so it first looks the eSIM up by ICCID with esim/query, which
// also gives the status and the end of validity, then calls usage/query.
// eSIM Access refreshes the figures every 2 to 3 hours; AsOf is its
// lastUpdateTime.
func (c *Client) Usage(ctx context.Context, iccid string) (adapters.Usage, error) {
	if strings.TrimSpace(iccid) == "" {
		return adapters.Usage{}, errors.New("query esim-access usage: ICCID is empty")
	}
	esim, err := c.esimByICCID(ctx, iccid)
	if err != nil {
		return adapters.Usage{}, fmt.Errorf("query esim-access usage of %s: %w", iccid, err)
	}
	record, err := c.usageRecord(ctx, esim.ESIMTranNo)
	if err != nil {
		return adapters.Usage{}, fmt.Errorf("query esim-access usage of %s: %w", iccid, err)
	}
	usage, err := toUsage(esim, record, c.now())
	if err != nil {
		return adapters.Usage{}, fmt.Errorf("query esim-access usage of %s: %w", iccid, badResponse(err.Error(), nil))
	}
	return usage, nil
}

func (c *Client) esimByICCID(ctx context.Context, iccid string) (usageESIM, error) {
	body := queryBody{ICCID: iccid}
	body.Pager.PageNum = 1
	body.Pager.PageSize = 5 // the smallest page esim/query accepts
	data, err := json.Marshal(body)
	if err != nil {
		return usageESIM{}, fmt.Errorf("encode eSIM query: %w", err)
	}
	var page struct {
		ESIMs []usageESIM `json:"esimList"`
	}
	obj, err := c.callKnown(ctx, queryPath, data, iccid)
	if err != nil {
		return usageESIM{}, err
	}
	if err := decodeObj(obj, &page); err != nil {
		return usageESIM{}, badResponse("eSIM query obj is not an eSIM list", err)
	}
	for _, esim := range page.ESIMs {
		if esim.ICCID == iccid && esim.ESIMTranNo != "" {
			return esim, nil
		}
	}
	return usageESIM{}, unknownICCID(iccid)
}

func (c *Client) usageRecord(ctx context.Context, tranNo string) (usageRecord, error) {
	data, err := json.Marshal(map[string][]string{"esimTranNoList": {tranNo}})
	if err != nil {
		return usageRecord{}, fmt.Errorf("encode usage query: %w", err)
	}
	obj, err := c.callKnown(ctx, usagePath, data, tranNo)
	if err != nil {
		return usageRecord{}, err
	}
	var answer struct {
		List []usageRecord `json:"esimUsageList"`
	}
	if err := decodeObj(obj, &answer); err != nil {
		return usageRecord{}, badResponse("usage query obj is not a usage list", err)
	}
	for _, record := range answer.List {
		if record.ESIMTranNo == tranNo {
			return record, nil
		}
	}
	return usageRecord{}, badResponse("usage query did not list esimTranNo "+tranNo, nil)
}

// callKnown is call, with eSIM Access's unknown-ICCID code as a rejection
// naming subject.
func (c *Client) callKnown(ctx context.Context, path string, body []byte, subject string) ([]byte, error) {
	var obj []byte
	err := c.doer.Do(ctx, httpx.Call{
		NewRequest:   c.newRequest(path, body),
		HandleStatus: c.handleStatus,
		Handle: func(resp *http.Response) error {
			env, err := c.readEnvelope(resp)
			if err != nil {
				return err
			}
			if !*env.Success && env.code() == codeUnknownICCID {
				return unknownICCID(subject)
			}
			obj, err = c.objOf(env, httpx.Label(resp.Request))
			return err
		},
	})
	return obj, err
}

func unknownICCID(subject string) *adapters.Error {
	return &adapters.Error{
		Cause:   adapters.CauseRejected,
		Message: "eSIM Access does not know the eSIM " + subject + ", so check it in the eSIM Access console",
	}
}

func toUsage(esim usageESIM, record usageRecord, now time.Time) (adapters.Usage, error) {
	usage := adapters.Usage{Status: usageStatus(esim.ESIMStatus), AsOf: now.UTC()}
	if record.LastUpdateTime != "" {
		asOf, err := time.Parse(timeLayout, record.LastUpdateTime)
		if err != nil {
			return adapters.Usage{}, fmt.Errorf("lastUpdateTime %q is not a time", record.LastUpdateTime)
		}
		usage.AsOf = asOf.UTC()
	}
	if esim.ExpiredTime != "" {
		expires, err := time.Parse(timeLayout, esim.ExpiredTime)
		if err != nil {
			return adapters.Usage{}, fmt.Errorf("expiredTime %q is not a time", esim.ExpiredTime)
		}
		expires = expires.UTC()
		usage.ExpiresAt = &expires
	}
	if record.DataUsage != nil {
		if *record.DataUsage < 0 {
			return adapters.Usage{}, fmt.Errorf("dataUsage %d bytes is negative", *record.DataUsage)
		}
		used := adapters.BytesToUsageMB(*record.DataUsage)
		usage.UsedMB = &used
	}
	// A total of 0 or less is an unlimited plan, or none reported.
	if record.TotalData != nil && *record.TotalData > 0 {
		total := adapters.BytesToUsageMB(*record.TotalData)
		usage.TotalMB = &total
		if record.DataUsage != nil {
			remaining := max(total-*usage.UsedMB, 0) // so that the figures add up after rounding
			usage.RemainingMB = &remaining
		}
	}
	return usage, nil
}

// usageStatus maps an esimStatus to a usage status.
func usageStatus(status string) string {
	switch strings.ToUpper(status) {
	case "CREATE", "PAYING", "PAID", "GETTING_RESOURCE", "GOT_RESOURCE":
		return adapters.UsageStatusNotActive
	case "IN_USE":
		return adapters.UsageStatusActive
	case "USED_UP":
		return adapters.UsageStatusDepleted
	case "UNUSED_EXPIRED", "USED_EXPIRED":
		return adapters.UsageStatusExpired
	default:
		return adapters.UsageStatusUnknown
	}
}
