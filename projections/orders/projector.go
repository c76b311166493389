// Package orders projects order events into the orders read model: each
// order's status, price, package, payment and eSIMs, listed newest first by
// status and by email address.
package orders

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"

	"esimscan/backend/money"
	"esimscan/projections/projection"
)

// Name is the orders projector's name and checkpoint key.
const Name = "orders"

type projector struct{}

// NewProjector returns the orders projector. It keeps no state of its own
// and is safe for concurrent use.
func NewProjector() projection.Projector { return projector{} }

func (projector) Name() string      { return Name }
func (projector) KeyPrefix() string { return keyPrefix }

// Version is the shape of the stored order records. Version 1 added the
// guest key, the email hash index and the provider order index, so a read
// model of an older shape is rebuilt at start.
func (projector) Version() int { return 1 }

// Apply queues the orders read-model writes for ev on tx. Events about an
// order that was never placed are ignored, because an order's stream always
// starts with OrderPlaced.
func (projector) Apply(ctx context.Context, rdb redis.Cmdable, tx redis.Pipeliner, ev projection.Event) error {
	switch ev.Type {
	case typeOrderPlaced:
		if err := applyPlaced(ctx, tx, ev); err != nil {
			return err
		}
		return linkTopUp(ctx, rdb, tx, ev)
	case typeOrderPaid, typeProvisioningStarted, typeProviderOrderPlaced, typeESIMIssued, typeOrderFailed,
		typeProvisioningRetried, typeOrderCancelled, typeOrderRefunded, typeTopUpApplied:
		return applyProgress(ctx, rdb, tx, ev)
	case typeCustomerErased:
		return applyErased(ctx, rdb, tx, ev, "customer_id", customerKey)
	case typeGuestErased:
		return applyErased(ctx, rdb, tx, ev, "guest_id", guestKey)
	}
	return nil
}

func applyPlaced(ctx context.Context, tx redis.Pipeliner, ev projection.Event) error {
	payload, err := decodeEvent(ev.Type, ev.Data)
	if err != nil {
		return err
	}
	record := &orderRecord{
		View: OrderView{
			ID:        payload.OrderID,
			Status:    StatusPendingPayment,
			Email:     payload.Email,
			Total:     payload.Total,
			UnitPrice: payload.UnitPrice,
			Quantity:  payload.Quantity,
			Package:   payload.Package,
			ESIMs:     []ESIM{},
			PlacedAt:  payload.PlacedAt,
		},
		AccessTokenHash: payload.AccessTokenHash,
		EmailHash:       payload.EmailHash,
		Score:           ev.Position,
	}
	if payload.EmailSealed != "" && (payload.CustomerID != "" || payload.GuestID != "") {
		record.View.CustomerID = payload.CustomerID
		record.GuestID = payload.GuestID
		record.EmailSealed = payload.EmailSealed
	}
	record.View.TopUpOf = payload.TopUpOf
	if record.View.Package.Unlimited {
		record.View.Package.DataMB = nil
	}
	if err := saveRecord(ctx, tx, record); err != nil {
		return err
	}
	member := redis.Z{Score: float64(record.Score), Member: payload.OrderID}
	tx.ZAdd(ctx, keyAll, member)
	tx.ZAdd(ctx, statusKey(StatusPendingPayment), member)
	if payload.Email != "" {
		tx.ZAdd(ctx, emailKey(payload.Email), member)
	}
	if payload.EmailHash != "" {
		tx.ZAdd(ctx, emailHashKey(payload.EmailHash), member)
	}
	if payload.CustomerID != "" {
		tx.SAdd(ctx, customerKey(payload.CustomerID), payload.OrderID)
	}
	if record.GuestID != "" {
		tx.SAdd(ctx, guestKey(record.GuestID), payload.OrderID)
	}
	return nil
}

// applyErased drops the sealed email of every order sealed with the
// erased customer's or guest's key, named by the event's idField, and
// makes it read ErasedEmail. It also removes the order from the index by
// email hash, so that the admin's email filter no longer finds it.
// ordersOf is the set of those orders.
func applyErased(ctx context.Context, rdb redis.Cmdable, tx redis.Pipeliner, ev projection.Event,
	idField string, ordersOf func(string) string) error {
	var payload map[string]any
	if err := json.Unmarshal(ev.Data, &payload); err != nil {
		return fmt.Errorf("decode %s: %w", ev.Type, err)
	}
	holder, _ := payload[idField].(string)
	if holder == "" {
		return fmt.Errorf("decode %s: missing %s", ev.Type, idField)
	}
	ids, err := rdb.SMembers(ctx, ordersOf(holder)).Result()
	if err != nil {
		return fmt.Errorf("list orders of %s: %w", holder, err)
	}
	records, err := loadRecords(ctx, rdb, ids)
	if err != nil {
		return err
	}
	for _, record := range records {
		record.View.Email, record.EmailSealed = ErasedEmail, ""
		// Every record of version 1 keeps its EmailHash: an older read model
		// is rebuilt at start (see Version).
		if record.EmailHash != "" {
			tx.ZRem(ctx, emailHashKey(record.EmailHash), record.View.ID)
			record.EmailHash = ""
		}
		if err := saveRecord(ctx, tx, record); err != nil {
			return err
		}
	}
	return nil
}

// applyRefund adds a refund to the payment. The order becomes refunded
// once refunds reach its total, which is what was paid.
func applyRefund(view *OrderView, amount money.Money) {
	if view.Payment == nil {
		view.Payment = &Payment{}
	}
	refunded := money.Money{Currency: amount.Currency}
	if view.Payment.Refunded != nil {
		refunded = *view.Payment.Refunded
	}
	refunded.Amount += amount.Amount
	view.Payment.Refunded = &refunded
	if refunded.Amount >= view.Total.Amount {
		view.Status = StatusRefunded
	}
}

// indexProviderOrder records which order bought a provider order, so that
// a lookup of the live driver skips it for other orders. An event without
// a provider or an id records nothing.
func indexProviderOrder(ctx context.Context, tx redis.Pipeliner, provider, providerOrderID, orderID string) {
	if provider == "" || providerOrderID == "" {
		return
	}
	tx.Set(ctx, providerOrderKey(provider, providerOrderID), orderID, 0)
}

// applyProgress moves an order along pending_payment → paid → provisioning
// → issued, or to failed and back to provisioning on a retry, and keeps the
// status index in step.
func applyProgress(ctx context.Context, rdb redis.Cmdable, tx redis.Pipeliner, ev projection.Event) error {
	payload, err := decodeEvent(ev.Type, ev.Data)
	if err != nil {
		return err
	}
	record, err := loadRecord(ctx, rdb, payload.OrderID)
	if err != nil || record == nil {
		return err
	}
	oldStatus := record.View.Status
	view := &record.View
	switch ev.Type {
	case typeOrderPaid:
		paidAt := payload.PaidAt
		view.Status = StatusPaid
		view.PaidAt = &paidAt
		view.Payment = &Payment{Gateway: payload.Gateway, Reference: payload.PaymentReference}
	case typeProvisioningStarted, typeProvisioningRetried:
		view.Status = StatusProvisioning
		view.Failure = nil
	case typeProviderOrderPlaced:
		view.ProviderOrderID = payload.ProviderOrderID
		indexProviderOrder(ctx, tx, payload.Provider, payload.ProviderOrderID, view.ID)
	case typeESIMIssued:
		issuedAt := payload.IssuedAt
		view.Status = StatusIssued
		view.IssuedAt = &issuedAt
		view.ESIMs = payload.ESIMs
		view.Failure = nil
	case typeOrderFailed:
		view.Status = StatusFailed
		view.Failure = &Failure{Message: payload.Reason, Cause: payload.Cause}
	case typeOrderCancelled:
		cancelledAt := payload.CancelledAt
		view.Status = StatusCancelled
		view.CancelledAt = &cancelledAt
	case typeOrderRefunded:
		applyRefund(view, payload.Amount)
	case typeTopUpApplied:
		appliedAt := payload.AppliedAt
		indexProviderOrder(ctx, tx, view.Package.Provider, payload.ProviderReference, view.ID)
		view.Status = StatusIssued
		view.IssuedAt = &appliedAt
		view.Failure = nil
	}
	if err := saveRecord(ctx, tx, record); err != nil {
		return err
	}
	if err := updateParentTopUp(ctx, rdb, tx, view); err != nil {
		return err
	}
	if oldStatus != view.Status {
		tx.ZRem(ctx, statusKey(oldStatus), view.ID)
		tx.ZAdd(ctx, statusKey(view.Status), redis.Z{Score: float64(record.Score), Member: view.ID})
	}
	return nil
}
