package filestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/eventstore/eventstoretest"
)

func TestStore_contract(t *testing.T) {
	eventstoretest.Run(t, func(t *testing.T) eventstore.Store {
		return openTestStore(t, t.TempDir(), Options{})
	})
}

func openTestStore(t *testing.T, dir string, opts Options) *Store {
	t.Helper()
	store, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return store
}

func testEvent(n int) eventstore.EventData {
	return eventstore.EventData{
		ID:       uuid.NewString(),
		Type:     "TestEvent",
		Data:     fmt.Appendf(nil, `{"n":%d}`, n),
		Metadata: eventstore.Metadata{ActorID: "system", SchemaVersion: 1},
	}
}

func appendN(t testing.TB, store *Store, stream string, n int) {
	t.Helper()
	for i := range n {
		if _, err := store.Append(context.Background(), stream, eventstore.Any(), testEvent(i)); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
}

func readAll(t *testing.T, store *Store) []eventstore.RecordedEvent {
	t.Helper()
	events, err := store.ReadAll(context.Background(), 0, 1_000_000)
	if err != nil {
		t.Fatalf("read all: %v", err)
	}
	return events
}

func TestStore_positionsAreDense(t *testing.T) {
	store := openTestStore(t, t.TempDir(), Options{})
	appendN(t, store, "dense-a", 3)
	if _, err := store.Append(context.Background(), "dense-b", eventstore.Any(), testEvent(0), testEvent(1)); err != nil {
		t.Fatal(err)
	}
	for i, event := range readAll(t, store) {
		if event.Position != eventstore.Position(i+1) {
			t.Errorf("event %d: position %d, want %d", i, event.Position, i+1)
		}
	}
}

func TestStore_reopenKeepsEvents(t *testing.T) {
	dir := t.TempDir()
	store := openTestStore(t, dir, Options{})
	appendN(t, store, "reopen-a", 5)
	appendN(t, store, "reopen-b", 2)
	want := readAll(t, store)
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	reopened := openTestStore(t, dir, Options{})
	got := readAll(t, reopened)
	if len(got) != len(want) {
		t.Fatalf("reopened store has %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || !got[i].RecordedAt.Equal(want[i].RecordedAt) || !bytes.Equal(got[i].Data, want[i].Data) {
			t.Errorf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	result, err := reopened.Append(context.Background(), "reopen-a", eventstore.Exact(4), testEvent(5))
	if err != nil {
		t.Fatalf("append after reopen: %v", err)
	}
	if result.NextRevision != 5 || result.Position != 8 {
		t.Errorf("append after reopen = %+v, want revision 5 at position 8", result)
	}
}

// TestStore_tornTailIsTruncated cuts the last frame at every byte offset, as
// a crash during its write would, and checks that open drops only that frame.
func TestStore_tornTailIsTruncated(t *testing.T) {
	dir := t.TempDir()
	store := openTestStore(t, dir, Options{})
	appendN(t, store, "torn", 3)
	lastStart := store.end
	if _, err := store.Append(context.Background(), "torn", eventstore.Any(), testEvent(3), testEvent(4)); err != nil {
		t.Fatal(err)
	}
	lastEnd := store.end
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile(filepath.Join(dir, LogFileName))
	if err != nil {
		t.Fatal(err)
	}

	for cut := lastStart; cut < lastEnd; cut++ {
		caseDir := t.TempDir()
		path := filepath.Join(caseDir, LogFileName)
		if err := os.WriteFile(path, full[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		reopened, err := Open(caseDir, Options{Logger: zerolog.New(&logs)})
		if err != nil {
			t.Fatalf("cut at %d: open: %v", cut, err)
		}
		events := readAll(t, reopened)
		if len(events) != 3 {
			t.Errorf("cut at %d: %d events, want 3", cut, len(events))
		}
		if cut > lastStart && !strings.Contains(logs.String(), "torn tail") {
			t.Errorf("cut at %d: no torn-tail warning in log %q", cut, logs.String())
		}
		if _, err := reopened.Append(context.Background(), "torn", eventstore.Exact(2), testEvent(3)); err != nil {
			t.Errorf("cut at %d: append after truncation: %v", cut, err)
		}
		if err := reopened.Close(); err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size() <= lastStart {
			t.Errorf("cut at %d: file has %d bytes after a new append", cut, info.Size())
		}
	}
}

func TestStore_zeroFilledTailIsTruncated(t *testing.T) {
	dir := t.TempDir()
	store := openTestStore(t, dir, Options{})
	appendN(t, store, "zeros", 2)
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	file, err := os.OpenFile(filepath.Join(dir, LogFileName), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := file.Write(make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	_ = file.Close()

	reopened := openTestStore(t, dir, Options{})
	if n := len(readAll(t, reopened)); n != 2 {
		t.Errorf("%d events after reopen, want 2", n)
	}
}

// TestStore_corruptionInMiddleFailsOpen flips each byte of the first frame,
// which has another frame after it: open must fail and name the offset.
func TestStore_corruptionInMiddleFailsOpen(t *testing.T) {
	dir := t.TempDir()
	store := openTestStore(t, dir, Options{})
	appendN(t, store, "corrupt", 1)
	firstEnd := store.end
	appendN(t, store, "corrupt", 1)
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile(filepath.Join(dir, LogFileName))
	if err != nil {
		t.Fatal(err)
	}

	for offset := int64(len(fileMagic)); offset < firstEnd; offset++ {
		damaged := bytes.Clone(full)
		damaged[offset] ^= 0x40
		caseDir := t.TempDir()
		if err := os.WriteFile(filepath.Join(caseDir, LogFileName), damaged, 0o600); err != nil {
			t.Fatal(err)
		}
		reopened, err := Open(caseDir, Options{})
		if err == nil {
			_ = reopened.Close()
			t.Fatalf("flipped byte %d: open succeeded", offset)
		}
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("flipped byte %d: err = %v, want ErrCorrupt", offset, err)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("offset %d", len(fileMagic))) {
			t.Errorf("flipped byte %d: error %q does not name offset %d", offset, err, len(fileMagic))
		}
	}
}

func TestStore_badFileHeaderFailsOpen(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, LogFileName), []byte("not an event log"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir, Options{})
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("err = %v, want ErrCorrupt", err)
	}
}

func TestStore_secondOpenIsLocked(t *testing.T) {
	dir := t.TempDir()
	openTestStore(t, dir, Options{})
	second, err := Open(dir, Options{})
	if err == nil {
		_ = second.Close()
		t.Fatal("second open succeeded")
	}
	if !errors.Is(err, ErrLocked) {
		t.Errorf("err = %v, want ErrLocked", err)
	}
}

func TestStore_closeReleasesLock(t *testing.T) {
	dir := t.TempDir()
	store := openTestStore(t, dir, Options{})
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	openTestStore(t, dir, Options{})
}

func TestStore_readOnlySeesLaterAppends(t *testing.T) {
	dir := t.TempDir()
	writer := openTestStore(t, dir, Options{})
	appendN(t, writer, "readonly", 2)

	reader, err := OpenReadOnly(dir)
	if err != nil {
		t.Fatalf("open read-only beside the writer: %v", err)
	}
	t.Cleanup(func() { _ = reader.Close() })
	if n := len(readAll(t, reader)); n != 2 {
		t.Fatalf("reader sees %d events, want 2", n)
	}

	appendN(t, writer, "readonly", 3)
	deadline := time.Now().Add(5 * time.Second)
	for len(readAll(t, reader)) != 5 {
		if time.Now().After(deadline) {
			t.Fatalf("reader still sees %d events, want 5", len(readAll(t, reader)))
		}
		time.Sleep(10 * time.Millisecond)
	}
	events, err := reader.ReadStream(context.Background(), "readonly", 0)
	if err != nil || len(events) != 5 {
		t.Errorf("reader read stream: %d events, err %v", len(events), err)
	}
	if _, err := reader.Append(context.Background(), "readonly", eventstore.Any(), testEvent(0)); !errors.Is(err, ErrReadOnly) {
		t.Errorf("append on the reader: err = %v, want ErrReadOnly", err)
	}
}

// TestStore_readOnlyToleratesPartialLastFrame simulates a reader opening
// while the writer is half way through a frame.
func TestStore_readOnlyToleratesPartialLastFrame(t *testing.T) {
	dir := t.TempDir()
	writer := openTestStore(t, dir, Options{})
	appendN(t, writer, "partial", 2)
	complete := writer.end
	appendN(t, writer, "partial", 1)
	if err := writer.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, LogFileName)
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, full[:complete+5], 0o600); err != nil {
		t.Fatal(err)
	}

	reader, err := OpenReadOnly(dir)
	if err != nil {
		t.Fatalf("open read-only: %v", err)
	}
	t.Cleanup(func() { _ = reader.Close() })
	if n := len(readAll(t, reader)); n != 2 {
		t.Errorf("reader sees %d events, want 2", n)
	}

	// The writer finishes the frame: the reader picks it up.
	if err := os.WriteFile(path, full, 0o600); err != nil {
		t.Fatal(err)
	}
	if n := len(readAll(t, reader)); n != 3 {
		t.Errorf("reader sees %d events after the frame completed, want 3", n)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() != int64(len(full)) {
		t.Errorf("read-only open changed the file size to %d", info.Size())
	}
}

func TestStore_readOnlySubscriptionPolls(t *testing.T) {
	dir := t.TempDir()
	writer := openTestStore(t, dir, Options{})
	reader, err := OpenReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reader.Close() })
	sub, err := reader.SubscribeAll(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	appendN(t, writer, "poll", 1)
	select {
	case event := <-sub.Events():
		if event.Position != 1 {
			t.Errorf("delivered position %d, want 1", event.Position)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("read-only subscription delivered nothing within 5s")
	}
}

func TestOpenReadOnly_missingLog(t *testing.T) {
	_, err := OpenReadOnly(t.TempDir())
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want a not-exist error", err)
	}
}

// TestStore_groupCommit checks that concurrent appends share fsyncs.
func TestStore_groupCommit(t *testing.T) {
	const writers, appends = 16, 20
	store := openTestStore(t, t.TempDir(), Options{})
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			for j := range appends {
				_, err := store.Append(context.Background(), fmt.Sprintf("group-%d", i), eventstore.Any(), testEvent(j))
				if err != nil {
					t.Errorf("append: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	syncs := store.syncs.Load()
	if syncs >= writers*appends {
		t.Errorf("%d appends took %d fsyncs, want fewer", writers*appends, syncs)
	}
	t.Logf("%d appends from %d goroutines took %d fsyncs", writers*appends, writers, syncs)
}

// TestStore_slowSubscriberDoesNotBlockAppends appends far more events than
// a subscription buffers while its channel is not read, then reads them all.
func TestStore_slowSubscriberDoesNotBlockAppends(t *testing.T) {
	const total = subscriptionBuffer*3 + 17
	store := openTestStore(t, t.TempDir(), Options{NoSync: true})
	sub, err := store.SubscribeAll(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	done := make(chan struct{})
	go func() {
		defer close(done)
		appendN(t, store, "slow", total)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("appends blocked behind an idle subscriber")
	}

	for want := eventstore.Position(1); want <= total; want++ {
		select {
		case event := <-sub.Events():
			if event.Position != want {
				t.Fatalf("delivered position %d, want %d", event.Position, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no event at position %d within 5s", want)
		}
	}
}

func TestStore_appendTooLarge(t *testing.T) {
	store := openTestStore(t, t.TempDir(), Options{NoSync: true})
	event := testEvent(0)
	event.Data = []byte(`"` + strings.Repeat("x", maxPayloadSize) + `"`)
	_, err := store.Append(context.Background(), "large", eventstore.Any(), event)
	if !errors.Is(err, eventstore.ErrInvalidAppend) {
		t.Errorf("err = %v, want ErrInvalidAppend", err)
	}
	if head, _ := store.Head(context.Background()); head != 0 {
		t.Errorf("head = %d after a rejected append, want 0", head)
	}
	appendN(t, store, "large", 1)
}

func TestStore_canceledAppendWritesNothing(t *testing.T) {
	store := openTestStore(t, t.TempDir(), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := store.Append(ctx, "canceled", eventstore.Any(), testEvent(0))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if head, _ := store.Head(context.Background()); head != 0 {
		t.Errorf("head = %d after a canceled append, want 0", head)
	}
}

// TestStore_writeFailureRejectsLaterAppends closes the file under the writer
// so that the write fails, as a full or failing disk would.
func TestStore_writeFailureRejectsLaterAppends(t *testing.T) {
	store := openTestStore(t, t.TempDir(), Options{})
	appendN(t, store, "failing", 1)
	if err := store.file.Close(); err != nil {
		t.Fatal(err)
	}

	_, err := store.Append(context.Background(), "failing", eventstore.Any(), testEvent(1))
	if !errors.Is(err, os.ErrClosed) {
		t.Errorf("append with a failing write: err = %v, want the write error", err)
	}
	_, err = store.Append(context.Background(), "failing", eventstore.Any(), testEvent(2))
	if err == nil || !strings.Contains(err.Error(), "reopen") {
		t.Errorf("append after a failed write: err = %v, want a request to reopen", err)
	}
	if head, _ := store.Head(context.Background()); head != 1 {
		t.Errorf("head = %d after failed appends, want 1", head)
	}
}
