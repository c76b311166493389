package esimgo

import (
	"fmt"
	"net/http"
	"strings"

	"esimscan/backend/internal/providers/adapters"
)

// rejection returns the CauseRejected error of a 4xx response that eSIM
// Go sends for a request it refuses, with the provider's message and
// advice picked from that message.
//
// NOTE: eSIM Go publishes no error codes, only {"message"} with HTTP 400,
// so the advice follows words of the message ("balance", "not found") and
// may be generic for a message worded otherwise.
func rejection(status int, label, message string) *adapters.Error {
	refusal := fmt.Sprintf("with HTTP %d", status)
	if message != "" {
		refusal += ` "` + message + `"`
	}
	subject := subjectOf(label)
	return &adapters.Error{
		Cause: adapters.CauseRejected,
		Message: fmt.Sprintf("esim-go refused %s %s. %s (%s)",
			subject, refusal, adviceFor(subject, message), label),
		Err: errRejected,
	}
}

// adviceFor returns what an admin does about a refusal of subject with
// message.
func adviceFor(subject, message string) string {
	lower := strings.ToLower(message)
	switch {
	case strings.Contains(lower, "balance"), strings.Contains(lower, "credit"), strings.Contains(lower, "funds"):
		return "Top up the eSIM Go organisation balance, then retry the order"
	case subject == "the order query":
		return "Check the order in the eSIM Go portal"
	case strings.Contains(lower, "compatible"):
		return "The bundle does not fit this eSIM, so refund the order or choose a compatible top-up"
	case strings.Contains(lower, "not found"):
		return "Check that the bundle or eSIM named is still available to this organisation " +
			"(sync the catalog), then refund the order or retry it"
	}
	return "Check the bundle and the quantity of the order, then retry it"
}

// subjectOf names what a call asked for, from its "METHOD /path" label.
func subjectOf(label string) string {
	method, path, _ := strings.Cut(label, " ")
	switch {
	case method == http.MethodPost && strings.HasSuffix(path, ordersPath):
		return "the order"
	case strings.HasSuffix(path, assignmentsPath):
		return "the order query"
	}
	return "the request"
}
