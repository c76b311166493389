package filestore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"esimscan/backend/internal/eventstore"
)

// fillStore appends n events in batches of 100 without fsync.
func fillStore(tb testing.TB, dir string, n int) {
	tb.Helper()
	store, err := Open(dir, Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer store.Close()
	batch := make([]eventstore.EventData, 0, 100)
	for i := range n {
		batch = append(batch, testEvent(i))
		if len(batch) == cap(batch) || i == n-1 {
			stream := fmt.Sprintf("fill-%d", i%1000)
			if _, err := store.Append(context.Background(), stream, eventstore.Any(), batch...); err != nil {
				tb.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

func TestStore_open100kEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100k events")
	}
	dir := t.TempDir()
	fillStore(t, dir, 100_000)
	start := time.Now()
	store := openTestStore(t, dir, Options{})
	elapsed := time.Since(start)
	if head, _ := store.Head(context.Background()); head != 100_000 {
		t.Fatalf("head = %d, want 100000", head)
	}
	t.Logf("opened 100k events in %s", elapsed)
	if elapsed > 3*time.Second {
		t.Errorf("opening 100k events took %s, want under 3s", elapsed)
	}
}

func BenchmarkAppend_singleWriter(b *testing.B) {
	store, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	event := testEvent(0)
	for b.Loop() {
		if _, err := store.Append(context.Background(), "bench", eventstore.Any(), event); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
}

func BenchmarkAppend_16Writers(b *testing.B) {
	benchmarkConcurrentAppends(b, defaultMaxBatch)
}

// BenchmarkAppend_16WritersNoGroupCommit is the baseline that shows what
// group commit buys: one fsync per append.
func BenchmarkAppend_16WritersNoGroupCommit(b *testing.B) {
	benchmarkConcurrentAppends(b, 1)
}

func benchmarkConcurrentAppends(b *testing.B, maxBatch int) {
	const writers = 16
	store, err := open(b.TempDir(), Options{}, maxBatch)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	event := testEvent(0)
	var remaining atomic.Int64
	remaining.Store(int64(b.N))
	b.ResetTimer()
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			stream := fmt.Sprintf("bench-%d", i)
			for remaining.Add(-1) >= 0 {
				if _, err := store.Append(context.Background(), stream, eventstore.Any(), event); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	b.ReportMetric(float64(b.N)/float64(store.syncs.Load()), "appends/fsync")
}

func BenchmarkReadAll_100k(b *testing.B) {
	dir := b.TempDir()
	fillStore(b, dir, 100_000)
	store, err := Open(dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	for b.Loop() {
		var after eventstore.Position
		for {
			events, err := store.ReadAll(context.Background(), after, 1000)
			if err != nil {
				b.Fatal(err)
			}
			if len(events) == 0 {
				break
			}
			after = events[len(events)-1].Position
		}
		if after != 100_000 {
			b.Fatalf("read up to %d, want 100000", after)
		}
	}
}

func BenchmarkOpen_100k(b *testing.B) {
	dir := b.TempDir()
	fillStore(b, dir, 100_000)
	for b.Loop() {
		store, err := Open(dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		_ = store.Close()
	}
}
