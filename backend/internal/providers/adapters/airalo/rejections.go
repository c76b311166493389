package airalo

import (
	"fmt"
	"net/http"
	"strings"

	"esimscan/backend/internal/providers/adapters"
)

// rejectionAdvice maps Airalo's numeric business error codes, which come
// with HTTP 422, to what an admin does about each. Airalo's "Error
// handling" page lists them. Codes 13 (operator under maintenance) and 53
// (unexpected error) are left out because Airalo's documentation says to try again later,
// so they stay retryable server errors.
var rejectionAdvice = map[string]string{
	"11": "top up the Airalo credit, then retry the order",
	"14": "check the ICCID or the value named in the reason, then retry the order",
	"23": "the operator disabled this top-up, so refund the order",
	"33": "Airalo has too few eSIMs of this package in stock, so wait until it is restocked, then retry or refund the order",
	"34": "the package is invalid or out of stock at Airalo, so sync the catalog, then refund the order or retry it",
	"43": "check the package and the quantity of the order, then retry it",
	"73": "the eSIM was recycled and can no longer be used or topped up, so refund the order",
}

// validationAdvice is the advice for a 422 that lists invalid fields
// instead of a business code, such as an unknown package or a quantity
// larger than the stock.
const validationAdvice = "check the package and the quantity of the order, then retry it"

// rejection returns the CauseRejected error of a 400 or 422 that carries a
// business code of rejectionAdvice or validation messages, and false for
// any other failure.
//
// NOTE: Airalo does not publish the body of a business error, so
// {"code", "reason"} is our reading of its error page.
func (c *Client) rejection(status int, label string, body errorBody) (*adapters.Error, bool) {
	if status != http.StatusUnprocessableEntity && status != http.StatusBadRequest {
		return nil, false
	}
	var refusal, advice string
	fields := body.fieldMessages()
	switch {
	case body.Code != "":
		var ok bool
		if advice, ok = rejectionAdvice[string(body.Code)]; !ok {
			return nil, false
		}
		refusal = "with code " + string(body.Code)
		if body.Reason != "" {
			refusal += ` "` + c.redact(body.Reason) + `"`
		}
	case len(fields) > 0:
		refusal, advice = `with "`+c.redact(strings.Join(fields, "; "))+`"`, validationAdvice
	default:
		return nil, false
	}
	return &adapters.Error{
		Cause: adapters.CauseRejected,
		Message: fmt.Sprintf("airalo refused %s %s. %s (HTTP %d, %s)",
			subjectOf(label), refusal, capitalize(advice), status, label),
	}, true
}

// subjectOf names what a call asked for, from its "METHOD /path" label.
func subjectOf(label string) string {
	method, path, _ := strings.Cut(label, " ")
	switch {
	case method == http.MethodPost && strings.HasSuffix(path, topUpOrdersPath):
		return "the top-up"
	case method == http.MethodPost && strings.HasSuffix(path, ordersPath):
		return "the order"
	case strings.HasSuffix(path, "/topups"):
		return "the top-up list"
	}
	return "the request"
}

func capitalize(text string) string {
	if text == "" {
		return text
	}
	return strings.ToUpper(text[:1]) + text[1:]
}
