package esimgo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/httpx"
	"esimscan/backend/money"
)

// lookupSlack widens the createdAt window of an order lookup, so that a
// provider clock behind this server's still finds the order.
const lookupSlack = 2 * time.Minute

type orderLine struct {
	Type          string   `json:"type"`
	Quantity      int      `json:"quantity"`
	Item          string   `json:"item"`
	ICCIDs        []string `json:"iccids,omitempty"` // existing eSIMs to top up
	AllowReassign bool     `json:"allowReassign"`
}

type orderBody struct {
	Type   string      `json:"type"` // "validate" or "transaction"
	Assign bool        `json:"assign"`
	Order  []orderLine `json:"order"`
}

// orderResponse is the response of POST /orders and one order of GET
// /orders.
type orderResponse struct {
	Order []struct {
		ESIMs        []rawESIM    `json:"esims"`
		ICCIDs       []string     `json:"iccids"` // the eSIMs the bundle went on, top-ups included
		Item         string       `json:"item"`
		Quantity     int          `json:"quantity"`
		PricePerUnit *json.Number `json:"pricePerUnit"`
		SubTotal     *json.Number `json:"subTotal"`
	} `json:"order"`
	Total          *json.Number `json:"total"`
	Valid          *bool        `json:"valid"`
	Currency       string       `json:"currency"`
	Status         string       `json:"status"`
	StatusMessage  string       `json:"statusMessage"`
	OrderReference string       `json:"orderReference"`
	CreatedDate    string       `json:"createdDate"`
}

// Order buys req.Quantity new eSIMs, each with the bundle
// req.ProviderPackageID. eSIM Go has no idempotency key and stores no
// client reference on an order, so the client itself keeps
// req.Reference from buying twice:
//
//   - Order calls for one reference run one at a time, and a reference
//     that already bought returns the same result.
//   - The order is priced with type "validate" first, which charges
//     nothing. A non-zero req.Wholesale fails the order when eSIM Go now
//     charges more per eSIM or in another currency.
//   - The "transaction" call is never repeated blindly. After a failure
//     that may have reached eSIM Go (a timeout, a dropped connection, a 5xx
//     or an unreadable response), GET /orders lists the orders created since
//     the first attempt, and an order of the same bundle and quantity not
//     bought for another reference is taken as this one. Only when none is
//     found is the transaction tried again.
//   - A later Order call with a reference whose outcome stayed unknown
//     looks the order up before anything else. So does the first call of
//     this client for a reference with req.OutcomeUnknownSince set, as
//     after a restart: it looks up orders created since then, less
//     lookupSlack, and skips those req.Claimed reports as another
//     order's.
//
// The response carries the eSIMs at once. When it does not, the result is
// Pending and QueryOrder reads them by the provider's orderReference.
func (c *Client) Order(ctx context.Context, req adapters.OrderRequest) (adapters.OrderResult, error) {
	if err := checkOrderRequest(req); err != nil {
		return adapters.OrderResult{}, err
	}
	unlock, err := c.orders.lock(ctx, req.Reference)
	if err != nil {
		return adapters.OrderResult{}, fmt.Errorf("place esim-go order %s: %w", req.Reference, &adapters.Error{
			Cause:   adapters.CauseTimeout,
			Message: "call ended while an earlier order call with the same reference was running",
			Err:     err,
		})
	}
	defer unlock()

	result, err := c.order(ctx, req)
	if err != nil {
		return adapters.OrderResult{}, fmt.Errorf("place esim-go order %s: %w", req.Reference, err)
	}
	return result, nil
}

func (c *Client) order(ctx context.Context, req adapters.OrderRequest) (adapters.OrderResult, error) {
	if result, ok := c.orders.result(req.Reference); ok {
		return result, nil
	}
	c.adoptUnknownOutcome(req.Reference, req.OutcomeUnknownSince)
	if since, ok := c.orders.unsettledSince(req.Reference); ok {
		result, found, err := c.findOrder(ctx, req, since)
		if err != nil {
			return adapters.OrderResult{}, unknownOutcome(err)
		}
		if found {
			return result, nil
		}
	}
	if err := c.validateOrder(ctx, req); err != nil {
		return adapters.OrderResult{}, err
	}
	return c.transactWithRecovery(ctx, req)
}

func checkOrderRequest(req adapters.OrderRequest) error {
	switch {
	case strings.TrimSpace(req.Reference) == "":
		return errors.New("place esim-go order: reference is empty")
	case req.ProviderPackageID == "":
		return errors.New("place esim-go order: bundle name is empty")
	case req.Quantity < 1:
		return fmt.Errorf("place esim-go order: quantity %d is less than 1", req.Quantity)
	}
	return nil
}

// transactWithRecovery runs the transaction at most c.orderAttempts times,
// looking the order up before each retry that follows a failure which may
// have bought it.
func (c *Client) transactWithRecovery(ctx context.Context, req adapters.OrderRequest) (adapters.OrderResult, error) {
	for attempt := 1; ; attempt++ {
		started := c.now().Add(-lookupSlack)
		result, err := c.transact(ctx, req)
		if err == nil {
			c.orders.settle(req.Reference, result)
			return result, nil
		}
		// A 429 is returned before the order is processed, so it is retried
		// without a lookup.
		rateLimited := adapters.CauseOf(err) == adapters.CauseRateLimited
		if !rateLimited && !mayHavePlaced(err) {
			return adapters.OrderResult{}, c.finalError(req.Reference, err)
		}
		if !rateLimited {
			c.orders.markUnsettled(req.Reference, started)
		}
		if attempt >= c.orderAttempts {
			return adapters.OrderResult{}, c.finalError(req.Reference, err)
		}

		wait := retryWait(c.doer.Retry, attempt, err)
		c.doer.Logger.Warn().
			Str("reference", req.Reference).
			Str("cause", string(adapters.CauseOf(err))).
			Int("attempt", attempt).
			Dur("wait", wait).
			Msg("esim-go order failed, looking it up before retrying")
		if err := sleep(ctx, wait); err != nil {
			return adapters.OrderResult{}, c.finalError(req.Reference,
				httpx.ClassifyTransport(err, "waiting to retry the order", wait))
		}
		since, unsettled := c.orders.unsettledSince(req.Reference)
		if !unsettled {
			continue
		}
		result, found, lookupErr := c.findOrder(ctx, req, since)
		if lookupErr != nil {
			return adapters.OrderResult{}, unknownOutcome(lookupErr)
		}
		if found {
			return result, nil
		}
	}
}

// adoptUnknownOutcome records the unknown outcome that the caller kept
// durably for reference, since, when this is the client's first call for
// reference. Later calls rely on the client's own memory.
func (c *Client) adoptUnknownOutcome(reference string, since time.Time) {
	if c.orders.noteCall(reference) && !since.IsZero() {
		c.orders.markUnsettled(reference, since.Add(-lookupSlack))
	}
}

// claimedElsewhere calls claimed, when the caller set it, whether another
// esimScan order recorded the provider order. The caller's error is
// returned wrapped, so the caller can tell it from a provider failure.
func claimedElsewhere(
	ctx context.Context,
	claimed func(context.Context, string) (bool, error),
	providerOrderID string,
) (bool, error) {
	if claimed == nil {
		return false, nil
	}
	taken, err := claimed(ctx, providerOrderID)
	if err != nil {
		return false, fmt.Errorf("check whether order %s is claimed: %w", providerOrderID, err)
	}
	return taken, nil
}

// finalError marks err as an unknown outcome when any call for reference
// may have bought the order.
func (c *Client) finalError(reference string, err error) error {
	if _, unsettled := c.orders.unsettledSince(reference); unsettled {
		return unknownOutcome(err)
	}
	return err
}

// mayHavePlaced reports whether a failed transaction may have bought the
// order: everything except a 4xx rejection, a refused or unresolvable
// connection and a request that was never built.
func mayHavePlaced(err error) bool {
	var providerErr *adapters.Error
	if !errors.As(err, &providerErr) {
		return false
	}
	if errors.Is(err, errRejected) {
		return false
	}
	if providerErr.Cause == adapters.CauseUnreachable {
		var dnsErr *net.DNSError
		return !errors.Is(err, syscall.ECONNREFUSED) && !errors.As(err, &dnsErr)
	}
	return true
}

// retryWait returns the wait before the next transaction: the provider's
// Retry-After after a 429, the policy's backoff otherwise.
func retryWait(policy httpx.RetryPolicy, attempt int, err error) time.Duration {
	var providerErr *adapters.Error
	if errors.As(err, &providerErr) && providerErr.RetryAfter > 0 {
		return providerErr.RetryAfter
	}
	wait := max(policy.BaseDelay, 0)
	for i := 1; i < attempt; i++ {
		wait *= 2
	}
	if policy.MaxDelay > 0 {
		wait = min(wait, policy.MaxDelay)
	}
	return wait
}

// unknownOutcome marks an order failure after which the order may exist at
// eSIM Go.
func unknownOutcome(err error) error {
	return fmt.Errorf("order outcome unknown, a later call with the same reference looks it up first: %w", err)
}

func (c *Client) postOrder(ctx context.Context, body orderBody, maxAttempts int) (orderResponse, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return orderResponse{}, fmt.Errorf("encode esim-go %s order: %w", body.Type, err)
	}
	var answer orderResponse
	err = c.doer.Do(ctx, httpx.Call{
		NewRequest:   c.newRequest(http.MethodPost, ordersPath, nil, data),
		HandleStatus: c.handleStatus,
		MaxAttempts:  maxAttempts,
		Handle: func(resp *http.Response) error {
			return c.decodeResponse(resp, &answer)
		},
	})
	return answer, err
}

func newOrderBody(kind string, req adapters.OrderRequest) orderBody {
	return orderBody{
		Type:   kind,
		Assign: true, // no iccids: each bundle goes on a new eSIM
		Order:  []orderLine{{Type: "bundle", Quantity: req.Quantity, Item: req.ProviderPackageID}},
	}
}

// validateOrder prices the order without charging it. Validation may be
// retried freely.
func (c *Client) validateOrder(ctx context.Context, req adapters.OrderRequest) error {
	answer, err := c.postOrder(ctx, newOrderBody("validate", req), 0)
	if err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	if answer.Valid == nil || !*answer.Valid {
		// eSIM Go validates with the same checks as a purchase, balance
		// included, and reports a failed check in statusMessage.
		message := c.redact(answer.StatusMessage)
		return &adapters.Error{
			Cause: adapters.CauseRejected,
			Message: fmt.Sprintf(`esim-go refused the order as not valid: "%s". %s`,
				message, adviceFor("the order", message)),
		}
	}
	if req.Wholesale.Amount == 0 {
		return nil
	}
	unit, err := answer.unitPrice(req.Quantity)
	if err != nil {
		return badResponse("validated order has no readable price", err)
	}
	currency := strings.ToUpper(answer.Currency)
	if currency != "" && currency != req.Wholesale.Currency {
		return &adapters.Error{Cause: adapters.CauseServerError, Message: fmt.Sprintf(
			"bundle %s is now priced in %s, not %s: sync the catalog", req.ProviderPackageID, currency, req.Wholesale.Currency)}
	}
	if unit > req.Wholesale.Amount {
		return &adapters.Error{Cause: adapters.CauseServerError, Message: fmt.Sprintf(
			"wholesale price of bundle %s rose from %s to %s: sync the catalog",
			req.ProviderPackageID, req.Wholesale.Amount, unit)}
	}
	return nil
}

// unitPrice returns order[0].pricePerUnit, or total divided by quantity.
func (a orderResponse) unitPrice(quantity int) (money.Amount, error) {
	if len(a.Order) > 0 && a.Order[0].PricePerUnit != nil {
		return parseAmount(*a.Order[0].PricePerUnit)
	}
	if a.Total == nil {
		return 0, errors.New("neither pricePerUnit nor total is present")
	}
	total, err := parseAmount(*a.Total)
	if err != nil {
		return 0, err
	}
	return total / money.Amount(quantity), nil
}

// transact runs the charging call once: the Doer must not repeat it.
func (c *Client) transact(ctx context.Context, req adapters.OrderRequest) (adapters.OrderResult, error) {
	answer, err := c.postOrder(ctx, newOrderBody("transaction", req), 1)
	if err != nil {
		return adapters.OrderResult{}, err
	}
	if answer.OrderReference == "" {
		return adapters.OrderResult{}, badResponse("order response has no orderReference", nil)
	}
	return answer.result(req.Quantity)
}

// result converts an order to an OrderResult. It is Pending while fewer
// eSIMs than ordered are listed.
func (a orderResponse) result(quantity int) (adapters.OrderResult, error) {
	result := adapters.OrderResult{ProviderOrderID: a.OrderReference}
	for _, line := range a.Order {
		for _, raw := range line.ESIMs {
			esim, err := raw.toESIM()
			if err != nil {
				return adapters.OrderResult{}, err
			}
			result.ESIMs = append(result.ESIMs, esim)
		}
	}
	if len(result.ESIMs) < quantity {
		result.Pending = true
		result.ESIMs = nil
	}
	return result, nil
}

// sleep waits for d or until ctx ends, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
