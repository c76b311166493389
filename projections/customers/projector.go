// Package customers projects the customers context into the customers
// read model: each customer's id, verified and erased flags, registration
// time and linked orders, for the admin list and a customer's own orders.
//
// The read model holds no plaintext personal data. It keeps the email
// sealed with the customer's data key, which the backend decrypts with the
// key from the event log when a query reads it, and drops it when the
// customer is erased.
package customers

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"esimscan/projections/projection"
)

// Name is the customers projector's name and checkpoint key.
const Name = "customers"

// Event types the customers projector consumes, as stored in the log.
const (
	typeCustomerRegistered  = "CustomerRegistered"
	typeCustomerVerified    = "CustomerVerified"
	typeCustomerOrderLinked = "CustomerOrderLinked"
	typeCustomerErased      = "CustomerErased"
	typeOrderPlaced         = "OrderPlaced"
)

const keyPrefix = "customers:"

// keyAll is a sorted set of the ids of registered customers, scored by the
// log position of CustomerRegistered.
const keyAll = keyPrefix + "all"

// customerKey is a hash with one customer's fields.
func customerKey(id string) string { return keyPrefix + "customer:" + id }

// ordersKey is a sorted set of the ids of one customer's orders, scored by
// the log position that first linked them.
func ordersKey(id string) string { return keyPrefix + "orders:" + id }

// Fields of the customer hash.
const (
	fieldID           = "id"
	fieldEmailSealed  = "email_sealed"
	fieldVerified     = "verified"
	fieldErased       = "erased"
	fieldRegisteredAt = "registered_at"
)

type projector struct{}

// NewProjector returns the customers projector. It keeps no state of its
// own and is safe for concurrent use.
func NewProjector() projection.Projector { return projector{} }

func (projector) Name() string      { return Name }
func (projector) KeyPrefix() string { return keyPrefix }

// customerEvent holds the fields of every event this read model uses.
type customerEvent struct {
	CustomerID   string    `json:"customer_id"`
	OrderID      string    `json:"order_id"`
	EmailSealed  string    `json:"email_sealed"`
	RegisteredAt time.Time `json:"registered_at"`
}

// Apply queues the customers read-model writes for ev on tx. Every write
// is a hash field or a sorted-set member, so applying an event twice
// changes nothing. Guests' orders are ignored.
func (projector) Apply(ctx context.Context, rdb redis.Cmdable, tx redis.Pipeliner, ev projection.Event) error {
	switch ev.Type {
	case typeCustomerRegistered, typeCustomerVerified, typeCustomerOrderLinked,
		typeCustomerErased, typeOrderPlaced:
	default:
		return nil
	}
	var payload customerEvent
	if err := json.Unmarshal(ev.Data, &payload); err != nil {
		return fmt.Errorf("decode %s: %w", ev.Type, err)
	}
	if payload.CustomerID == "" {
		if ev.Type == typeOrderPlaced {
			return nil
		}
		return fmt.Errorf("decode %s: missing customer_id", ev.Type)
	}
	return apply(ctx, rdb, tx, ev, payload)
}

func apply(ctx context.Context, rdb redis.Cmdable, tx redis.Pipeliner, ev projection.Event, payload customerEvent) error {
	key := customerKey(payload.CustomerID)
	switch ev.Type {
	case typeCustomerRegistered:
		erased, err := isErased(ctx, rdb, payload.CustomerID)
		if err != nil {
			return err
		}
		tx.HSet(ctx, key, fieldID, payload.CustomerID, fieldRegisteredAt, payload.RegisteredAt.UTC().Format(time.RFC3339Nano))
		if !erased {
			tx.HSet(ctx, key, fieldEmailSealed, payload.EmailSealed)
		}
		tx.ZAddNX(ctx, keyAll, redis.Z{Score: float64(ev.Position), Member: payload.CustomerID})
	case typeCustomerVerified:
		tx.HSet(ctx, key, fieldVerified, "1")
	case typeCustomerOrderLinked, typeOrderPlaced:
		if payload.OrderID == "" {
			return fmt.Errorf("decode %s: missing order_id", ev.Type)
		}
		tx.ZAddNX(ctx, ordersKey(payload.CustomerID), redis.Z{Score: float64(ev.Position), Member: payload.OrderID})
	case typeCustomerErased:
		tx.HSet(ctx, key, fieldID, payload.CustomerID, fieldErased, "1")
		tx.HDel(ctx, key, fieldEmailSealed)
	}
	return nil
}

func isErased(ctx context.Context, rdb redis.Cmdable, customerID string) (bool, error) {
	erased, err := rdb.HGet(ctx, customerKey(customerID), fieldErased).Result()
	if err == redis.Nil {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read customer %s: %w", customerID, err)
	}
	return erased == "1", nil
}
