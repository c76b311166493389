package app_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	catalogapp "esimscan/backend/internal/catalog/app"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/eventstore/filestore"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/platform/secrets"
	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/esimaccess"
	providersapp "esimscan/backend/internal/providers/app"
	"esimscan/backend/internal/providers/domain"
	simesimaccess "esimscan/backend/internal/simulators/esimaccess"
)

// BenchmarkCatalogSync times eSIM Access catalog syncs through the real
// components: the simulator on loopback HTTP, the eSIM Access adapter, the
// providers and catalog apps, and the embedded file store with fsync in a
// temporary directory. "first" syncs into an empty catalog. "unchanged"
// syncs a catalog that already holds every package. "restarted" does the
// same with new services, as the first sync after a restart does.
//
// Metrics per sync: events appended to the log, the heap in use of the
// whole test process (simulator included) after a GC just before the sync,
// its peak during the sync sampled every 10 ms, and packages seen.
//
//	go test -run '^$' -bench BenchmarkCatalogSync -benchtime 3x ./internal/providers/app
func BenchmarkCatalogSync(b *testing.B) {
	for _, packages := range []int{10_000, 50_000} {
		b.Run(fmt.Sprintf("first/packages=%d", packages), func(b *testing.B) {
			simulator := startBenchSimulator(b, packages)
			var total syncResult
			for b.Loop() {
				b.StopTimer()
				bench := newSyncBench(b, simulator)
				b.StartTimer()
				result := bench.sync(b)
				b.StopTimer()
				total = total.add(result)
				bench.close()
				b.StartTimer()
			}
			reportSync(b, total)
		})
	}
	for _, packages := range []int{10_000, 50_000} {
		b.Run(fmt.Sprintf("unchanged/packages=%d", packages), func(b *testing.B) {
			simulator := startBenchSimulator(b, packages)
			bench := newSyncBench(b, simulator)
			defer bench.close()
			bench.sync(b)
			var total syncResult
			for b.Loop() {
				result := bench.sync(b)
				total = total.add(result)
			}
			reportSync(b, total)
			b.Logf("unchanged re-sync appended %v", bench.lastTypes)
		})
	}
	// "restarted" is the unchanged re-sync as the first sync after a
	// restart: a new service that must read the whole catalog stream.
	for _, packages := range []int{10_000, 50_000} {
		b.Run(fmt.Sprintf("restarted/packages=%d", packages), func(b *testing.B) {
			simulator := startBenchSimulator(b, packages)
			bench := newSyncBench(b, simulator)
			defer bench.close()
			bench.sync(b)
			var total syncResult
			for b.Loop() {
				b.StopTimer()
				bench.restart()
				b.StartTimer()
				result := bench.sync(b)
				total = total.add(result)
			}
			reportSync(b, total)
		})
	}
}

// add sums the events of two results and keeps the largest heap figures.
func (r syncResult) add(other syncResult) syncResult {
	return syncResult{
		events:       r.events + other.events,
		baselineHeap: max(r.baselineHeap, other.baselineHeap),
		peakHeap:     max(r.peakHeap, other.peakHeap),
		seen:         other.seen,
	}
}

func reportSync(b *testing.B, total syncResult) {
	b.ReportMetric(float64(total.events)/float64(b.N), "events/sync")
	b.ReportMetric(float64(total.baselineHeap)/(1<<20), "baseline-heap-MiB")
	b.ReportMetric(float64(total.peakHeap)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(total.seen), "packages")
}

const (
	benchAccessCode = "bench-access-code"
	benchSecretKey  = "bench-secret-key"
)

// startBenchSimulator serves the eSIM Access simulator with packages
// synthetic packages besides its sample ones on a free loopback port.
func startBenchSimulator(b *testing.B, packages int) *simesimaccess.Running {
	b.Helper()
	simulator, err := simesimaccess.Start(simesimaccess.Options{
		AccessCode: benchAccessCode,
		SecretKey:  benchSecretKey,
		Packages:   packages,
	})
	if err != nil {
		b.Fatalf("start simulator: %v", err)
	}
	b.Cleanup(simulator.Close)
	return simulator
}

// syncBench is a configured esim-access provider on a fresh file store.
type syncBench struct {
	store     *filestore.Store
	keys      *secrets.Keyring
	service   *providersapp.Service
	lastTypes map[string]int
}

func newSyncBench(b *testing.B, simulator *simesimaccess.Running) *syncBench {
	b.Helper()
	store, err := filestore.Open(b.TempDir(), filestore.Options{})
	if err != nil {
		b.Fatalf("open file store: %v", err)
	}
	appKey, err := secrets.GenerateAppKey()
	if err != nil {
		b.Fatal(err)
	}
	keys, err := secrets.ParseAppKey(appKey)
	if err != nil {
		b.Fatal(err)
	}

	bench := &syncBench{store: store, keys: keys}
	bench.restart()
	_, err = bench.service.ConfigureProvider(adminContext(), providersapp.ConfigureProvider{
		Slug:                "esim-access",
		BaseURL:             simulator.URL,
		MarginPercent:       "25",
		SyncIntervalMinutes: 60,
		Credentials:         map[string]string{"access_code": benchAccessCode, "secret_key": benchSecretKey},
	})
	if err != nil {
		b.Fatalf("configure esim-access: %v", err)
	}
	return bench
}

// restart replaces the services with new ones on the same store, as a
// restarted process has them: with no catalog state kept from earlier
// syncs.
func (s *syncBench) restart() {
	repo := &esrepo.Repository{Store: s.store}
	s.service = providersapp.NewService(providersapp.Deps{
		Repo:      repo,
		Keys:      s.keys,
		Factories: map[string]adapters.Factory{"esim-access": esimaccess.Factory},
		Catalog:   catalogapp.NewService(catalogapp.Deps{Repo: repo, Logger: zerolog.Nop()}),
		Logger:    zerolog.Nop(),
	})
}

func (s *syncBench) close() { _ = s.store.Close() }

type syncResult struct {
	events       uint64
	baselineHeap uint64 // HeapInuse after a GC just before the sync
	peakHeap     uint64
	seen         uint64
}

// sync starts a sync, runs it as the reactor would, and waits for
// SyncCompleted.
func (s *syncBench) sync(b *testing.B) syncResult {
	b.Helper()
	ctx := context.Background()
	before, err := s.store.Head(ctx)
	if err != nil {
		b.Fatal(err)
	}
	// Collect the garbage of earlier runs, untimed, so the peak shows what
	// this sync holds.
	b.StopTimer()
	runtime.GC()
	var baseline runtime.MemStats
	runtime.ReadMemStats(&baseline)
	b.StartTimer()
	sampler := startHeapSampler()

	_, _, err = s.service.StartSync(adminContext(), "esim-access")
	if err != nil {
		b.Fatalf("start sync: %v", err)
	}
	started := s.lastProviderEvent(b)
	if err := s.service.Reactions()[0].Handle(ctx, started); err != nil {
		b.Fatalf("run sync: %v", err)
	}
	s.service.Wait()
	peakHeap := sampler.stop()

	finished := s.lastProviderEvent(b)
	if finished.Type != "SyncCompleted" {
		b.Fatalf("sync ended with %s: %s", finished.Type, finished.Data)
	}
	appended, err := s.store.ReadAll(ctx, before, 1_000_000)
	if err != nil {
		b.Fatal(err)
	}
	s.lastTypes = map[string]int{}
	for _, event := range appended {
		s.lastTypes[event.Type]++
	}
	event, _, err := domain.Decode(finished.Type, finished.Data)
	if err != nil {
		b.Fatal(err)
	}
	completed := event.(domain.SyncCompleted)
	return syncResult{
		events:       uint64(len(appended)),
		baselineHeap: baseline.HeapInuse,
		peakHeap:     peakHeap,
		seen:         uint64(completed.PackagesSeen),
	}
}

func (s *syncBench) lastProviderEvent(b *testing.B) eventstore.RecordedEvent {
	b.Helper()
	events, err := s.store.ReadStream(context.Background(), "provider-esim-access", 0)
	if err != nil {
		b.Fatal(err)
	}
	return events[len(events)-1]
}

// heapSampler records the peak runtime.MemStats.HeapInuse until stopped.
type heapSampler struct {
	done chan struct{}
	wg   sync.WaitGroup
	peak uint64
}

func startHeapSampler() *heapSampler {
	sampler := &heapSampler{done: make(chan struct{})}
	sampler.wg.Go(func() {
		ticker := time.NewTicker(10 * time.Millisecond)
		defer ticker.Stop()
		var stats runtime.MemStats
		for {
			runtime.ReadMemStats(&stats)
			sampler.peak = max(sampler.peak, stats.HeapInuse)
			select {
			case <-sampler.done:
				return
			case <-ticker.C:
			}
		}
	})
	return sampler
}

// stop ends sampling and returns the peak in bytes.
func (s *heapSampler) stop() uint64 {
	close(s.done)
	s.wg.Wait()
	return s.peak
}
