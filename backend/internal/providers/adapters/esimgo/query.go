package esimgo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"esimscan/backend/internal/providers/adapters"
)

// rawESIM is one eSIM of an order response or of GET /esims/assignments.
type rawESIM struct {
	ICCID       string `json:"iccid"`
	MatchingID  string `json:"matchingId"`
	SMDPAddress string `json:"smdpAddress"`
	RSPURL      string `json:"rspUrl"` // the LPA string, when present
}

// toESIM builds the LPA string "LPA:1$<SM-DP+>$<matching id>" when rspUrl
// is absent, and reads the address and matching id from rspUrl when only
// it is present.
func (r rawESIM) toESIM() (adapters.ESIM, error) {
	smdp, matching := strings.TrimSpace(r.SMDPAddress), strings.TrimSpace(r.MatchingID)
	lpa := strings.TrimSpace(r.RSPURL)
	if parts := strings.Split(lpa, "$"); len(parts) >= 3 && strings.HasPrefix(parts[0], "LPA:") {
		if smdp == "" {
			smdp = parts[1]
		}
		if matching == "" {
			matching = parts[2]
		}
	} else {
		lpa = ""
	}
	if r.ICCID == "" || smdp == "" || matching == "" {
		return adapters.ESIM{}, badResponse(fmt.Sprintf(
			"eSIM %q has no ICCID, SM-DP+ address or matching id", r.ICCID), nil)
	}
	if lpa == "" {
		lpa = "LPA:1$" + smdp + "$" + matching
	}
	return adapters.ESIM{ICCID: r.ICCID, LPA: lpa, SMDPAddress: smdp, ActivationCode: matching}, nil
}

// assignments is the JSON response of GET /esims/assignments: an array of
// eSIMs, or an object holding them in "esims".
type assignments []rawESIM

func (a *assignments) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		return json.Unmarshal(data, (*[]rawESIM)(a))
	}
	var object struct {
		ESIMs []rawESIM `json:"esims"`
	}
	if err := json.Unmarshal(data, &object); err != nil {
		return err
	}
	*a = object.ESIMs
	return nil
}

// QueryOrder returns the eSIMs of an order by its orderReference, read
// from GET /esims/assignments as JSON (the endpoint returns CSV unless
// asked otherwise). No eSIM yet means Pending.
func (c *Client) QueryOrder(ctx context.Context, providerOrderID string) (adapters.OrderResult, error) {
	if strings.TrimSpace(providerOrderID) == "" {
		return adapters.OrderResult{}, errors.New("query esim-go order: order reference is empty")
	}
	var answer assignments
	query := url.Values{"reference": {providerOrderID}}
	if err := c.getJSON(ctx, assignmentsPath, query, &answer); err != nil {
		return adapters.OrderResult{}, fmt.Errorf("query esim-go order %s: %w", providerOrderID, err)
	}
	result := adapters.OrderResult{ProviderOrderID: providerOrderID, Pending: len(answer) == 0}
	for _, raw := range answer {
		esim, err := raw.toESIM()
		if err != nil {
			return adapters.OrderResult{}, fmt.Errorf("query esim-go order %s: %w", providerOrderID, err)
		}
		result.ESIMs = append(result.ESIMs, esim)
	}
	return result, nil
}
