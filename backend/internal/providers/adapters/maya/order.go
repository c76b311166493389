package maya

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"esimscan/backend/internal/providers/adapters"
)

// maxCreateAttempts bounds the POST /esim attempts for one eSIM. Each
// retry follows a lookup that found the eSIM missing.
const maxCreateAttempts = 3

// Order buys req.Quantity eSIMs of product req.ProviderPackageID. Maya
// issues each eSIM at once, so the result is never Pending.
//
// Maya documents no idempotency key, so Order never repeats a POST /esim
// blindly. It creates one Maya customer per order, tagged with
// req.Reference, and creates each eSIM for that customer with the same
// tag. After a failure that may hide a purchase (a timeout, a lost
// connection, a 5xx, an unreadable response) it reads the customer's eSIMs
// and retries only when the eSIM is missing. A later Order with the same
// Reference on the same Client reads the customer first and buys only
// what is missing. ProviderOrderID is the customer id.
//
// The reference-to-customer link lives in this Client's memory, and Maya's
// search of customers by tag is not public. So that a new process finds
// the customer, Order reports a new customer through req.Opened before it
// creates any eSIM, and takes req.OpenedOrderID as the customer when its
// memory has none for the reference. req.OutcomeUnknownSince and
// req.Claimed are not used: a customer only ever holds one order's eSIMs.
//
// NOTE: without req.Opened the link is not kept beyond this Client, so a
// new process may buy again an order whose call failed ambiguously.
func (c *Client) Order(ctx context.Context, req adapters.OrderRequest) (adapters.OrderResult, error) {
	if err := checkOrderRequest(req); err != nil {
		return adapters.OrderResult{}, err
	}
	unlock := c.orders.lock(req.Reference)
	defer unlock()

	customerID, known := c.orders.customer(req.Reference)
	if !known && req.OpenedOrderID != "" {
		customerID, known = req.OpenedOrderID, true
		c.orders.remember(req.Reference, customerID)
	}
	var issued []adapters.ESIM
	if known {
		var err error
		if issued, err = c.customerESIMs(ctx, customerID, req.Reference); err != nil {
			return adapters.OrderResult{}, fmt.Errorf("place maya order %s: look up earlier eSIMs: %w", req.Reference, err)
		}
	} else {
		var err error
		if customerID, err = c.openCustomer(ctx, req); err != nil {
			return adapters.OrderResult{}, fmt.Errorf("place maya order %s: %w", req.Reference, err)
		}
	}

	for attempt := 1; len(issued) < req.Quantity; {
		esim, err := c.createESIM(ctx, customerID, req)
		if err == nil {
			issued = append(issued, esim)
			attempt = 1
			continue
		}
		if !mayHavePurchased(err) || attempt >= maxCreateAttempts {
			return adapters.OrderResult{}, fmt.Errorf("place maya order %s: %w", req.Reference, err)
		}
		c.logger.Warn().Err(err).Str("reference", req.Reference).Int("attempt", attempt).
			Msg("maya eSIM creation failed; looking the order up before retrying")
		if waitErr := c.waitBeforeRetry(ctx, err, attempt); waitErr != nil {
			return adapters.OrderResult{}, fmt.Errorf("place maya order %s: %w", req.Reference, err)
		}
		found, lookupErr := c.customerESIMs(ctx, customerID, req.Reference)
		if lookupErr != nil {
			return adapters.OrderResult{}, fmt.Errorf("place maya order %s: %w (look-up after it failed too: %w)",
				req.Reference, err, lookupErr)
		}
		if len(found) > len(issued) {
			issued = found // the call whose response was lost had issued the eSIM
			attempt = 1
		} else {
			attempt++ // the eSIM was not created: try again
		}
	}
	return adapters.OrderResult{ProviderOrderID: customerID, ESIMs: issued}, nil
}

// openCustomer creates the order's customer and reports it through
// req.Opened. The customer is remembered only once reported, so that a
// failed report leaves an empty customer behind and charges nothing.
func (c *Client) openCustomer(ctx context.Context, req adapters.OrderRequest) (string, error) {
	customerID, err := c.createCustomer(ctx, req.Reference)
	if err != nil {
		return "", fmt.Errorf("create customer: %w", err)
	}
	if req.Opened != nil {
		if err := req.Opened(ctx, customerID); err != nil {
			return "", fmt.Errorf("report customer %s: %w", customerID, err)
		}
	}
	c.orders.remember(req.Reference, customerID)
	return customerID, nil
}

func checkOrderRequest(req adapters.OrderRequest) error {
	switch {
	case strings.TrimSpace(req.Reference) == "":
		return errors.New("order reference is empty")
	case strings.TrimSpace(req.ProviderPackageID) == "":
		return errors.New("order package id is empty")
	case req.Quantity < 1:
		return fmt.Errorf("order quantity %d is less than 1", req.Quantity)
	}
	return nil
}

// mayHavePurchased reports whether a failed POST /esim may still have
// issued an eSIM. Rejected credentials, a wrong path and an error envelope
// mean the request was refused.
func mayHavePurchased(err error) bool {
	if errors.Is(err, errRejected) {
		return false
	}
	switch adapters.CauseOf(err) {
	case adapters.CauseCredentials, adapters.CauseNotFound:
		return false
	}
	return true
}

// waitBeforeRetry waits the provider's Retry-After when it is within the
// policy, or the policy's backoff.
func (c *Client) waitBeforeRetry(ctx context.Context, err error, attempt int) error {
	wait := c.retry.BaseDelay << (attempt - 1)
	if c.retry.MaxDelay > 0 {
		wait = min(wait, c.retry.MaxDelay)
	}
	var providerErr *adapters.Error
	if errors.As(err, &providerErr) && providerErr.RetryAfter > 0 {
		if c.retry.MaxRetryAfter > 0 && providerErr.RetryAfter > c.retry.MaxRetryAfter {
			return errors.New("retry-after beyond the policy")
		}
		wait = providerErr.RetryAfter
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// createCustomer creates the Maya customer that owns one order's eSIMs.
// A repeated creation after a lost response only leaves an empty customer,
// so the call keeps the normal retries.
//
// NOTE: the fields Maya requires for a customer are not public; public
// integrations send email, first_name, last_name, country and tag, and
// esimScan has no buyer details here.
func (c *Client) createCustomer(ctx context.Context, reference string) (string, error) {
	body, err := json.Marshal(map[string]string{
		"first_name": "esimScan",
		"last_name":  "order " + reference,
		"tag":        reference,
	})
	if err != nil {
		return "", fmt.Errorf("encode maya customer: %w", err)
	}
	data, err := c.call(ctx, request{method: http.MethodPost, path: customerPath + "/", body: body}, true, 0)
	if err != nil {
		return "", err
	}
	var answer struct {
		Customer struct {
			ID  string `json:"id"`
			UID string `json:"uid"`
		} `json:"customer"`
	}
	if err := json.Unmarshal(data, &answer); err != nil {
		return "", badResponse("customer response has an unexpected shape", err)
	}
	id := answer.Customer.ID
	if id == "" {
		id = answer.Customer.UID
	}
	if id == "" {
		return "", badResponse("customer response has no customer.id", nil)
	}
	return id, nil
}

// rawESIM is the esim object of Maya's responses, with only the fields used.
type rawESIM struct {
	ICCID          string `json:"iccid"`
	ActivationCode string `json:"activation_code"` // "LPA:1$<SM-DP+ address>$<matching id>"
	ManualCode     string `json:"manual_code"`
	SMDPAddress    string `json:"smdp_address"`
	Tag            string `json:"tag"`
}

// createESIM sends one POST /esim with the Doer's retries disabled, because
// only Order may retry, after a lookup.
func (c *Client) createESIM(ctx context.Context, customerID string, req adapters.OrderRequest) (adapters.ESIM, error) {
	body, err := json.Marshal(map[string]string{
		"plan_type_id": req.ProviderPackageID,
		"customer_id":  customerID,
		"tag":          req.Reference,
	})
	if err != nil {
		return adapters.ESIM{}, fmt.Errorf("encode maya eSIM request: %w", err)
	}
	data, err := c.call(ctx, request{method: http.MethodPost, path: esimPath, body: body}, true, 1)
	if err != nil {
		return adapters.ESIM{}, err
	}
	var answer struct {
		ESIM *rawESIM `json:"esim"`
	}
	if err := json.Unmarshal(data, &answer); err != nil || answer.ESIM == nil {
		return adapters.ESIM{}, badResponse("eSIM response has no esim object", err)
	}
	return answer.ESIM.toESIM()
}

// customerESIMs returns the customer's eSIMs tagged with reference, or all
// of them when reference is empty.
func (c *Client) customerESIMs(ctx context.Context, customerID, reference string) ([]adapters.ESIM, error) {
	path := customerPath + "/" + url.PathEscape(customerID)
	data, err := c.call(ctx, request{method: http.MethodGet, path: path}, true, 0)
	if err != nil {
		return nil, err
	}
	var answer struct {
		Customer *struct {
			ESIMs []rawESIM `json:"esims"`
		} `json:"customer"`
	}
	if err := json.Unmarshal(data, &answer); err != nil || answer.Customer == nil {
		return nil, badResponse("customer response has no customer object", err)
	}
	var esims []adapters.ESIM
	for _, raw := range answer.Customer.ESIMs {
		if reference != "" && raw.Tag != reference {
			continue
		}
		esim, err := raw.toESIM()
		if err != nil {
			return nil, err
		}
		esims = append(esims, esim)
	}
	return esims, nil
}

// QueryOrder returns the eSIMs of an order placed with Order, whose
// ProviderOrderID is a Maya customer id. Maya issues eSIMs at once, so the
// result is Pending only while the customer has none.
func (c *Client) QueryOrder(ctx context.Context, providerOrderID string) (adapters.OrderResult, error) {
	if strings.TrimSpace(providerOrderID) == "" {
		return adapters.OrderResult{}, errors.New("query maya order: customer id is empty")
	}
	esims, err := c.customerESIMs(ctx, providerOrderID, "")
	if err != nil {
		return adapters.OrderResult{}, fmt.Errorf("query maya order %s: %w", providerOrderID, err)
	}
	return adapters.OrderResult{ProviderOrderID: providerOrderID, Pending: len(esims) == 0, ESIMs: esims}, nil
}

// toESIM splits the LPA string "LPA:1$<SM-DP+>$<matching id>" from
// activation_code, or from manual_code, which one integration also reads
// as an LPA string.
func (r rawESIM) toESIM() (adapters.ESIM, error) {
	lpa := r.ActivationCode
	if !strings.HasPrefix(lpa, "LPA:") {
		lpa = r.ManualCode
	}
	parts := strings.Split(lpa, "$")
	if r.ICCID == "" || len(parts) < 3 || !strings.HasPrefix(parts[0], "LPA:") || parts[1] == "" || parts[2] == "" {
		return adapters.ESIM{}, badResponse(fmt.Sprintf(
			"eSIM %q has no ICCID or no LPA:1$<SM-DP+>$<matching id> activation code", r.ICCID), nil)
	}
	smdp := strings.TrimSpace(r.SMDPAddress)
	if smdp == "" {
		smdp = parts[1]
	}
	return adapters.ESIM{ICCID: r.ICCID, LPA: lpa, SMDPAddress: smdp, ActivationCode: parts[2]}, nil
}
