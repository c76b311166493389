package airalo_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"

	"esimscan/backend/internal/providers/adapters"
	sim "esimscan/backend/internal/simulators/airalo"
)

// BenchmarkClient_ListPackages lists a synthetic catalog from the loopback
// simulator in pages of 50 destinations. The simulator runs in the same
// process, so allocations and heap include its encoding. peak-heap-MiB is
// the highest HeapInuse seen, sampled every 5,000 packages.
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
				if count != size+7 {
					b.Fatalf("listed %d packages, want %d", count, size+7)
				}
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
