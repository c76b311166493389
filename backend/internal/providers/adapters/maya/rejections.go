package maya

import (
	"fmt"
	"net/http"
	"strings"

	"esimscan/backend/internal/providers/adapters"
)

// rejection returns the CauseRejected error of an error envelope, with
// Maya's messages and advice picked from them. httpStatus is the HTTP
// status of the response, 0 for an error envelope sent with a 2xx.
//
// NOTE: Maya's error codes and texts are not public, so the advice follows
// words of the messages ("balance", "not found") and may be generic for a
// refusal worded otherwise.
func (c *Client) rejection(env envelope, httpStatus int, label string) *adapters.Error {
	detail := c.describe(env)
	where := label
	if httpStatus != 0 {
		where = fmt.Sprintf("HTTP %d, %s", httpStatus, label)
	}
	subject := subjectOf(label)
	return &adapters.Error{
		Cause: adapters.CauseRejected,
		Message: fmt.Sprintf(`maya refused %s with "%s". %s (%s)`,
			subject, detail, adviceFor(subject, detail), where),
		Err: errRejected,
	}
}

// adviceFor returns what an admin does about a refusal of subject described
// by detail.
func adviceFor(subject, detail string) string {
	lower := strings.ToLower(detail)
	switch {
	case strings.Contains(lower, "balance"), strings.Contains(lower, "credit"), strings.Contains(lower, "funds"):
		return "Top up the Maya account balance, then retry the order"
	case subject == "the order query":
		return "Check the order's customer and eSIMs in the Maya dashboard"
	case strings.Contains(lower, "not found"):
		return "Check that the product, eSIM or customer named is still available to this account " +
			"(sync the catalog), then refund the order or retry it"
	}
	return "Check the product and the order in the Maya dashboard, then retry the order"
}

// subjectOf names what a call asked for, from its "METHOD /path" label.
func subjectOf(label string) string {
	method, path, _ := strings.Cut(label, " ")
	switch {
	case method == http.MethodPost && strings.HasSuffix(path, esimPath):
		return "the order"
	case method == http.MethodPost && strings.HasSuffix(path, customerPath):
		return "the order's customer"
	case method == http.MethodPost && strings.Contains(path, "/plan/"):
		return "the top-up"
	case method == http.MethodGet && strings.Contains(path, customerPath+"/"):
		return "the order query"
	}
	return "the request"
}
