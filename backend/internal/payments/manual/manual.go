// Package manual is the bank-transfer gateway: checkout shows the store's
// payment instructions, an admin marks the order paid when the money
// arrives, and refunds are sent by hand.
package manual

import (
	"context"
	"fmt"

	"esimscan/backend/internal/payments"
)

// Name is the gateway's id in the API and in events.
const Name = "manual"

// Gateway shows fixed payment instructions. It is safe for concurrent use.
type Gateway struct {
	Instructions string
}

// Name returns "manual".
func (Gateway) Name() string { return Name }

// StartCheckout returns the instructions, with no redirect. Reference is
// empty because nothing is created outside the store.
func (g Gateway) StartCheckout(_ context.Context, _ payments.CheckoutRequest) (payments.Checkout, error) {
	return payments.Checkout{Instructions: g.Instructions}, nil
}

// Refund accepts every refund: the admin returns the money by hand, and
// the reference names the order and the amount for the bank statement.
func (Gateway) Refund(ctx context.Context, req payments.RefundRequest) (payments.Refund, error) {
	fallback := fmt.Sprintf("manual-refund-%s-%d", req.OrderID, req.Amount.MinorUnits())
	return payments.Refund{Reference: payments.IdempotencyKeyFrom(ctx, fallback), Amount: req.Amount}, nil
}
