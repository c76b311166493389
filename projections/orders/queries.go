package orders

import (
	"context"
	"errors"
	"fmt"
	"sort"

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
	if filter.EmailHash != "" || (filter.Email != "" && filter.Status != "") {
		return q.listByEmail(ctx, filter, offset, limit)
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

// listByEmail lists the orders of one address in memory, those with the
// address in the clear and, with filter.EmailHash, those with it sealed,
// filtered by status when filter.Status is set: a buyer has few orders, so
// this avoids a union key per query.
func (q *Queries) listByEmail(ctx context.Context, filter ListFilter, offset, limit int) ([]OrderView, int, error) {
	keys := []string{}
	if filter.Email != "" {
		keys = append(keys, emailKey(filter.Email))
	}
	if filter.EmailHash != "" {
		keys = append(keys, emailHashKey(filter.EmailHash))
	}
	var members []redis.Z
	for _, key := range keys {
		found, err := q.rdb.ZRevRangeWithScores(ctx, key, 0, -1).Result()
		if err != nil {
			return nil, 0, fmt.Errorf("list orders: %w", err)
		}
		members = append(members, found...)
	}
	sort.SliceStable(members, func(i, j int) bool { return members[i].Score > members[j].Score })
	ids := make([]string, 0, len(members))
	seen := make(map[string]bool, len(members))
	for _, member := range members {
		id, _ := member.Member.(string)
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	records, err := loadRecords(ctx, q.rdb, ids)
	if err != nil {
		return nil, 0, err
	}
	matching := make([]*orderRecord, 0, len(records))
	for _, record := range records {
		if filter.Status == "" || record.View.Status == filter.Status {
			matching = append(matching, record)
		}
	}
	total := len(matching)
	if offset >= total {
		return []OrderView{}, total, nil
	}
	return views(matching[offset:min(offset+limit, total)]), total, nil
}

// ProviderOrderOwner returns the id of the order that recorded the
// provider order providerOrderID of provider, in a ProviderOrderPlaced or
// as the provider reference of a TopUpApplied. found is false when no
// order recorded it, or none that the read model has reached yet.
func (q *Queries) ProviderOrderOwner(ctx context.Context, provider, providerOrderID string) (string, bool, error) {
	orderID, err := q.rdb.Get(ctx, providerOrderKey(provider, providerOrderID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("find order of provider order %s at %s: %w", providerOrderID, provider, err)
	}
	return orderID, true, nil
}

// GuestOrderCount returns the number of orders sealed with one guest key.
func (q *Queries) GuestOrderCount(ctx context.Context, guestID string) (int, error) {
	count, err := q.rdb.SCard(ctx, guestKey(guestID)).Result()
	if err != nil {
		return 0, fmt.Errorf("count orders of guest: %w", err)
	}
	return int(count), nil
}

func views(records []*orderRecord) []OrderView {
	out := make([]OrderView, 0, len(records))
	for _, record := range records {
		out = append(out, record.order())
	}
	return out
}
