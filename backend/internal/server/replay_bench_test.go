package server

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/eventstore/filestore"
	"esimscan/backend/internal/eventstore/wmsource"
	"esimscan/backend/internal/platform/logging"
	"esimscan/projections/projection"
)

// replayBenchEvents is the size of the log the replay benchmark builds.
const replayBenchEvents = 100_000

// buildReplayLog appends a store's typical history: one provider, a
// 1,000-package catalog, then orders of four events each (placed, paid,
// provisioning, issued) until the log holds replayBenchEvents events.
func buildReplayLog(b *testing.B, store eventstore.Store) {
	b.Helper()
	ctx := context.Background()
	appendJSON := func(stream, eventType string, data map[string]any) {
		encoded, err := json.Marshal(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := store.Append(ctx, stream, eventstore.Any(), eventstore.EventData{
			Type: eventType, Data: encoded, Metadata: eventstore.Metadata{ActorID: "system", SchemaVersion: 1},
		}); err != nil {
			b.Fatal(err)
		}
	}
	appendJSON("provider-esim-access", "ProviderConfigured", map[string]any{
		"slug": "esim-access", "base_url": "http://127.0.0.1:9", "sync_interval_minutes": 60, "advanced": map[string]string{},
	})
	appendJSON("provider-esim-access", "ProviderMarginSet", map[string]any{"slug": "esim-access", "old_percent": nil, "new_percent": "25"})
	appendJSON("provider-esim-access", "ProviderEnabled", map[string]any{"slug": "esim-access"})
	countries := []string{"JP", "US", "FR", "DE", "TH", "GB", "IT", "ES"}
	for i := 0; i < 1000; i++ {
		appendJSON("catalog-esim-access", "PackageAdded", map[string]any{
			"package_id": fmt.Sprintf("pkg%05d", i), "provider": "esim-access", "provider_package_id": fmt.Sprintf("P%05d", i),
			"name": fmt.Sprintf("Package %d", i), "countries": []string{countries[i%len(countries)]},
			"region_code": "", "region_name": "", "data_mb": 1024 * (1 + i%10), "unlimited": false, "daily": false,
			"validity_days": 7 + i%30, "wholesale": map[string]string{"amount": fmt.Sprintf("%d.%02d", 1+i%20, i%100), "currency": "USD"},
			"operators": []string{"Operator"}, "sync_id": "bench",
		})
	}
	for order := 0; ; order++ {
		head, err := store.Head(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if head >= replayBenchEvents {
			return
		}
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", order)
		stream := "order-" + id
		price := map[string]string{"amount": "12.50", "currency": "USD"}
		appendJSON(stream, "OrderPlaced", map[string]any{
			"order_id": id, "email": "traveller@example.test", "access_token_hash": "00",
			"package": map[string]any{"id": "pkg00001", "provider": "esim-access", "provider_package_id": "P00001",
				"name": "Package 1", "countries": []string{"US"}, "data_mb": 2048, "unlimited": false, "validity_days": 8},
			"unit_price": price, "quantity": 1, "total": price, "placed_at": "2026-12-01T10:00:00Z",
		})
		appendJSON(stream, "OrderPaid", map[string]any{"order_id": id, "gateway": "test", "payment_reference": "test-" + id,
			"amount": price, "paid_at": "2026-12-01T10:01:00Z"})
		appendJSON(stream, "ProvisioningStarted", map[string]any{"order_id": id, "driver": "stub", "started_at": "2026-12-01T10:01:01Z"})
		appendJSON(stream, "ESIMIssued", map[string]any{"order_id": id, "issued_at": "2026-12-01T10:01:02Z",
			"esims": []map[string]any{{"iccid": "8999000000000000001", "lpa": "LPA:1$demo.esimscan.invalid$X",
				"smdp_address": "demo.esimscan.invalid", "activation_code": "X", "demo": true}}})
	}
}

// BenchmarkReplayAll measures rebuilding every read model from a
// 100,000-event log, into the in-process Redis and, with REDIS_TEST_URL,
// into a real Redis server.
func BenchmarkReplayAll(b *testing.B) {
	store, err := filestore.Open(b.TempDir(), filestore.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	buildReplayLog(b, store)
	source := wmsource.NewSource(store, logging.Watermill{Logger: zerolog.Nop()})

	targets := map[string]func(b *testing.B) redis.UniversalClient{
		"in-process": func(b *testing.B) redis.UniversalClient {
			server := miniredis.RunT(b)
			return redis.NewClient(&redis.Options{Addr: server.Addr()})
		},
	}
	if url := os.Getenv("REDIS_TEST_URL"); url != "" {
		targets["redis-server"] = func(b *testing.B) redis.UniversalClient {
			options, err := redis.ParseURL(url)
			if err != nil {
				b.Fatal(err)
			}
			options.DB = 50
			client := redis.NewClient(options)
			client.FlushDB(context.Background())
			return client
		}
	}
	for name, connect := range targets {
		b.Run(name, func(b *testing.B) {
			rdb := connect(b)
			defer rdb.Close()
			for i := 0; i < b.N; i++ {
				report, err := projection.ReplayAll(context.Background(), rdb, source, zerolog.Nop(), Projectors()...)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(report.EventsRead)/report.Duration.Seconds(), "events/s")
			}
		})
	}
}
