package orders

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// ErrNotFound reports an order id that the read model does not hold.
var ErrNotFound = errors.New("order not found")

// Queries is the query side of the orders read model. It is safe for
// concurrent use.
type Queries struct {
	rdb redis.UniversalClient
}

// NewQueries returns the orders queries over rdb.
func NewQueries(rdb redis.UniversalClient) *Queries {
	return &Queries{rdb: rdb}
}

// Order returns one order, or ErrNotFound.
func (q *Queries) Order(ctx context.Context, id string) (OrderView, error) {
	record, err := loadRecord(ctx, q.rdb, id)
	if err != nil {
		return OrderView{}, err
	}
	if record == nil {
		return OrderView{}, fmt.Errorf("order %q: %w", id, ErrNotFound)
	}
	return record.order(), nil
}

// List returns one page of the orders matching filter, newest first, and
// the number of matching orders.
func (q *Queries) List(ctx context.Context, filter ListFilter) ([]OrderView, int, error) {
	limit := filter.Limit
	if limit <= 0 {
		limit = DefaultListLimit
	}
	offset := max(filter.Offset, 0)
	if filter.Email != "" && filter.Status != "" {
		return q.listByEmailAndStatus(ctx, filter.Email, filter.Status, offset, limit)
	}
	key := keyAll
	switch {
	case filter.Email != "":
		key = emailKey(filter.Email)
	case filter.Status != "":
		key = statusKey(filter.Status)
	}
	total, err := q.rdb.ZCard(ctx, key).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("count orders: %w", err)
	}
	ids, err := q.rdb.ZRevRange(ctx, key, int64(offset), int64(offset+limit-1)).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("list orders: %w", err)
	}
	records, err := loadRecords(ctx, q.rdb, ids)
	if err != nil {
		return nil, 0, err
	}
	return views(records), int(total), nil
}

// listByEmailAndStatus filters one address's orders by status in memory: a
// customer has few orders, so this avoids an intersection key per query.
func (q *Queries) listByEmailAndStatus(
	ctx context.Context,
	email, status string,
	offset, limit int,
) ([]OrderView, int, error) {
	ids, err := q.rdb.ZRevRange(ctx, emailKey(email), 0, -1).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("list orders: %w", err)
	}
	records, err := loadRecords(ctx, q.rdb, ids)
	if err != nil {
		return nil, 0, err
	}
	matching := make([]*orderRecord, 0, len(records))
	for _, record := range records {
		if record.View.Status == status {
			matching = append(matching, record)
		}
	}
	total := len(matching)
	if offset >= total {
		return []OrderView{}, total, nil
	}
	return views(matching[offset:min(offset+limit, total)]), total, nil
}

func views(records []*orderRecord) []OrderView {
	out := make([]OrderView, 0, len(records))
	for _, record := range records {
		out = append(out, record.order())
	}
	return out
}
