// Package reports projects order events into daily sales figures per UTC
// day: orders placed and paid, revenue per currency, eSIMs issued and
// failures.
package reports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"esimscan/backend/money"
	"esimscan/projections/projection"
)

// Name is the reports projector's name and checkpoint key.
const Name = "reports"

// Event types the reports projector consumes, as stored in the log.
const (
	typeOrderPlaced = "OrderPlaced"
	typeOrderPaid   = "OrderPaid"
	typeESIMIssued  = "ESIMIssued"
	typeOrderFailed = "OrderFailed"
)

const keyPrefix = "reports:"

// keyPosition holds the log position of the last event counted. Counters
// are not idempotent by themselves, so Apply skips any event at or before it.
const keyPosition = keyPrefix + "position"

// keyDays is a sorted set of the dates that have figures, scored by days
// since the Unix epoch.
const keyDays = keyPrefix + "days"

// Fields of a day's hash. Revenue fields are revenueField plus the currency
// code and count millionths of the currency unit.
const (
	fieldPlaced  = "placed"
	fieldPaid    = "paid"
	fieldIssued  = "issued"
	fieldFailed  = "failed"
	revenueField = "revenue:"
)

const dateLayout = "2006-01-02"

// dayKey is a hash of the figures of one UTC day.
func dayKey(date string) string { return keyPrefix + "day:" + date }

// reportEvent holds the fields of every order event that this read model
// uses.
type reportEvent struct {
	OrderID  string       `json:"order_id"`
	PlacedAt time.Time    `json:"placed_at"`
	PaidAt   time.Time    `json:"paid_at"`
	Amount   *money.Money `json:"amount"`
	IssuedAt time.Time    `json:"issued_at"`
	ESIMs    []struct{}   `json:"esims"`
	FailedAt time.Time    `json:"failed_at"`
}

type projector struct{}

// NewProjector returns the reports projector. It keeps no state of its own
// and is safe for concurrent use.
func NewProjector() projection.Projector { return projector{} }

func (projector) Name() string      { return Name }
func (projector) KeyPrefix() string { return keyPrefix }

// Apply queues the counter increments for ev on tx. Each event counts on
// the UTC day of its own time field (placed_at, paid_at, issued_at,
// failed_at), or of its recording time when that field is absent.
func (projector) Apply(ctx context.Context, rdb redis.Cmdable, tx redis.Pipeliner, ev projection.Event) error {
	switch ev.Type {
	case typeOrderPlaced, typeOrderPaid, typeESIMIssued, typeOrderFailed:
	default:
		return nil
	}
	var payload reportEvent
	if err := json.Unmarshal(ev.Data, &payload); err != nil {
		return fmt.Errorf("decode %s: %w", ev.Type, err)
	}
	if payload.OrderID == "" {
		return fmt.Errorf("decode %s: missing order_id", ev.Type)
	}
	if ev.Type == typeOrderPaid && payload.Amount == nil {
		return fmt.Errorf("decode %s: missing amount", ev.Type)
	}
	counted, err := alreadyCounted(ctx, rdb, ev.Position)
	if err != nil || counted {
		return err
	}
	at, field, increment := figureOf(ev, payload)
	if at.IsZero() {
		at = ev.RecordedAt
	}
	date := at.UTC().Format(dateLayout)
	tx.HIncrBy(ctx, dayKey(date), field, increment)
	if ev.Type == typeOrderPaid {
		tx.HIncrBy(ctx, dayKey(date), revenueField+payload.Amount.Currency, int64(payload.Amount.Amount))
	}
	tx.ZAdd(ctx, keyDays, redis.Z{Score: float64(at.UTC().Unix() / 86400), Member: date})
	tx.Set(ctx, keyPosition, ev.Position, 0)
	return nil
}

// figureOf returns the time an event counts at, the field it increments and
// by how much.
func figureOf(ev projection.Event, payload reportEvent) (time.Time, string, int64) {
	switch ev.Type {
	case typeOrderPlaced:
		return payload.PlacedAt, fieldPlaced, 1
	case typeOrderPaid:
		return payload.PaidAt, fieldPaid, 1
	case typeESIMIssued:
		return payload.IssuedAt, fieldIssued, int64(len(payload.ESIMs))
	default:
		return payload.FailedAt, fieldFailed, 1
	}
}

func alreadyCounted(ctx context.Context, rdb redis.Cmdable, position uint64) (bool, error) {
	last, err := rdb.Get(ctx, keyPosition).Uint64()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read reports position: %w", err)
	}
	return position <= last, nil
}
