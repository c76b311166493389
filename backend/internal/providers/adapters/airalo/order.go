package airalo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
)

// Order limits.
const (
	maxQuantity        = 50  // eSIMs per Airalo order
	maxReferenceLength = 100 // keeps the description short
	maxOrderAttempts   = 3   // POST /orders calls for one Order, each after a lookup
	lookupPageSize     = 50
	maxLookupPages     = 10
)

// descriptionPrefix starts the description of every order esimScan places,
// followed by the order's reference.
const descriptionPrefix = "esimscan order "

type rawOrder struct {
	ID          flexString `json:"id"`
	Quantity    flexInt    `json:"quantity"`
	Description string     `json:"description"`
	SIMs        []rawSIM   `json:"sims"`
}

type rawSIM struct {
	ICCID      string `json:"iccid"`
	LPA        string `json:"lpa"` // the SM-DP+ address
	MatchingID string `json:"matching_id"`
	QRCode     string `json:"qrcode"` // "LPA:1$<SM-DP+>$<matching id>"
}

// Order buys req.Quantity eSIMs of one package with POST /orders, which
// returns the eSIMs at once. Airalo has no idempotency key, so the
// order's description carries req.Reference, and the order is looked up by
// description before it is placed and again after a failure that may have
// placed it (HTTP 5xx, a timeout, a broken connection). A reference already
// ordered returns that order and buys nothing. req.Wholesale is not sent,
// since Airalo has no price check.
func (c *Client) Order(ctx context.Context, req adapters.OrderRequest) (adapters.OrderResult, error) {
	if err := validateOrder(req); err != nil {
		return adapters.OrderResult{}, fmt.Errorf("place airalo order: %w", err)
	}
	description := descriptionPrefix + req.Reference
	if found, ok, err := c.findOrder(ctx, description); err != nil {
		return adapters.OrderResult{}, fmt.Errorf("look up airalo order %s before placing it: %w", req.Reference, err)
	} else if ok {
		c.doer.Logger.Info().Str("reference", req.Reference).Str("order_id", string(found.ID)).
			Msg("airalo order already placed, not buying again")
		return found.result()
	}

	for attempt := 1; ; attempt++ {
		placed, err := c.placeOrder(ctx, req, description)
		if err == nil {
			return placed.result()
		}
		if !outcomeUnknown(err) || ctx.Err() != nil {
			return adapters.OrderResult{}, fmt.Errorf("place airalo order %s: %w", req.Reference, err)
		}
		c.doer.Logger.Warn().Err(err).Str("reference", req.Reference).Int("attempt", attempt).
			Msg("airalo order failed with unknown outcome, looking it up")
		found, ok, lookupErr := c.findOrder(ctx, description)
		switch {
		case lookupErr != nil:
			return adapters.OrderResult{}, fmt.Errorf("place airalo order %s: %w (and the lookup by description failed: %v)",
				req.Reference, err, lookupErr)
		case ok:
			return found.result()
		case !errors.Is(err, errOutcomeUnknown) || attempt >= maxOrderAttempts:
			// After a timeout Airalo may still be placing the order, so a
			// second POST could buy twice. The caller retries later, and
			// Order looks the reference up before it buys.
			return adapters.OrderResult{}, fmt.Errorf("place airalo order %s: %w (no order with this reference was found yet)",
				req.Reference, err)
		}
		if err := wait(ctx, c.doer.Retry.BaseDelay*time.Duration(attempt)); err != nil {
			return adapters.OrderResult{}, fmt.Errorf("place airalo order %s: %w", req.Reference, err)
		}
	}
}

func validateOrder(req adapters.OrderRequest) error {
	switch {
	case strings.TrimSpace(req.Reference) == "":
		return errors.New("order reference is empty")
	case len(req.Reference) > maxReferenceLength:
		return fmt.Errorf("order reference is %d bytes, more than %d", len(req.Reference), maxReferenceLength)
	case strings.IndexFunc(req.Reference, unicode.IsControl) >= 0:
		return errors.New("order reference contains a control character")
	case req.ProviderPackageID == "":
		return errors.New("order package id is empty")
	case req.Quantity < 1 || req.Quantity > maxQuantity:
		return fmt.Errorf("order quantity %d is not between 1 and %d", req.Quantity, maxQuantity)
	}
	return nil
}

// outcomeUnknown reports a failure after which the order may exist: a 5xx,
// a timeout, or a connection that failed after it was opened. A refused
// connection never reached Airalo.
func outcomeUnknown(err error) bool {
	if errors.Is(err, errOutcomeUnknown) {
		return true
	}
	switch adapters.CauseOf(err) {
	case adapters.CauseTimeout:
		return true
	case adapters.CauseUnreachable:
		return !errors.Is(err, syscall.ECONNREFUSED)
	}
	return false
}

// placeOrder runs POST /orders once, with form fields as documented. A 429
// is retried by the Doer, since Airalo rejects it before acting; a 5xx is
// returned marked with errOutcomeUnknown.
func (c *Client) placeOrder(ctx context.Context, req adapters.OrderRequest, description string) (rawOrder, error) {
	fields := [][2]string{
		{"package_id", req.ProviderPackageID},
		{"quantity", strconv.Itoa(req.Quantity)},
		{"type", "sim"},
		{"description", description},
	}
	var answer struct {
		Data *rawOrder `json:"data"`
	}
	err := c.authorized(ctx, request{
		method:       http.MethodPost,
		path:         ordersPath,
		body:         func() (io.Reader, string, error) { return multipartBody(fields) },
		handleStatus: purchaseOutcomeUnknownOn5xx,
		handle:       func(resp *http.Response) error { return readJSON(resp, "order response", &answer) },
	})
	if err != nil {
		return rawOrder{}, err
	}
	if answer.Data == nil || answer.Data.ID == "" {
		return rawOrder{}, badResponse("order response has no data.id", nil)
	}
	return *answer.Data, nil
}

// purchaseOutcomeUnknownOn5xx classifies the status of a purchase: a 5xx
// may have come after Airalo bought, so it is a server error whose outcome
// is unknown. Other statuses go on to the response's own handling.
func purchaseOutcomeUnknownOn5xx(resp *http.Response) error {
	if resp.StatusCode < 500 {
		return nil
	}
	return &adapters.Error{
		Cause:   adapters.CauseServerError,
		Message: fmt.Sprintf("provider failed with HTTP %d (%s)", resp.StatusCode, httpx.Label(resp.Request)),
		Err:     errOutcomeUnknown,
	}
}

func multipartBody(fields [][2]string) (io.Reader, string, error) {
	var buf bytes.Buffer
	writer := multipart.NewWriter(&buf)
	for _, field := range fields {
		if err := writer.WriteField(field[0], field[1]); err != nil {
			return nil, "", fmt.Errorf("encode order field %s: %w", field[0], err)
		}
	}
	if err := writer.Close(); err != nil {
		return nil, "", fmt.Errorf("encode order form: %w", err)
	}
	return &buf, writer.FormDataContentType(), nil
}

// findOrder returns the oldest order whose description is exactly
// description, so every candidate the filter returns is compared.
//
// NOTE: Airalo documents filter[description] on GET /orders but not whether
// it matches exactly or in part, nor how soon a new order is listed.
func (c *Client) findOrder(ctx context.Context, description string) (rawOrder, bool, error) {
	var (
		best  rawOrder
		found bool
	)
	for page := 1; page <= maxLookupPages; page++ {
		var answer struct {
			Data []rawOrder `json:"data"`
			Meta struct {
				LastPage flexInt `json:"last_page"`
			} `json:"meta"`
		}
		err := c.authorized(ctx, request{
			method: http.MethodGet,
			path:   ordersPath,
			query: url.Values{
				"filter[description]": {description},
				"include":             {"sims"},
				"limit":               {strconv.Itoa(lookupPageSize)},
				"page":                {strconv.Itoa(page)},
			},
			handle: func(resp *http.Response) error { return readJSON(resp, "order list", &answer) },
		})
		if err != nil {
			return rawOrder{}, false, err
		}
		for _, candidate := range answer.Data {
			if candidate.Description != description {
				continue
			}
			if found {
				c.doer.Logger.Warn().Str("order_id", string(candidate.ID)).Str("kept_order_id", string(best.ID)).
					Msg("several airalo orders carry the same reference")
			}
			if !found || olderID(candidate.ID, best.ID) {
				best, found = candidate, true
			}
		}
		if !answer.Meta.LastPage.Set || int64(page) >= answer.Meta.LastPage.Value || len(answer.Data) == 0 {
			break
		}
	}
	return best, found, nil
}

// olderID compares numeric order ids, which Airalo assigns in order.
func olderID(a, b flexString) bool {
	x, errA := strconv.ParseInt(string(a), 10, 64)
	y, errB := strconv.ParseInt(string(b), 10, 64)
	return errA == nil && errB == nil && x < y
}

// QueryOrder returns the eSIMs of an order by its Airalo id, with GET
// /orders/{id}?include=sims. An order whose eSIMs are not all listed yet is
// Pending.
func (c *Client) QueryOrder(ctx context.Context, providerOrderID string) (adapters.OrderResult, error) {
	if _, err := strconv.ParseUint(providerOrderID, 10, 64); err != nil {
		return adapters.OrderResult{}, fmt.Errorf("query airalo order: order id %q is not a number", shorten(providerOrderID))
	}
	var answer struct {
		Data *rawOrder `json:"data"`
	}
	err := c.authorized(ctx, request{
		method: http.MethodGet,
		path:   ordersPath + "/" + providerOrderID,
		query:  url.Values{"include": {"sims"}},
		handleStatus: func(resp *http.Response) error {
			if resp.StatusCode != http.StatusNotFound || !strings.Contains(resp.Header.Get("Content-Type"), "json") {
				return nil // a plain 404 page means a wrong base URL
			}
			return &adapters.Error{
				Cause: adapters.CauseRejected,
				Message: "Airalo has no order " + providerOrderID + ", so check the order in the Airalo dashboard (HTTP 404, " +
					httpx.Label(resp.Request) + ")",
			}
		},
		handle: func(resp *http.Response) error { return readJSON(resp, "order", &answer) },
	})
	if err != nil {
		return adapters.OrderResult{}, fmt.Errorf("query airalo order %s: %w", providerOrderID, err)
	}
	if answer.Data == nil {
		return adapters.OrderResult{}, fmt.Errorf("query airalo order %s: %w", providerOrderID,
			badResponse("order response has no data", nil))
	}
	if answer.Data.ID == "" {
		answer.Data.ID = flexString(providerOrderID)
	}
	return answer.Data.result()
}

// result converts an order: Pending while fewer eSIMs than ordered are
// listed.
func (o rawOrder) result() (adapters.OrderResult, error) {
	result := adapters.OrderResult{ProviderOrderID: string(o.ID)}
	for _, sim := range o.SIMs {
		esim, err := sim.toESIM()
		if err != nil {
			return adapters.OrderResult{}, fmt.Errorf("airalo order %s: %w", o.ID, err)
		}
		result.ESIMs = append(result.ESIMs, esim)
	}
	want := 1
	if o.Quantity.Set {
		want = int(o.Quantity.Value)
	}
	result.Pending = len(result.ESIMs) < want
	return result, nil
}

// toESIM reads a profile: lpa is the SM-DP+ address and qrcode the full LPA
// string, which is rebuilt from lpa and matching_id when absent.
func (s rawSIM) toESIM() (adapters.ESIM, error) {
	if s.ICCID == "" || s.LPA == "" || s.MatchingID == "" {
		return adapters.ESIM{}, badResponse(fmt.Sprintf("eSIM %q lacks an ICCID, an lpa (SM-DP+ address) or a matching_id",
			shorten(s.ICCID)), nil)
	}
	lpa := s.QRCode
	if !strings.HasPrefix(lpa, "LPA:1$") {
		lpa = "LPA:1$" + s.LPA + "$" + s.MatchingID
	}
	return adapters.ESIM{ICCID: s.ICCID, LPA: lpa, SMDPAddress: s.LPA, ActivationCode: s.MatchingID}, nil
}

// wait sleeps for d or until ctx ends.
func wait(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return httpx.ClassifyTransport(ctx.Err(), "waiting to retry the order", d)
	case <-timer.C:
		return nil
	}
}
