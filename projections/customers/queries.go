package customers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNotFound reports a customer id that the read model does not hold.
var ErrNotFound = errors.New("customer not found")

// Customer is one customer as stored. EmailSealed is the email sealed with
// the customer's data key, empty once Erased. OrderCount counts linked
// orders.
type Customer struct {
	ID           string
	EmailSealed  string
	Verified     bool
	Erased       bool
	RegisteredAt time.Time
	OrderCount   int
}

// Queries is the query side of the customers read model. It is safe for
// concurrent use.
type Queries struct {
	rdb redis.UniversalClient
}

// NewQueries returns the customers queries over rdb.
func NewQueries(rdb redis.UniversalClient) *Queries { return &Queries{rdb: rdb} }

// List returns up to limit registered customers, newest first, from offset,
// and how many there are.
func (q *Queries) List(ctx context.Context, offset, limit int) ([]Customer, int, error) {
	total, err := q.rdb.ZCard(ctx, keyAll).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("count customers: %w", err)
	}
	ids, err := q.rdb.ZRevRange(ctx, keyAll, int64(max(offset, 0)), int64(max(offset, 0)+limit-1)).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("list customers: %w", err)
	}
	out := make([]Customer, 0, len(ids))
	for _, id := range ids {
		customer, err := q.Customer(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		out = append(out, customer)
	}
	return out, int(total), nil
}

// Customer returns one registered customer, or ErrNotFound.
func (q *Queries) Customer(ctx context.Context, id string) (Customer, error) {
	fields, err := q.rdb.HGetAll(ctx, customerKey(id)).Result()
	if err != nil {
		return Customer{}, fmt.Errorf("read customer %s: %w", id, err)
	}
	if fields[fieldRegisteredAt] == "" {
		return Customer{}, fmt.Errorf("customer %q: %w", id, ErrNotFound)
	}
	registeredAt, err := time.Parse(time.RFC3339Nano, fields[fieldRegisteredAt])
	if err != nil {
		return Customer{}, fmt.Errorf("decode registration time of customer %s: %w", id, err)
	}
	count, err := q.rdb.ZCard(ctx, ordersKey(id)).Result()
	if err != nil {
		return Customer{}, fmt.Errorf("count orders of customer %s: %w", id, err)
	}
	return Customer{
		ID:           id,
		EmailSealed:  fields[fieldEmailSealed],
		Verified:     fields[fieldVerified] == "1",
		Erased:       fields[fieldErased] == "1",
		RegisteredAt: registeredAt,
		OrderCount:   int(count),
	}, nil
}

// OrderIDs returns the ids of the customer's orders, newest first.
func (q *Queries) OrderIDs(ctx context.Context, customerID string) ([]string, error) {
	ids, err := q.rdb.ZRevRange(ctx, ordersKey(customerID), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list orders of customer %s: %w", customerID, err)
	}
	return ids, nil
}
