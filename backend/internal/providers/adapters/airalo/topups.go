package airalo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
	"esimscan/backend/money"
)

// Paths of the top-up calls, relative to the base URL.
const (
	simsPath        = "/sims"          // + "/{iccid}/topups" lists top-ups
	topUpOrdersPath = "/orders/topups" // buys one
)

// topUpDescriptionPrefix starts the description of every top-up order
// esimScan places, followed by the top-up's reference.
const topUpDescriptionPrefix = "esimscan top-up "

// maxICCIDLength bounds the ICCIDs accepted. Airalo's documented ICCIDs
// have 17 to 20 digits, so 22 leaves room.
const maxICCIDLength = 22

var _ adapters.TopUpper = (*Client)(nil)

// ListTopUps returns the top-up packages of one eSIM with GET
// /sims/{iccid}/topups. Their units are those of the catalog: data in MB of
// 1024 per GB, validity in days, and the wholesale price from net_price in
// USD. An ICCID that Airalo does not know is a CauseRejected.
func (c *Client) ListTopUps(ctx context.Context, iccid string) ([]adapters.Package, error) {
	if err := validateICCID(iccid); err != nil {
		return nil, fmt.Errorf("list airalo top-ups: %w", err)
	}
	var answer struct {
		Pricing struct {
			Model string `json:"model"`
		} `json:"pricing"`
		Data []rawPackage `json:"data"`
	}
	err := c.authorized(ctx, request{
		method:       http.MethodGet,
		path:         simsPath + "/" + url.PathEscape(iccid) + "/topups",
		handleStatus: unknownESIM(iccid),
		handle:       func(resp *http.Response) error { return readJSON(resp, "top-up list", &answer) },
	})
	if err != nil {
		return nil, fmt.Errorf("list airalo top-ups of %s: %w", iccid, err)
	}
	packages := make([]adapters.Package, 0, len(answer.Data))
	for _, raw := range answer.Data {
		pkg, err := toTopUpPackage(raw, answer.Pricing.Model)
		if err != nil {
			return nil, fmt.Errorf("list airalo top-ups of %s: %w", iccid, badResponse(err.Error(), nil))
		}
		packages = append(packages, pkg)
	}
	return packages, nil
}

// toTopUpPackage converts a top-up package. The list names no country, so
// Countries is empty: a top-up covers the countries of its eSIM.
func toTopUpPackage(raw rawPackage, pricingModel string) (adapters.Package, error) {
	if raw.ID == "" {
		return adapters.Package{}, errors.New("a top-up package has no id")
	}
	wholesale, err := raw.wholesale(pricingModel)
	if err != nil {
		return adapters.Package{}, fmt.Errorf("top-up package %s: %w", raw.ID, err)
	}
	pkg := adapters.Package{
		ProviderPackageID: raw.ID,
		Name:              strings.TrimSpace(raw.Title),
		Wholesale:         wholesale,
		Unlimited:         raw.IsUnlimited,
	}
	// As in the catalog, is_unlimited is trusted over amount.
	if !raw.IsUnlimited {
		if !raw.Amount.Set || raw.Amount.Value <= 0 {
			return adapters.Package{}, fmt.Errorf("top-up package %s: amount %d MB is not positive and is_unlimited is false",
				raw.ID, raw.Amount.Value)
		}
		pkg.DataMB = raw.Amount.Value
	}
	if !raw.Day.Set || raw.Day.Value <= 0 {
		return adapters.Package{}, fmt.Errorf("top-up package %s: day %d is not a positive number of days", raw.ID, raw.Day.Value)
	}
	pkg.ValidityDays = int(raw.Day.Value)
	return pkg, nil
}

// rawTopUpOrder is the data of a POST /orders/topups response, with only
// the fields used.
type rawTopUpOrder struct {
	ID        flexString  `json:"id"`
	PackageID string      `json:"package_id"`
	Currency  string      `json:"currency"`
	NetPrice  json.Number `json:"net_price"` // USD charged to the partner
}

// TopUp buys a top-up package for an eSIM with POST /orders/topups.
//
// Airalo has no idempotency key, so the order's description carries
// req.Reference, and every call first looks it up in GET /orders and
// returns the top-up found there without buying. A 429 or a 401 repeats
// the POST, because Airalo rejects those before acting. A 5xx, a timeout
// or a broken connection does not: the call looks the reference up again
// and, when Airalo lists no top-up with it yet, returns the error. The
// caller retries later, and that call looks up before it buys.
// req.Wholesale is not sent, since Airalo has no price check.
//
// NOTE: Airalo documents the description as the way to identify an order,
// but not that top-up orders keep it in GET /orders (its example response
// shows "Topup (<iccid>)"). If they do not, a retry after an unknown
// outcome can buy a second top-up.
func (c *Client) TopUp(ctx context.Context, req adapters.TopUpRequest) (adapters.TopUpResult, error) {
	if err := validateTopUp(req); err != nil {
		return adapters.TopUpResult{}, fmt.Errorf("buy airalo top-up: %w", err)
	}
	description := topUpDescriptionPrefix + req.Reference
	if found, ok, err := c.findOrder(ctx, description); err != nil {
		return adapters.TopUpResult{}, fmt.Errorf("look up airalo top-up %s before buying it: %w", req.Reference, err)
	} else if ok {
		c.doer.Logger.Info().Str("reference", req.Reference).Str("order_id", string(found.ID)).
			Msg("airalo top-up already bought, not buying again")
		return adapters.TopUpResult{ProviderReference: string(found.ID), ICCID: req.ICCID}, nil
	}

	bought, err := c.placeTopUp(ctx, req, description)
	if err == nil {
		return c.topUpResult(req, bought)
	}
	if !outcomeUnknown(err) || ctx.Err() != nil {
		return adapters.TopUpResult{}, fmt.Errorf("buy airalo top-up %s: %w", req.Reference, err)
	}
	c.doer.Logger.Warn().Err(err).Str("reference", req.Reference).
		Msg("airalo top-up failed with unknown outcome, looking it up")
	found, ok, lookupErr := c.findOrder(ctx, description)
	switch {
	case lookupErr != nil:
		return adapters.TopUpResult{}, fmt.Errorf("buy airalo top-up %s: %w (and the lookup by description failed: %v)",
			req.Reference, err, lookupErr)
	case ok:
		return adapters.TopUpResult{ProviderReference: string(found.ID), ICCID: req.ICCID}, nil
	}
	return adapters.TopUpResult{}, fmt.Errorf("buy airalo top-up %s: %w (no top-up with this reference was found yet)",
		req.Reference, err)
}

func validateTopUp(req adapters.TopUpRequest) error {
	switch {
	case strings.TrimSpace(req.Reference) == "":
		return errors.New("top-up reference is empty")
	case len(req.Reference) > maxReferenceLength:
		return fmt.Errorf("top-up reference is %d bytes, more than %d", len(req.Reference), maxReferenceLength)
	case strings.IndexFunc(req.Reference, unicode.IsControl) >= 0:
		return errors.New("top-up reference contains a control character")
	case req.ProviderPackageID == "":
		return errors.New("top-up package id is empty")
	}
	return validateICCID(req.ICCID)
}

// validateICCID rejects what cannot be an ICCID before it goes into a
// path: an ICCID is digits, and some systems end it with a letter.
func validateICCID(iccid string) error {
	if iccid == "" {
		return errors.New("ICCID is empty")
	}
	if len(iccid) > maxICCIDLength {
		return fmt.Errorf("ICCID is %d characters, more than %d", len(iccid), maxICCIDLength)
	}
	for _, r := range iccid {
		if r > unicode.MaxASCII || !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return fmt.Errorf("ICCID %q contains a character other than a letter or digit", shorten(iccid))
		}
	}
	return nil
}

// placeTopUp runs POST /orders/topups once, with form fields as
// documented. A 429 is retried by the Doer; a 5xx is returned marked with
// errOutcomeUnknown.
func (c *Client) placeTopUp(ctx context.Context, req adapters.TopUpRequest, description string) (rawTopUpOrder, error) {
	fields := [][2]string{
		{"package_id", req.ProviderPackageID},
		{"iccid", req.ICCID},
		{"description", description},
	}
	var answer struct {
		Data *rawTopUpOrder `json:"data"`
	}
	err := c.authorized(ctx, request{
		method: http.MethodPost,
		path:   topUpOrdersPath,
		body:   func() (io.Reader, string, error) { return multipartBody(fields) },
		handleStatus: func(resp *http.Response) error {
			if err := unknownESIM(req.ICCID)(resp); err != nil {
				return err
			}
			return purchaseOutcomeUnknownOn5xx(resp)
		},
		handle: func(resp *http.Response) error { return readJSON(resp, "top-up response", &answer) },
	})
	if err != nil {
		return rawTopUpOrder{}, err
	}
	if answer.Data == nil || answer.Data.ID == "" {
		return rawTopUpOrder{}, badResponse("top-up response has no data.id", nil)
	}
	return *answer.Data, nil
}

// topUpResult checks a bought top-up and logs what it cost. A top-up of
// another package than requested is a CauseBadResponse.
func (c *Client) topUpResult(req adapters.TopUpRequest, bought rawTopUpOrder) (adapters.TopUpResult, error) {
	if bought.PackageID != "" && bought.PackageID != req.ProviderPackageID {
		return adapters.TopUpResult{}, fmt.Errorf("buy airalo top-up %s: %w", req.Reference, badResponse(
			fmt.Sprintf("Airalo bought package %q, not %q (order %s)", shorten(bought.PackageID), req.ProviderPackageID, bought.ID), nil))
	}
	event := c.doer.Logger.Info().Str("reference", req.Reference).Str("order_id", string(bought.ID))
	if amount, err := parseDecimal(bought.NetPrice); err == nil {
		if currency, err := currencyCode(bought.Currency); err == nil {
			event = event.Str("net_price", money.New(amount, currency).String())
		}
	}
	event.Msg("airalo top-up bought")
	return adapters.TopUpResult{ProviderReference: string(bought.ID), ICCID: req.ICCID}, nil
}

// unknownESIM returns a status handler that reports a JSON 404, Airalo's
// response to an ICCID it does not know, as a CauseRejected. A 404 page
// that is not JSON means a wrong base URL and falls through to the
// defaults.
func unknownESIM(iccid string) func(resp *http.Response) error {
	return func(resp *http.Response) error {
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(resp.Header.Get("Content-Type"), "json") {
			return nil
		}
		return &adapters.Error{
			Cause: adapters.CauseRejected,
			Message: "Airalo has no eSIM with ICCID " + iccid + ", so check the ICCID of the order (HTTP 404, " +
				httpx.Label(resp.Request) + ")",
		}
	}
}
