package reports

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"esimscan/backend/money"
)

// DayReport holds the figures of one UTC day. Revenue is the sum of the
// day's payments per currency, sorted by currency code.
type DayReport struct {
	Date         string        `json:"date"`
	OrdersPlaced int           `json:"orders_placed"`
	OrdersPaid   int           `json:"orders_paid"`
	Revenue      []money.Money `json:"revenue"`
	ESIMsIssued  int           `json:"esims_issued"`
	Failures     int           `json:"failures"`
}

// Queries is the query side of the reports read model. It is safe for
// concurrent use.
type Queries struct {
	rdb redis.UniversalClient
}

// NewQueries returns the reports queries over rdb.
func NewQueries(rdb redis.UniversalClient) *Queries {
	return &Queries{rdb: rdb}
}

// Daily returns the figures of each UTC day from the day of from to the
// day of to, both included, oldest first. Days without any figure are left
// out.
func (q *Queries) Daily(ctx context.Context, from, to time.Time) ([]DayReport, error) {
	dates, err := q.rdb.ZRangeByScore(ctx, keyDays, &redis.ZRangeBy{
		Min: strconv.FormatInt(from.UTC().Unix()/86400, 10),
		Max: strconv.FormatInt(to.UTC().Unix()/86400, 10),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("list report days: %w", err)
	}
	pipe := q.rdb.Pipeline()
	fields := make([]*redis.MapStringStringCmd, len(dates))
	for i, date := range dates {
		fields[i] = pipe.HGetAll(ctx, dayKey(date))
	}
	if len(dates) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("read %d report days: %w", len(dates), err)
		}
	}
	reports := make([]DayReport, 0, len(dates))
	for i, date := range dates {
		report, err := dayReport(date, fields[i].Val())
		if err != nil {
			return nil, err
		}
		reports = append(reports, report)
	}
	return reports, nil
}

func dayReport(date string, fields map[string]string) (DayReport, error) {
	report := DayReport{Date: date, Revenue: []money.Money{}}
	for field, value := range fields {
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return DayReport{}, fmt.Errorf("decode report %s field %s: %w", date, field, err)
		}
		switch field {
		case fieldPlaced:
			report.OrdersPlaced = int(n)
		case fieldPaid:
			report.OrdersPaid = int(n)
		case fieldIssued:
			report.ESIMsIssued = int(n)
		case fieldFailed:
			report.Failures = int(n)
		default:
			if currency, ok := strings.CutPrefix(field, revenueField); ok {
				report.Revenue = append(report.Revenue, money.Money{Amount: money.Amount(n), Currency: currency})
			}
		}
	}
	sort.Slice(report.Revenue, func(i, j int) bool { return report.Revenue[i].Currency < report.Revenue[j].Currency })
	return report, nil
}
