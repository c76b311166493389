package projection_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"esimscan/projections/projection"
	"esimscan/projections/projectiontest"
)

const benchEvents = 100_000

// counter is a trivial projector: one INCR per event.
type counter struct{}

func (counter) Name() string      { return "bench-counter" }
func (counter) KeyPrefix() string { return "rm:bench-counter:" }

func (counter) Apply(ctx context.Context, _ redis.Cmdable, tx redis.Pipeliner, _ projection.Event) error {
	tx.Incr(ctx, "rm:bench-counter:count")
	return nil
}

// BenchmarkReplayAll replays 100,000 small events into Redis and reports
// events per second. Run it with
//
//	REDIS_TEST_URL=redis://127.0.0.1:PORT go test -run '^$' -bench ReplayAll -benchtime 1x ./projection
func BenchmarkReplayAll(b *testing.B) {
	source := projectiontest.NewMemorySource()
	events := make([]projection.Event, benchEvents)
	for i := range events {
		events[i] = projection.Event{Type: typeCounted, Stream: "bench-1", Data: []byte(`{"n":1}`)}
	}
	source.Append(events...)

	replay := func(b *testing.B, rdb redis.UniversalClient) {
		for b.Loop() {
			report, err := projection.ReplayAll(context.Background(), rdb, source, zerolog.Nop(), counter{})
			if err != nil {
				b.Fatalf("ReplayAll: %v", err)
			}
			if report.EventsRead != benchEvents {
				b.Fatalf("ReplayAll read %d events, want %d", report.EventsRead, benchEvents)
			}
		}
		b.ReportMetric(float64(benchEvents*b.N)/b.Elapsed().Seconds(), "events/s")
	}
	b.Run("miniredis", func(b *testing.B) { replay(b, projectiontest.NewMiniredis(b)) })
	b.Run("redis", func(b *testing.B) { replay(b, projectiontest.RealRedis(b)) })
}
