package esimaccess

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
	"esimscan/backend/money"
)

// maxTransactionID is the longest transactionId eSIM Access accepts.
const maxTransactionID = 50

// queryPageSize is the page size of esim/query, which allows 5 to 500.
const queryPageSize = 20

// maxQueryPages bounds the pages read for one order. An order contains at
// most 30 eSIMs, so more pages mean a misbehaving response.
const maxQueryPages = 50

type orderLine struct {
	PackageCode string `json:"packageCode"`
	Count       int    `json:"count"`
	Price       *int64 `json:"price,omitempty"`
}

type orderBody struct {
	TransactionID   string      `json:"transactionId"`
	Amount          *int64      `json:"amount,omitempty"`
	PackageInfoList []orderLine `json:"packageInfoList"`
}

// Order buys req.Quantity eSIMs of one package. req.Reference is sent as
// transactionId, which eSIM Access treats as an idempotency key: repeating
// an order with the same reference returns the first order. A non-zero
// req.Wholesale is sent as the unit price check, so a changed price fails
// the order instead of charging it. Profiles are allocated later, so the
// result is always Pending; poll QueryOrder.
//
// TODO: day passes need periodNum (days) and a price of daily price ×
// days, but adapters.OrderRequest has no field for the number of days yet,
// so a day pass is ordered for the provider's default period.
func (c *Client) Order(ctx context.Context, req adapters.OrderRequest) (adapters.OrderResult, error) {
	body, err := newOrderBody(req)
	if err != nil {
		return adapters.OrderResult{}, err
	}
	data, err := json.Marshal(body)
	if err != nil {
		return adapters.OrderResult{}, fmt.Errorf("encode esim-access order: %w", err)
	}
	obj, err := c.call(ctx, orderPath, data)
	if err != nil {
		return adapters.OrderResult{}, fmt.Errorf("place esim-access order %s: %w", req.Reference, err)
	}
	var answer struct {
		OrderNo string `json:"orderNo"`
	}
	if err := decodeObj(obj, &answer); err != nil || answer.OrderNo == "" {
		return adapters.OrderResult{}, badResponse("order response has no obj.orderNo", err)
	}
	return adapters.OrderResult{ProviderOrderID: answer.OrderNo, Pending: true}, nil
}

func newOrderBody(req adapters.OrderRequest) (orderBody, error) {
	switch {
	case strings.TrimSpace(req.Reference) == "":
		return orderBody{}, errors.New("order reference is empty")
	case len(req.Reference) > maxTransactionID:
		return orderBody{}, fmt.Errorf("order reference is %d bytes, more than the %d eSIM Access accepts",
			len(req.Reference), maxTransactionID)
	case req.ProviderPackageID == "":
		return orderBody{}, errors.New("order package id is empty")
	case req.Quantity < 1:
		return orderBody{}, fmt.Errorf("order quantity %d is less than 1", req.Quantity)
	}
	body := orderBody{
		TransactionID:   req.Reference,
		PackageInfoList: []orderLine{{PackageCode: req.ProviderPackageID, Count: req.Quantity}},
	}
	if req.Wholesale.Amount == 0 {
		return body, nil
	}
	unit, err := toScaled(req.Wholesale.Amount)
	if err != nil {
		return orderBody{}, err
	}
	total := unit * int64(req.Quantity)
	body.PackageInfoList[0].Price = &unit
	body.Amount = &total
	return body, nil
}

// toScaled converts an amount to eSIM Access's 1/10,000 unit, which must
// be exact: rounding would fail the provider's price check or pay a
// different price.
func toScaled(amount money.Amount) (int64, error) {
	const step = money.Scale / 10_000
	if amount < 0 || amount%step != 0 {
		return 0, fmt.Errorf("order wholesale price %s has more than 4 decimals", amount)
	}
	return int64(amount / step), nil
}

type queryBody struct {
	OrderNo string `json:"orderNo"`
	ICCID   string `json:"iccid"`
	Pager   struct {
		PageNum  int `json:"pageNum"`
		PageSize int `json:"pageSize"`
	} `json:"pager"`
}

type rawESIM struct {
	ICCID string `json:"iccid"`
	AC    string `json:"ac"` // "LPA:1$<SM-DP+ address>$<matching id>"
}

type queryPage struct {
	ESIMs []rawESIM `json:"esimList"`
	Pager struct {
		Total int `json:"total"`
	} `json:"pager"`
}

// QueryOrder returns the eSIMs of an order. While eSIM Access is still
// allocating the profiles (code 200010, or no profile yet) the result is
// Pending with no eSIMs.
func (c *Client) QueryOrder(ctx context.Context, providerOrderID string) (adapters.OrderResult, error) {
	if providerOrderID == "" {
		return adapters.OrderResult{}, errors.New("query esim-access order: order number is empty")
	}
	result := adapters.OrderResult{ProviderOrderID: providerOrderID}
	for pageNum := 1; pageNum <= maxQueryPages; pageNum++ {
		page, pending, err := c.queryPage(ctx, providerOrderID, pageNum)
		if err != nil {
			return adapters.OrderResult{}, fmt.Errorf("query esim-access order %s: %w", providerOrderID, err)
		}
		if pending || (pageNum == 1 && len(page.ESIMs) == 0) {
			return adapters.OrderResult{ProviderOrderID: providerOrderID, Pending: true}, nil
		}
		for _, raw := range page.ESIMs {
			esim, err := raw.toESIM()
			if err != nil {
				return adapters.OrderResult{}, fmt.Errorf("query esim-access order %s: %w", providerOrderID, err)
			}
			result.ESIMs = append(result.ESIMs, esim)
		}
		if len(page.ESIMs) == 0 || len(result.ESIMs) >= page.Pager.Total {
			return result, nil
		}
	}
	return result, nil
}

func (c *Client) queryPage(ctx context.Context, orderNo string, pageNum int) (queryPage, bool, error) {
	body := queryBody{OrderNo: orderNo}
	body.Pager.PageNum = pageNum
	body.Pager.PageSize = queryPageSize
	data, err := json.Marshal(body)
	if err != nil {
		return queryPage{}, false, fmt.Errorf("encode query: %w", err)
	}

	var (
		page    queryPage
		pending bool
	)
	err = c.doer.Do(ctx, httpx.Call{
		NewRequest:   c.newRequest(queryPath, data),
		HandleStatus: c.handleStatus,
		Handle: func(resp *http.Response) error {
			env, err := c.readEnvelope(resp)
			if err != nil {
				return err
			}
			if !*env.Success && env.code() == codeProfilePending {
				pending = true
				return nil
			}
			obj, err := c.objOf(env, httpx.Label(resp.Request))
			if err != nil {
				return err
			}
			if err := decodeObj(obj, &page); err != nil {
				return badResponse("query response obj is not an eSIM list", err)
			}
			return nil
		},
	})
	return page, pending, err
}

func (r rawESIM) toESIM() (adapters.ESIM, error) {
	parts := strings.Split(r.AC, "$")
	if r.ICCID == "" || len(parts) < 3 || !strings.HasPrefix(parts[0], "LPA:") || parts[1] == "" || parts[2] == "" {
		return adapters.ESIM{}, badResponse(fmt.Sprintf("eSIM %q has no ICCID or no LPA:1$<SM-DP+>$<matching id> activation code", r.ICCID), nil)
	}
	return adapters.ESIM{
		ICCID:          r.ICCID,
		LPA:            r.AC,
		SMDPAddress:    parts[1],
		ActivationCode: parts[2],
	}, nil
}
