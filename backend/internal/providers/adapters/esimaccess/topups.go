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
)

// topUpPath buys a top-up for an issued eSIM.
const topUpPath = "/api/v1/open/esim/topup"

var _ adapters.TopUpper = (*Client)(nil)

type topUpListBody struct {
	LocationCode string `json:"locationCode"`
	Type         string `json:"type"`
	Slug         string `json:"slug"`
	PackageCode  string `json:"packageCode"`
	ICCID        string `json:"iccid"`
}

// ListTopUps returns the top-up packages of one eSIM: the package list of
// type TOPUP for its ICCID, on the same path as the catalog.
func (c *Client) ListTopUps(ctx context.Context, iccid string) ([]adapters.Package, error) {
	if strings.TrimSpace(iccid) == "" {
		return nil, errors.New("list esim-access top-ups: ICCID is empty")
	}
	body, err := json.Marshal(topUpListBody{Type: "TOPUP", ICCID: iccid})
	if err != nil {
		return nil, fmt.Errorf("encode esim-access top-up list: %w", err)
	}
	var packages []adapters.Package
	err = c.doer.Do(ctx, httpx.Call{
		NewRequest:   c.newRequest(c.packageListPath, body),
		HandleStatus: c.handleStatus,
		Handle: func(resp *http.Response) error {
			packages = packages[:0]
			return c.streamPackages(resp, func(pkg adapters.Package) error {
				packages = append(packages, pkg)
				return nil
			})
		},
	})
	if err != nil {
		return nil, fmt.Errorf("list esim-access top-ups of %s: %w", iccid, err)
	}
	return packages, nil
}

type topUpBody struct {
	ICCID         string `json:"iccid"`
	PackageCode   string `json:"packageCode"`
	TransactionID string `json:"transactionId"`
	Amount        *int64 `json:"amount,omitempty"`
}

// TopUp buys a top-up package for an eSIM. req.Reference is sent as
// transactionId, the key eSIM Access documents as idempotent for orders.
// We assume the same for top-ups, as the simulator does. A non-zero
// req.Wholesale is sent as amount, so a changed price fails the top-up.
func (c *Client) TopUp(ctx context.Context, req adapters.TopUpRequest) (adapters.TopUpResult, error) {
	body, err := newTopUpBody(req)
	if err != nil {
		return adapters.TopUpResult{}, err
	}
	data, err := json.Marshal(body)
	if err != nil {
		return adapters.TopUpResult{}, fmt.Errorf("encode esim-access top-up: %w", err)
	}
	obj, err := c.call(ctx, topUpPath, data)
	if err != nil {
		return adapters.TopUpResult{}, fmt.Errorf("top up esim-access eSIM %s (%s): %w", req.ICCID, req.Reference, err)
	}
	var answer struct {
		TransactionID   string `json:"transactionId"`
		ICCID           string `json:"iccid"`
		TopUpESIMTranNo string `json:"topUpEsimTranNo"`
	}
	if err := decodeObj(obj, &answer); err != nil {
		return adapters.TopUpResult{}, badResponse("top-up response obj is not an object", err)
	}
	result := adapters.TopUpResult{ProviderReference: answer.TopUpESIMTranNo, ICCID: answer.ICCID}
	if result.ProviderReference == "" {
		result.ProviderReference = answer.TransactionID
	}
	if result.ICCID == "" {
		result.ICCID = req.ICCID
	}
	return result, nil
}

func newTopUpBody(req adapters.TopUpRequest) (topUpBody, error) {
	switch {
	case strings.TrimSpace(req.Reference) == "":
		return topUpBody{}, errors.New("top-up reference is empty")
	case len(req.Reference) > maxTransactionID:
		return topUpBody{}, fmt.Errorf("top-up reference is %d bytes, more than the %d eSIM Access accepts",
			len(req.Reference), maxTransactionID)
	case req.ICCID == "":
		return topUpBody{}, errors.New("top-up ICCID is empty")
	case req.ProviderPackageID == "":
		return topUpBody{}, errors.New("top-up package id is empty")
	}
	body := topUpBody{ICCID: req.ICCID, PackageCode: req.ProviderPackageID, TransactionID: req.Reference}
	if req.Wholesale.Amount == 0 {
		return body, nil
	}
	amount, err := toScaled(req.Wholesale.Amount)
	if err != nil {
		return topUpBody{}, err
	}
	body.Amount = &amount
	return body, nil
}
