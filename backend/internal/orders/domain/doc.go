// Package domain holds the Order aggregate of the orders context: its
// events (OrderPlaced, OrderPaid, ProvisioningStarted, ProviderOrderPlaced,
// ESIMIssued, OrderFailed, ProvisioningRetried, CheckoutStarted,
// OrderCancelled, OrderRefunded, TopUpApplied, and the payment events
// PaymentCaptureStarted, PaymentCaptureFailed, PaymentReturned and
// PaymentUnmatched), its state machine and the errors of its rules.
//
// Commands decide events from the state rebuilt by Order.Apply; they never
// change the order themselves. The application layer appends the decided
// events to the stream order-<id> and reloads on a concurrent change.
package domain
