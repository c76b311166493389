package paypal

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// CaptureOrderID returns the custom_id of the capture captureID, the
// esimScan order id sent at checkout, read with
// GET /v2/payments/captures/{id}. It is "" when the capture has none. A
// PAYMENT.CAPTURE.REFUNDED event for a refund made in PayPal's dashboard
// needs it, because such a refund carries no custom_id of its own.
func (g *Gateway) CaptureOrderID(ctx context.Context, captureID string) (string, error) {
	if captureID == "" {
		return "", fmt.Errorf("%w: capture id is required", ErrInvalidCheckout)
	}
	var capture struct {
		ID       string `json:"id"`
		CustomID string `json:"custom_id"`
	}
	err := g.call(ctx, request{
		method: http.MethodGet, path: "/v2/payments/captures/" + url.PathEscape(captureID),
		what: "capture", out: &capture,
	})
	if err != nil {
		return "", fmt.Errorf("get paypal capture %s: %w", captureID, err)
	}
	return capture.CustomID, nil
}
