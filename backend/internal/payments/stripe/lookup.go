package stripe

import (
	"context"
	"fmt"
	"strings"
	"time"

	stripeapi "github.com/stripe/stripe-go/v85"
)

// maxChargeRefunds bounds the refunds ChargeRefunds reads for one charge,
// a hundred to a page, so that an endless list cannot hold a webhook.
const maxChargeRefunds = 1000

// ChargeLookup reads from the Stripe API what a refund event may lack.
// *Client implements it.
type ChargeLookup interface {
	// ChargeRefunds lists every refund of the charge.
	ChargeRefunds(ctx context.Context, chargeID string) ([]ChargeRefund, error)
	// PaymentIntentOrderID returns the metadata order_id of the
	// PaymentIntent, "" when it has none.
	PaymentIntentOrderID(ctx context.Context, paymentIntentID string) (string, error)
}

var _ ChargeLookup = (*Client)(nil)

// ChargeRefunds lists the refunds of chargeID with GET /v1/refunds?charge=,
// up to maxChargeRefunds of them.
func (c *Client) ChargeRefunds(ctx context.Context, chargeID string) ([]ChargeRefund, error) {
	params := &stripeapi.RefundListParams{Charge: stripeapi.String(chargeID)}
	params.Limit = stripeapi.Int64(100)
	var refunds []ChargeRefund
	for refund, err := range c.api.V1Refunds.List(ctx, params).All(ctx) {
		if err != nil {
			return nil, fmt.Errorf("list stripe refunds of charge %s: %w", chargeID, describe(err))
		}
		refunds = append(refunds, ChargeRefund{
			ID:       refund.ID,
			Amount:   refund.Amount,
			Currency: strings.ToUpper(string(refund.Currency)),
			Status:   string(refund.Status),
			Created:  time.Unix(refund.Created, 0).UTC(),
		})
		if len(refunds) == maxChargeRefunds {
			break
		}
	}
	return refunds, nil
}

// PaymentIntentOrderID reads the PaymentIntent's metadata order_id, which
// StartCheckout sets through payment_intent_data.
func (c *Client) PaymentIntentOrderID(ctx context.Context, paymentIntentID string) (string, error) {
	intent, err := c.api.V1PaymentIntents.Retrieve(ctx, paymentIntentID, nil)
	if err != nil {
		return "", fmt.Errorf("retrieve stripe payment intent %s: %w", paymentIntentID, describe(err))
	}
	return intent.Metadata["order_id"], nil
}
