package esimaccess

import (
	"strings"

	"esimscan/backend/internal/providers/adapters"
)

// rejectionAdvice maps eSIM Access's business error codes, which reject a
// request it understood, to what an admin does about each. eSIM Access
// publishes these codes with the errors of its Open API v1.
var rejectionAdvice = map[string]string{
	"200002": "the order's status at eSIM Access does not allow this, so check the order in the eSIM Access console",
	"200005": "the package price changed, so sync the catalog, then retry the order",
	"200006": "the order total no longer matches the package price, so sync the catalog, then retry the order",
	"200007": "top up the merchant balance at eSIM Access, then retry the order",
	"200008": "check the package and the quantity of the order, then retry it",
	"200009": "the order's status at eSIM Access is abnormal, so check the order in the eSIM Access console",
	"200011": "eSIM Access has no profiles left for this package, so wait until it is restocked or withdraw the package, then retry or refund the order",
	"310241": "the package no longer exists at eSIM Access, so sync the catalog, then refund the order or retry it",
	"310243": "the package no longer exists at eSIM Access, so sync the catalog, then refund the order or retry it",
	"310272": "eSIM Access does not know this order number, so check the order in the eSIM Access console",
	"310403": "the ICCID is not part of this order at eSIM Access, so check the eSIM in the eSIM Access console",
}

// rejected returns the CauseRejected error of a business error code, and
// false for any other code.
func (c *Client) rejected(code, providerMessage, label string) (*adapters.Error, bool) {
	advice, ok := rejectionAdvice[code]
	if !ok {
		return nil, false
	}
	refusal := "code " + code
	if text := c.redact(providerMessage); text != "" {
		refusal += ` "` + text + `"`
	}
	return &adapters.Error{
		Cause:   adapters.CauseRejected,
		Message: "esim-access refused " + subjectOf(label) + " with " + refusal + ". " + capitalize(advice) + " (" + label + ")",
	}, true
}

// subjectOf names what a call asked for, from its "METHOD /path" label.
func subjectOf(label string) string {
	_, path, _ := strings.Cut(label, " ")
	switch path {
	case orderPath:
		return "the order"
	case queryPath:
		return "the order query"
	case topUpPath:
		return "the top-up"
	}
	return "the request"
}

func capitalize(text string) string {
	if text == "" {
		return text
	}
	return strings.ToUpper(text[:1]) + text[1:]
}
