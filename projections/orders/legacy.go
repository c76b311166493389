package orders

import (
	"context"
	"fmt"
)

// PlainEmailOrderCount returns the number of orders whose OrderPlaced
// holds email in the clear: guest orders placed before guest emails were
// sealed. Erasure cannot reach them, because the log keeps the address.
func (q *Queries) PlainEmailOrderCount(ctx context.Context, email string) (int, error) {
	count, err := q.rdb.ZCard(ctx, emailKey(email)).Result()
	if err != nil {
		return 0, fmt.Errorf("count orders with a plain email: %w", err)
	}
	return int(count), nil
}
