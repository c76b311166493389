// Package filestore is the embedded event store: one append-only file,
// events.log, in a data directory.
//
// Every append is one frame protected by a length and a CRC-32C checksum and
// is on disk (fsync) before Append returns. Concurrent appends are batched
// by one writer goroutine into a single write and fsync (group commit), and
// the expected-revision check runs in that goroutine, in arrival order, so it
// is atomic with the write. A torn last frame after a crash is truncated on
// Open; damage before the last frame makes Open fail.
//
// One process at a time opens a directory for writing (a flock on
// events.lock). OpenReadOnly reads the same file without the lock while the
// writer runs. The index of streams and positions lives in memory and is
// rebuilt from the file on open; event bodies are read from the file.
package filestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"esimscan/backend/internal/eventstore"
)

// File names inside the data directory.
const (
	LogFileName  = "events.log"
	LockFileName = "events.lock"
)

// readOnlyPollInterval is how often a subscription on a read-only store
// looks for events appended by the writing process.
const readOnlyPollInterval = 200 * time.Millisecond

// ErrLocked reports that another process has the data directory open for
// writing.
var ErrLocked = errors.New("event store is locked")

// ErrReadOnly reports an Append on a store opened with OpenReadOnly.
var ErrReadOnly = errors.New("event store is read-only")

// Options configure Open.
type Options struct {
	// Logger receives the store's lifecycle messages and the torn-tail
	// warning. The zero value logs nothing.
	Logger zerolog.Logger

	// NoSync skips fsync, so an append is not durable when Append returns and
	// a power loss can lose acknowledged events. For tests and benchmarks
	// only; never set it in production.
	NoSync bool
}

// Store is the file-backed event store. It implements eventstore.Store and
// is safe for concurrent use.
type Store struct {
	logger   zerolog.Logger
	noSync   bool
	readOnly bool
	path     string
	file     *os.File
	lock     *os.File

	// mu guards the index and the fields below it.
	mu      sync.RWMutex
	index   index
	end     int64         // offset just after the last committed frame
	notify  chan struct{} // closed and replaced on every commit
	failure error         // set when a write or fsync failed

	// fileMu lets Close wait for reads of the file in progress.
	fileMu sync.RWMutex
	// refreshMu serialises read-only rescans of the file.
	refreshMu sync.Mutex

	requests   chan *appendRequest
	maxBatch   int
	closing    chan struct{}
	closeOnce  sync.Once
	writerDone chan struct{}
	subs       sync.WaitGroup
	syncs      atomic.Int64 // write+fsync rounds, for tests of group commit
}

var _ eventstore.Store = (*Store)(nil)

// index maps positions and streams to encoded events in the file.
type index struct {
	entries []entry                          // entries[p-1] is the event at position p
	streams map[string][]eventstore.Position // positions of a stream, by revision
}

// entry locates one encoded event in the file.
type entry struct {
	offset int64
	size   uint32
}

// Open opens or creates the event log in dir for reading and writing. It
// takes an exclusive lock on dir, failing with an error wrapping ErrLocked
// when another process has it. A torn last frame is truncated and logged;
// other damage fails with an error wrapping ErrCorrupt that names the offset.
func Open(dir string, opts Options) (*Store, error) {
	return open(dir, opts, defaultMaxBatch)
}

// open is Open with a bound on the appends that share one fsync. A bound of
// 1 turns group commit off, which the benchmark of group commit compares with.
func open(dir string, opts Options, maxBatch int) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	lock, err := lockFile(filepath.Join(dir, LockFileName))
	if err != nil {
		return nil, err
	}
	s := newStore(dir, opts.Logger)
	s.noSync = opts.NoSync
	s.lock = lock
	if err := s.openWritable(dir); err != nil {
		_ = lock.Close()
		return nil, err
	}
	s.requests = make(chan *appendRequest, defaultMaxBatch)
	s.maxBatch = maxBatch
	go s.runWriter()
	s.logger.Info().Int("events", len(s.index.entries)).Int64("bytes", s.end).Msg("event log opened")
	return s, nil
}

// OpenReadOnly opens the event log in dir without the lock, for readers such
// as an export running beside the server. It never changes the file: a torn
// or half-written last frame is ignored until it is complete. Reads and
// subscriptions see events that the writer commits after the open. Append
// fails with ErrReadOnly.
func OpenReadOnly(dir string) (*Store, error) {
	s := newStore(dir, zerolog.Nop())
	s.readOnly = true
	file, err := os.Open(s.path)
	if err != nil {
		return nil, fmt.Errorf("open event log: %w", err)
	}
	s.file = file
	close(s.writerDone)
	if err := s.refresh(); err != nil {
		_ = file.Close()
		return nil, err
	}
	return s, nil
}

func newStore(dir string, logger zerolog.Logger) *Store {
	return &Store{
		logger:     logger.With().Str("component", "filestore").Logger(),
		path:       filepath.Join(dir, LogFileName),
		index:      index{streams: make(map[string][]eventstore.Position)},
		notify:     make(chan struct{}),
		closing:    make(chan struct{}),
		writerDone: make(chan struct{}),
	}
}

// openWritable opens the log, writes the file header of a new log, rebuilds
// the index and truncates a torn tail.
func (s *Store) openWritable(dir string) error {
	file, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open event log: %w", err)
	}
	s.file = file

	if err := s.initHeader(dir); err != nil {
		_ = file.Close()
		return err
	}
	info, err := file.Stat()
	if err != nil {
		_ = file.Close()
		return fmt.Errorf("stat event log: %w", err)
	}
	result, err := scanFrames(file, int64(len(fileMagic)), info.Size(), s.indexFrame)
	if err != nil {
		_ = file.Close()
		return fmt.Errorf("open event log %s: %w", s.path, err)
	}
	s.end = result.end
	if result.tornReason == "" {
		return nil
	}

	s.logger.Warn().
		Str("reason", result.tornReason).
		Int64("offset", result.end).
		Int64("dropped_bytes", info.Size()-result.end).
		Msg("truncating torn tail of event log")
	if err := file.Truncate(result.end); err != nil {
		_ = file.Close()
		return fmt.Errorf("truncate torn tail at offset %d: %w", result.end, err)
	}
	if err := file.Sync(); err != nil {
		_ = file.Close()
		return fmt.Errorf("sync event log: %w", err)
	}
	return nil
}

// initHeader writes the file header of an empty log, including one whose
// creation was interrupted, and checks the header of an existing one.
func (s *Store) initHeader(dir string) error {
	header := make([]byte, len(fileMagic))
	n, err := s.file.ReadAt(header, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read event log header: %w", err)
	}
	if n == len(header) {
		if string(header) != fileMagic {
			return fmt.Errorf("%w: %s does not start with the event log header", ErrCorrupt, s.path)
		}
		return nil
	}
	if !bytes.HasPrefix([]byte(fileMagic), header[:n]) {
		return fmt.Errorf("%w: %s does not start with the event log header", ErrCorrupt, s.path)
	}
	if _, err := s.file.WriteAt([]byte(fileMagic), 0); err != nil {
		return fmt.Errorf("write event log header: %w", err)
	}
	if err := s.file.Sync(); err != nil {
		return fmt.Errorf("sync event log: %w", err)
	}
	return syncDir(dir)
}

// syncDir makes the creation of the log file durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open data dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync data dir: %w", err)
	}
	return nil
}

// indexFrame adds the events of one frame to the index. Callers hold mu or
// own the store exclusively.
func (s *Store) indexFrame(offset int64, payload []byte) error {
	events, err := splitPayload(payload)
	if err != nil {
		return err
	}
	for _, ev := range events {
		encoded := payload[ev.offset : ev.offset+ev.size]
		header, err := decodeEventHeader(encoded)
		if err != nil {
			return err
		}
		if want := eventstore.Position(len(s.index.entries) + 1); header.position != want {
			return fmt.Errorf("event has position %d, expected %d", header.position, want)
		}
		stream := s.index.streams[header.stream]
		if want := eventstore.Revision(len(stream)); header.revision != want {
			return fmt.Errorf("event of stream %s has revision %d, expected %d", header.stream, header.revision, want)
		}
		s.index.streams[header.stream] = append(stream, header.position)
		s.index.entries = append(s.index.entries, entry{
			offset: offset + frameHeaderSize + int64(ev.offset),
			size:   uint32(ev.size),
		})
	}
	return nil
}

// refresh indexes the frames that the writing process committed since the
// last call. Only read-only stores call it.
func (s *Store) refresh() error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	info, err := s.file.Stat()
	if err != nil {
		return fmt.Errorf("stat event log: %w", err)
	}
	if info.Size() < int64(len(fileMagic)) {
		return nil // the writer is still creating the file
	}
	s.mu.RLock()
	start := s.end
	s.mu.RUnlock()
	if start == 0 {
		if err := s.checkHeader(); err != nil {
			return err
		}
		start = int64(len(fileMagic))
	}
	if info.Size() == start {
		return nil
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	before := len(s.index.entries)
	result, err := scanFrames(s.file, start, info.Size(), s.indexFrame)
	if err != nil {
		return fmt.Errorf("read event log %s: %w", s.path, err)
	}
	s.end = result.end
	if len(s.index.entries) > before {
		close(s.notify)
		s.notify = make(chan struct{})
	}
	return nil
}

func (s *Store) checkHeader() error {
	header := make([]byte, len(fileMagic))
	if _, err := s.file.ReadAt(header, 0); err != nil {
		return fmt.Errorf("read event log header: %w", err)
	}
	if string(header) != fileMagic {
		return fmt.Errorf("%w: %s does not start with the event log header", ErrCorrupt, s.path)
	}
	return nil
}

// beginRead checks that the store is open and, for a read-only store, picks
// up new commits.
func (s *Store) beginRead(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-s.closing:
		return eventstore.ErrClosed
	default:
	}
	if s.readOnly {
		return s.refresh()
	}
	return nil
}

// ReadStream returns the events of stream from revision from onwards. It
// returns ErrStreamNotFound when the stream has no events, and no events
// when from is past the stream's end.
func (s *Store) ReadStream(
	ctx context.Context,
	stream string,
	from eventstore.Revision,
) ([]eventstore.RecordedEvent, error) {
	return s.readStream(ctx, stream, from, -1)
}

// ReadStreamPage implements eventstore.StreamPageReader.
func (s *Store) ReadStreamPage(
	ctx context.Context,
	stream string,
	from eventstore.Revision,
	limit int,
) ([]eventstore.RecordedEvent, error) {
	if err := eventstore.CheckLimit(limit); err != nil {
		return nil, err
	}
	return s.readStream(ctx, stream, from, limit)
}

// readStream reads at most limit events of stream from revision from, or
// every one when limit is negative.
func (s *Store) readStream(
	ctx context.Context,
	stream string,
	from eventstore.Revision,
	limit int,
) ([]eventstore.RecordedEvent, error) {
	if err := s.beginRead(ctx); err != nil {
		return nil, err
	}
	s.mu.RLock()
	positions := s.index.streams[stream]
	if len(positions) == 0 {
		s.mu.RUnlock()
		return nil, fmt.Errorf("read stream %s: %w", stream, eventstore.ErrStreamNotFound)
	}
	var entries []entry
	if from < eventstore.Revision(len(positions)) {
		selected := positions[from:]
		if limit >= 0 && len(selected) > limit {
			selected = selected[:limit]
		}
		entries = make([]entry, 0, len(selected))
		for _, position := range selected {
			entries = append(entries, s.index.entries[position-1])
		}
	}
	s.mu.RUnlock()

	events := make([]eventstore.RecordedEvent, 0, len(entries))
	for _, e := range entries {
		event, err := s.readEntries([]entry{e})
		if err != nil {
			return nil, fmt.Errorf("read stream %s: %w", stream, err)
		}
		events = append(events, event...)
	}
	return events, nil
}

// ReadAll returns up to limit events whose position is greater than after.
// A limit below 1 fails with an error wrapping ErrInvalidLimit.
func (s *Store) ReadAll(
	ctx context.Context,
	after eventstore.Position,
	limit int,
) ([]eventstore.RecordedEvent, error) {
	if err := eventstore.CheckLimit(limit); err != nil {
		return nil, err
	}
	if err := s.beginRead(ctx); err != nil {
		return nil, err
	}
	return s.readAfter(after, limit)
}

// readAfter reads up to limit events after position after with one read of
// the file, because consecutive events are stored next to each other.
func (s *Store) readAfter(after eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	s.mu.RLock()
	head := uint64(len(s.index.entries))
	var entries []entry
	if uint64(after) < head {
		last := min(head, uint64(after)+uint64(limit))
		entries = append(entries, s.index.entries[after:last]...)
	}
	s.mu.RUnlock()
	if len(entries) == 0 {
		return nil, nil
	}
	events, err := s.readEntries(entries)
	if err != nil {
		return nil, fmt.Errorf("read log after position %d: %w", after, err)
	}
	return events, nil
}

// readEntries reads the events of entries, which lie in ascending file
// order, with one read covering all of them.
func (s *Store) readEntries(entries []entry) ([]eventstore.RecordedEvent, error) {
	base := entries[0].offset
	last := entries[len(entries)-1]
	buf := make([]byte, last.offset+int64(last.size)-base)

	s.fileMu.RLock()
	select {
	case <-s.closing:
		s.fileMu.RUnlock()
		return nil, eventstore.ErrClosed
	default:
	}
	_, err := s.file.ReadAt(buf, base)
	s.fileMu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("read event log at offset %d: %w", base, err)
	}

	events := make([]eventstore.RecordedEvent, len(entries))
	for i, e := range entries {
		start := e.offset - base
		event, err := decodeEvent(buf[start : start+int64(e.size)])
		if err != nil {
			return nil, fmt.Errorf("decode event at offset %d: %w", e.offset, err)
		}
		events[i] = event
	}
	return events, nil
}

// Head returns the position of the last event, or 0 for an empty log.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	if err := s.beginRead(ctx); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return eventstore.Position(len(s.index.entries)), nil
}

// Close stops the writer, ends every subscription with ErrClosed, closes the
// file and releases the lock. Appends waiting in the queue fail with
// ErrClosed and are not written. It is safe to call more than once.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closing)
		<-s.writerDone
		s.subs.Wait()
		s.fileMu.Lock()
		err = s.file.Close()
		s.fileMu.Unlock()
		if s.lock != nil {
			if lockErr := s.lock.Close(); err == nil {
				err = lockErr
			}
		}
		if !s.readOnly {
			s.logger.Info().Msg("event log closed")
		}
	})
	if err != nil {
		return fmt.Errorf("close event log: %w", err)
	}
	return nil
}

// CheckUnlocked returns ErrLocked when a writer holds dir's lock, and nil
// when none does. It reads and changes nothing in the log, so tools can ask
// whether a server runs on dir without repairing a torn tail behind its back.
func CheckUnlocked(dir string) error {
	lock, err := lockFile(filepath.Join(dir, LockFileName))
	if err != nil {
		return err
	}
	return lock.Close()
}
