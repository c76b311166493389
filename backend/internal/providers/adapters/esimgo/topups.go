package esimgo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
)

// Paths of the top-up calls, relative to the base URL.
const (
	esimsPath  = "/esims/"            // + "{iccid}/bundles" and "{iccid}/compatible/{bundle}"
	bundlePath = "/catalogue/bundle/" // + "{bundle}"
)

// Bounds of a top-up listing: the assignments read to find the eSIM's
// bundle (eSIM Go's maximum limit), the catalogue pages read, and the
// candidates checked for compatibility, one call each.
const (
	maxAssignments      = 200
	maxTopUpPages       = 20
	maxTopUpCandidates  = 20
	maxICCIDLength      = 22 // ICCIDs have at most 20 digits, so 22 leaves room
	maxTopUpReferenceID = 200
)

var _ adapters.TopUpper = (*Client)(nil)

// appliedBundles is the response of GET /esims/{iccid}/bundles.
type appliedBundles struct {
	Bundles []struct {
		Name        string `json:"name"`
		Assignments []struct {
			AssignmentDateTime string `json:"assignmentDateTime"`
		} `json:"assignments"`
	} `json:"bundles"`
}

// ListTopUps returns the bundles that can top up one eSIM. eSIM Go has no
// list of top-ups, so the list is built from documented calls: GET
// /esims/{iccid}/bundles names the bundle the eSIM got first, GET
// /catalogue/bundle/{name} its countries, GET /catalogue?countries= the
// bundles covering exactly those countries, and GET
// /esims/{iccid}/compatible/{bundle} keeps those eSIM Go can put on this
// eSIM, because it sells some bundles on other networks. Only the first
// maxTopUpCandidates bundles are checked. Units are the catalogue's: data
// in MB, validity in days, prices in the organisation currency. An eSIM
// without bundles has no top-ups; an ICCID eSIM Go does not know is the
// provider's HTTP 400, a CauseServerError.
//
// NOTE: v2.4 documents HTTP 403 for an ICCID "not accessible by the user"
// on the compatibility check, which this adapter reports as rejected
// credentials.
func (c *Client) ListTopUps(ctx context.Context, iccid string) ([]adapters.Package, error) {
	if err := validateICCID(iccid); err != nil {
		return nil, fmt.Errorf("list esim-go top-ups: %w", err)
	}
	packages, err := c.listTopUps(ctx, iccid)
	if err != nil {
		return nil, fmt.Errorf("list esim-go top-ups of %s: %w", iccid, err)
	}
	return packages, nil
}

func (c *Client) listTopUps(ctx context.Context, iccid string) ([]adapters.Package, error) {
	name, ok, err := c.firstBundle(ctx, iccid)
	if err != nil || !ok {
		return []adapters.Package{}, err
	}

	org, err := c.organisation(ctx)
	if err != nil {
		return nil, fmt.Errorf("read organisation currency: %w", err)
	}
	base, err := c.catalogueBundle(ctx, name, org.Currency)
	if err != nil {
		return nil, err
	}
	candidates, err := c.sameCoverage(ctx, base, org.Currency)
	if err != nil {
		return nil, err
	}

	if len(candidates) > maxTopUpCandidates {
		c.doer.Logger.Warn().Str("iccid", iccid).Int("candidates", len(candidates)).
			Msg("esim-go top-up candidates beyond the limit are not listed")
		candidates = candidates[:maxTopUpCandidates]
	}
	packages := []adapters.Package{}
	for _, candidate := range candidates {
		ok, err := c.compatible(ctx, iccid, candidate.ProviderPackageID)
		if err != nil {
			return nil, err
		}
		if ok {
			packages = append(packages, candidate)
		}
	}
	return packages, nil
}

// firstBundle returns the name of the bundle with the oldest assignment on
// the eSIM, the one it was issued with, or false when it has none.
func (c *Client) firstBundle(ctx context.Context, iccid string) (string, bool, error) {
	var answer appliedBundles
	query := url.Values{"includeUsed": {"true"}, "limit": {strconv.Itoa(maxAssignments)}}
	if err := c.getJSON(ctx, esimsPath+url.PathEscape(iccid)+"/bundles", query, &answer); err != nil {
		return "", false, fmt.Errorf("list bundles applied: %w", err)
	}
	name, oldest := "", time.Time{}
	for _, bundle := range answer.Bundles {
		if bundle.Name == "" {
			continue
		}
		for _, assignment := range bundle.Assignments {
			at, err := time.Parse(time.RFC3339Nano, assignment.AssignmentDateTime)
			if err == nil && (oldest.IsZero() || at.Before(oldest)) {
				name, oldest = bundle.Name, at
			}
		}
		if name == "" {
			name = bundle.Name // no readable assignment time: the first listed
		}
	}
	return name, name != "", nil
}

// catalogueBundle reads one bundle with GET /catalogue/bundle/{name}.
func (c *Client) catalogueBundle(ctx context.Context, name, currency string) (adapters.Package, error) {
	var raw rawBundle
	if err := c.getJSON(ctx, bundlePath+url.PathEscape(name), nil, &raw); err != nil {
		return adapters.Package{}, fmt.Errorf("read bundle %s: %w", name, err)
	}
	pkg, err := raw.toPackage(currency)
	if err != nil {
		return adapters.Package{}, badResponse("bundle "+name+" of the eSIM: "+err.Error(), nil)
	}
	return pkg, nil
}

// sameCoverage returns the catalogue bundles that cover exactly the
// countries of base, in catalogue order. The catalogue's countries filter
// returns bundles whose base country is one of those listed.
func (c *Client) sameCoverage(ctx context.Context, base adapters.Package, currency string) ([]adapters.Package, error) {
	want := sortedCopy(base.Countries)
	var matching []adapters.Package
	keep := func(pkg adapters.Package) error {
		if slices.Equal(sortedCopy(pkg.Countries), want) {
			matching = append(matching, pkg)
		}
		return nil
	}
	for page := 1; page <= maxTopUpPages; page++ {
		query := url.Values{
			"countries": {strings.Join(base.Countries, ",")},
			"page":      {strconv.Itoa(page)},
			"perPage":   {strconv.Itoa(c.pageSize)},
		}
		result, err := c.catalogueQuery(ctx, query, currency, keep)
		if err != nil {
			return nil, fmt.Errorf("list catalogue of %s, page %d: %w", strings.Join(base.Countries, ","), page, err)
		}
		if lastPage(page, result, c.pageSize) {
			return matching, nil
		}
	}
	c.doer.Logger.Warn().Strs("countries", base.Countries).Int("pages", maxTopUpPages).
		Msg("esim-go top-up listing stopped at the page limit")
	return matching, nil
}

// catalogueQuery reads one catalogue page with query, as ListPackages
// does.
func (c *Client) catalogueQuery(ctx context.Context, query url.Values, currency string,
	yield func(adapters.Package) error,
) (pageResult, error) {
	var result pageResult
	err := c.doer.Do(ctx, httpx.Call{
		NewRequest:   c.newRequest(http.MethodGet, c.packageListPath, query, nil),
		HandleStatus: c.handleStatus,
		Timeout:      c.listTimeout,
		Handle: func(resp *http.Response) error {
			if err := checkJSON(resp); err != nil {
				return err
			}
			stream := &pageStream{
				resp: resp, dec: json.NewDecoder(resp.Body), label: httpx.Label(resp.Request),
				currency: currency, yield: yield,
			}
			var err error
			result, err = stream.read()
			return err
		},
	})
	return result, err
}

// compatible checks with GET /esims/{iccid}/compatible/{bundle} whether
// the bundle can go on the eSIM. v2.4 returns {"compatible": bool}.
func (c *Client) compatible(ctx context.Context, iccid, bundle string) (bool, error) {
	var answer struct {
		Compatible *bool `json:"compatible"`
	}
	path := esimsPath + url.PathEscape(iccid) + "/compatible/" + url.PathEscape(bundle)
	if err := c.getJSON(ctx, path, nil, &answer); err != nil {
		return false, fmt.Errorf("check bundle %s: %w", bundle, err)
	}
	if answer.Compatible == nil {
		return false, badResponse("compatibility check of bundle "+bundle+" has no compatible field", nil)
	}
	return *answer.Compatible, nil
}

func sortedCopy(values []string) []string {
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	return sorted
}

// topUpBody is a POST /orders body that puts one bundle on an existing
// eSIM: assign true with the eSIM's ICCID, and allowReassign false, so
// that an incompatible bundle fails instead of going on a new eSIM.
func topUpBody(kind string, req adapters.TopUpRequest) orderBody {
	return orderBody{
		Type:   kind,
		Assign: true,
		Order: []orderLine{{
			Type: "bundle", Quantity: 1, Item: req.ProviderPackageID, ICCIDs: []string{req.ICCID},
		}},
	}
}

// TopUp puts a bundle on an issued eSIM with POST /orders, type
// "transaction", assign true and the eSIM's ICCID in iccids.
//
// eSIM Go has no idempotency key and keeps no client reference on an
// order, so the client keeps req.Reference from charging twice, as Order
// does:
//
//   - TopUp calls for one reference run one at a time, and a reference
//     that already bought returns the same result without a call.
//   - The top-up is priced with type "validate" first, which charges
//     nothing. A non-zero req.Wholesale fails it when eSIM Go now charges
//     more or in another currency.
//   - The transaction is repeated only after a 429, which eSIM Go returns
//     before processing. Any other failure that may have reached eSIM Go
//     (a timeout, a dropped connection, a 5xx, an unreadable response) is
//     followed by one lookup in GET /orders. An order created since the
//     call started, of this bundle on this ICCID and claimed by no other
//     reference, is taken as this top-up. When none is listed yet, the
//     call returns the error without buying again.
//   - A later call with that reference looks the orders up first, and
//     buys only when none is listed. So does the first call of this
//     client for a reference with req.OutcomeUnknownSince set, as after a
//     restart, skipping orders that req.Claimed reports as another
//     order's.
func (c *Client) TopUp(ctx context.Context, req adapters.TopUpRequest) (adapters.TopUpResult, error) {
	if err := validateTopUpRequest(req); err != nil {
		return adapters.TopUpResult{}, fmt.Errorf("top up esim-go eSIM: %w", err)
	}
	unlock, err := c.orders.lock(ctx, req.Reference)
	if err != nil {
		return adapters.TopUpResult{}, fmt.Errorf("top up esim-go eSIM %s (%s): %w", req.ICCID, req.Reference, &adapters.Error{
			Cause:   adapters.CauseTimeout,
			Message: "call ended while an earlier call with the same reference was running",
			Err:     err,
		})
	}
	defer unlock()

	result, err := c.topUp(ctx, req)
	if err != nil {
		return adapters.TopUpResult{}, fmt.Errorf("top up esim-go eSIM %s (%s): %w", req.ICCID, req.Reference, err)
	}
	return result, nil
}

func (c *Client) topUp(ctx context.Context, req adapters.TopUpRequest) (adapters.TopUpResult, error) {
	if placed, ok := c.orders.result(req.Reference); ok {
		return topUpResultOf(placed, req.ICCID), nil
	}
	c.adoptUnknownOutcome(req.Reference, req.OutcomeUnknownSince)
	if since, ok := c.orders.unsettledSince(req.Reference); ok {
		found, ok, err := c.findTopUp(ctx, req, since)
		if err != nil {
			return adapters.TopUpResult{}, unknownOutcome(err)
		}
		if ok {
			return found, nil
		}
	}
	if err := c.validateTopUp(ctx, req); err != nil {
		return adapters.TopUpResult{}, err
	}
	return c.buyTopUp(ctx, req)
}

func validateTopUpRequest(req adapters.TopUpRequest) error {
	switch {
	case strings.TrimSpace(req.Reference) == "":
		return errors.New("top-up reference is empty")
	case len(req.Reference) > maxTopUpReferenceID:
		return fmt.Errorf("top-up reference is %d bytes, more than %d", len(req.Reference), maxTopUpReferenceID)
	case req.ProviderPackageID == "":
		return errors.New("top-up bundle name is empty")
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
			return errors.New("ICCID contains a character other than a letter or digit")
		}
	}
	return nil
}

// validateTopUp prices the top-up without charging it. Validation may be
// retried freely.
func (c *Client) validateTopUp(ctx context.Context, req adapters.TopUpRequest) error {
	answer, err := c.postOrder(ctx, topUpBody("validate", req), 0)
	if err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	if answer.Valid == nil || !*answer.Valid {
		return &adapters.Error{
			Cause:   adapters.CauseServerError,
			Message: "provider reports the top-up as not valid: " + c.redact(answer.StatusMessage),
		}
	}
	if req.Wholesale.Amount == 0 {
		return nil
	}
	unit, err := answer.unitPrice(1)
	if err != nil {
		return badResponse("validated top-up has no readable price", err)
	}
	if currency := strings.ToUpper(answer.Currency); currency != "" && currency != req.Wholesale.Currency {
		return &adapters.Error{Cause: adapters.CauseServerError, Message: fmt.Sprintf(
			"bundle %s is now priced in %s, not %s", req.ProviderPackageID, currency, req.Wholesale.Currency)}
	}
	if unit > req.Wholesale.Amount {
		return &adapters.Error{Cause: adapters.CauseServerError, Message: fmt.Sprintf(
			"wholesale price of bundle %s rose from %s to %s", req.ProviderPackageID, req.Wholesale.Amount, unit)}
	}
	return nil
}

// buyTopUp runs the transaction, repeating it only after a 429, and looks
// the order up once after a failure that may have bought it.
func (c *Client) buyTopUp(ctx context.Context, req adapters.TopUpRequest) (adapters.TopUpResult, error) {
	for attempt := 1; ; attempt++ {
		started := c.now().Add(-lookupSlack)
		answer, err := c.postOrder(ctx, topUpBody("transaction", req), 1)
		if err == nil {
			result, ok := answer.topUpResult(req)
			if ok {
				c.settleTopUp(req, result)
				return result, nil
			}
			err = badResponse("top-up response has no orderReference or no line of bundle "+req.ProviderPackageID, nil)
		}
		rateLimited := adapters.CauseOf(err) == adapters.CauseRateLimited
		if rateLimited && attempt < c.orderAttempts {
			wait := retryWait(c.doer.Retry, attempt, err)
			c.doer.Logger.Warn().Str("reference", req.Reference).Int("attempt", attempt).Dur("wait", wait).
				Msg("esim-go top-up rate limited, retrying")
			if err := sleep(ctx, wait); err != nil {
				return adapters.TopUpResult{}, httpx.ClassifyTransport(err, "waiting to retry the top-up", wait)
			}
			continue
		}
		if rateLimited || !mayHavePlaced(err) {
			return adapters.TopUpResult{}, err
		}
		return c.recoverTopUp(ctx, req, started, err)
	}
}

// recoverTopUp looks up a top-up whose transaction failed with an unknown
// outcome, and never buys again.
func (c *Client) recoverTopUp(ctx context.Context, req adapters.TopUpRequest, since time.Time, failure error) (adapters.TopUpResult, error) {
	c.orders.markUnsettled(req.Reference, since)
	c.doer.Logger.Warn().Err(failure).Str("reference", req.Reference).
		Msg("esim-go top-up failed with unknown outcome, looking it up")
	if ctx.Err() != nil {
		return adapters.TopUpResult{}, unknownOutcome(failure)
	}
	found, ok, err := c.findTopUp(ctx, req, since)
	switch {
	case err != nil:
		return adapters.TopUpResult{}, unknownOutcome(fmt.Errorf("%w (and the lookup failed: %v)", failure, err))
	case ok:
		return found, nil
	}
	return adapters.TopUpResult{}, unknownOutcome(fmt.Errorf("%w (no top-up of this eSIM is listed yet)", failure))
}

// topUpResult reads a transaction response. The ICCID is the one eSIM Go
// names for the line, which the caller compares with the requested one.
func (a orderResponse) topUpResult(req adapters.TopUpRequest) (adapters.TopUpResult, bool) {
	if a.OrderReference == "" {
		return adapters.TopUpResult{}, false
	}
	for _, line := range a.Order {
		if line.Item != req.ProviderPackageID {
			continue
		}
		iccids := lineICCIDs(line.ICCIDs, line.ESIMs)
		result := adapters.TopUpResult{ProviderReference: a.OrderReference, ICCID: req.ICCID}
		if len(iccids) > 0 && !slices.Contains(iccids, req.ICCID) {
			result.ICCID = iccids[0]
		}
		return result, true
	}
	return adapters.TopUpResult{}, false
}

func lineICCIDs(iccids []string, esims []rawESIM) []string {
	all := slices.Clone(iccids)
	for _, esim := range esims {
		if esim.ICCID != "" && !slices.Contains(all, esim.ICCID) {
			all = append(all, esim.ICCID)
		}
	}
	return all
}

// settleTopUp records the order bought for req.Reference, in the same
// book as orders, so that neither lookup takes the other's order.
func (c *Client) settleTopUp(req adapters.TopUpRequest, result adapters.TopUpResult) {
	c.orders.settle(req.Reference, adapters.OrderResult{
		ProviderOrderID: result.ProviderReference,
		ESIMs:           []adapters.ESIM{{ICCID: result.ICCID}},
	})
	c.doer.Logger.Info().Str("reference", req.Reference).Str("provider_order_id", result.ProviderReference).
		Str("bundle", req.ProviderPackageID).Msg("esim-go top-up bought")
}

func topUpResultOf(placed adapters.OrderResult, iccid string) adapters.TopUpResult {
	result := adapters.TopUpResult{ProviderReference: placed.ProviderOrderID, ICCID: iccid}
	if len(placed.ESIMs) > 0 && placed.ESIMs[0].ICCID != "" {
		result.ICCID = placed.ESIMs[0].ICCID
	}
	return result
}

// findTopUp looks for an order that a call for req may have bought: one
// line of req's bundle, quantity 1, on req.ICCID, created at or after
// since, not failed, and claimed neither by another reference of this
// client nor, according to req.Claimed, by another order. The earliest
// such order wins and is recorded for req.Reference.
//
// NOTE: a top-up of the same bundle on the same eSIM placed in that window
// by another program on the same eSIM Go account would be taken as this
// one.
func (c *Client) findTopUp(ctx context.Context, req adapters.TopUpRequest, since time.Time) (adapters.TopUpResult, bool, error) {
	best, err := c.earliestUnclaimed(ctx, since, req.Claimed, func(candidate *orderResponse) (time.Time, bool) {
		return c.matchesTopUp(candidate, req, since)
	})
	if err != nil {
		return adapters.TopUpResult{}, false, err
	}
	if best == nil {
		return adapters.TopUpResult{}, false, nil
	}
	result := adapters.TopUpResult{ProviderReference: best.OrderReference, ICCID: req.ICCID}
	c.settleTopUp(req, result)
	return result, true, nil
}

// matchesTopUp reports whether order may be the top-up bought for req,
// and when it was created.
func (c *Client) matchesTopUp(order *orderResponse, req adapters.TopUpRequest, since time.Time) (time.Time, bool) {
	if order.OrderReference == "" || len(order.Order) != 1 {
		return time.Time{}, false
	}
	line := order.Order[0]
	if line.Item != req.ProviderPackageID || line.Quantity != 1 ||
		!slices.Contains(lineICCIDs(line.ICCIDs, line.ESIMs), req.ICCID) {
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
