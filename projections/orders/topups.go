package orders

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"esimscan/projections/projection"
)

// linkTopUp adds a newly placed top-up order to its parent's TopUps. A
// parent the read model does not hold is skipped: the top-up's own view
// still names it.
func linkTopUp(ctx context.Context, rdb redis.Cmdable, tx redis.Pipeliner, ev projection.Event) error {
	payload, err := decodeEvent(ev.Type, ev.Data)
	if err != nil || payload.TopUpOf == nil {
		return err
	}
	parent, err := loadRecord(ctx, rdb, payload.TopUpOf.OrderID)
	if err != nil || parent == nil {
		return err
	}
	for _, existing := range parent.View.TopUps {
		if existing.OrderID == payload.OrderID {
			return nil
		}
	}
	parent.View.TopUps = append(parent.View.TopUps, TopUp{
		OrderID:  payload.OrderID,
		ICCID:    payload.TopUpOf.ICCID,
		Status:   StatusPendingPayment,
		Package:  payload.Package.Name,
		Total:    payload.Total,
		PlacedAt: payload.PlacedAt,
	})
	return saveRecord(ctx, tx, parent)
}

// updateParentTopUp copies a top-up order's status to its entry in the
// parent's TopUps.
func updateParentTopUp(ctx context.Context, rdb redis.Cmdable, tx redis.Pipeliner, view *OrderView) error {
	if view.TopUpOf == nil {
		return nil
	}
	parent, err := loadRecord(ctx, rdb, view.TopUpOf.OrderID)
	if err != nil {
		return fmt.Errorf("load parent of top-up %s: %w", view.ID, err)
	}
	if parent == nil {
		return nil
	}
	for i := range parent.View.TopUps {
		entry := &parent.View.TopUps[i]
		if entry.OrderID != view.ID {
			continue
		}
		entry.Status = view.Status
		if view.Status == StatusIssued {
			entry.AppliedAt = view.IssuedAt
		}
		return saveRecord(ctx, tx, parent)
	}
	return nil
}
