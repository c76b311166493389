package maya_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"

	"esimscan/backend/internal/providers/adapters"
	sim "esimscan/backend/internal/simulators/maya"
)

// BenchmarkClient_ListPackages lists a synthetic catalog from the loopback
// simulator, which runs in the same process, so allocations and heap
// include the simulator's encoding. peak-heap-MiB is the highest
// HeapInuse seen, sampled every 5,000 products.
func BenchmarkClient_ListPackages(b *testing.B) {
	for _, size := range []int{10_000, 50_000} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			f := newFixture(b, sim.Options{Packages: size})
			client := f.client(b)
			var stats runtime.MemStats
			var peak uint64

			b.ReportAllocs()
			for b.Loop() {
				count := 0
				err := client.ListPackages(context.Background(), func(adapters.Package) error {
					count++
					if count%5000 == 0 {
						runtime.ReadMemStats(&stats)
						peak = max(peak, stats.HeapInuse)
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				if count != size+6 {
					b.Fatalf("listed %d products, want %d", count, size+6)
				}
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
