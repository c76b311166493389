package filestore

import (
	"context"
	"fmt"
	"time"

	"esimscan/backend/internal/eventstore"
)

// defaultMaxBatch bounds how many appends share one write and fsync.
const defaultMaxBatch = 256

// maxKeptBuffer bounds the write buffer the writer keeps between commits.
// A larger one, left by a very large append, is dropped after its commit
// so that it does not stay in memory for the life of the store.
const maxKeptBuffer = 1 << 20

type appendRequest struct {
	ctx      context.Context
	stream   string
	expected eventstore.ExpectedRevision
	events   []eventstore.EventData
	reply    chan appendReply // buffered, receives exactly one reply
}

type appendReply struct {
	result eventstore.AppendResult
	err    error
}

// Append writes events to the end of stream atomically and returns after
// they are on disk. Once the request is queued it waits for the writer's
// decision even if ctx ends, so that the caller never gets an error for
// events that were written. The writer drops a request whose ctx has ended
// before its turn. See eventstore.Store for the expected-revision rules.
func (s *Store) Append(
	ctx context.Context,
	stream string,
	expected eventstore.ExpectedRevision,
	events ...eventstore.EventData,
) (eventstore.AppendResult, error) {
	if s.readOnly {
		return eventstore.AppendResult{}, ErrReadOnly
	}
	prepared, err := eventstore.PrepareAppend(stream, events)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	req := &appendRequest{
		ctx:      ctx,
		stream:   stream,
		expected: expected,
		events:   prepared,
		reply:    make(chan appendReply, 1),
	}
	select {
	case s.requests <- req:
	case <-s.closing:
		return eventstore.AppendResult{}, eventstore.ErrClosed
	case <-ctx.Done():
		return eventstore.AppendResult{}, ctx.Err()
	}
	select {
	case reply := <-req.reply:
		return reply.result, reply.err
	case <-s.writerDone:
		// The writer replies before it exits, so a reply may be waiting.
		select {
		case reply := <-req.reply:
			return reply.result, reply.err
		default:
			return eventstore.AppendResult{}, eventstore.ErrClosed
		}
	}
}

// runWriter is the only goroutine that writes the file. It takes the
// appends queued while the previous fsync ran and commits them together.
func (s *Store) runWriter() {
	defer close(s.writerDone)
	batch := make([]*appendRequest, 0, s.maxBatch)
	var buf []byte
	for {
		select {
		case req := <-s.requests:
			batch = append(batch[:0], req)
		case <-s.closing:
			s.rejectQueued()
			return
		}
	drain:
		for len(batch) < s.maxBatch {
			select {
			case req := <-s.requests:
				batch = append(batch, req)
			default:
				break drain
			}
		}
		buf = s.commit(batch, buf[:0])
		if cap(buf) > maxKeptBuffer {
			buf = nil
		}
		clear(batch) // so that the requests and their events can be collected
	}
}

func (s *Store) rejectQueued() {
	for {
		select {
		case req := <-s.requests:
			req.reply <- appendReply{err: eventstore.ErrClosed}
		default:
			return
		}
	}
}

// streamState is a stream's state including the appends planned earlier in
// the same batch.
type streamState struct {
	count        int // events in the stream
	lastPosition eventstore.Position
}

// plannedFrame is an accepted append waiting for the batch's write.
type plannedFrame struct {
	request  int
	start    int // offset of the frame in the batch buffer
	stream   string
	position eventstore.Position // of the first event
	sizes    []frameEvent
	result   eventstore.AppendResult
}

// commit decides each request in order, writes the accepted ones with one
// write and fsync, updates the index and replies. It returns buf for reuse.
func (s *Store) commit(batch []*appendRequest, buf []byte) []byte {
	replies := make([]appendReply, len(batch))
	planned, buf := s.plan(batch, buf, replies)
	if len(planned) > 0 {
		if err := s.write(buf); err != nil {
			for _, frame := range planned {
				replies[frame.request] = appendReply{err: err}
			}
		} else {
			s.publish(planned, buf)
			for _, frame := range planned {
				replies[frame.request] = appendReply{result: frame.result}
			}
		}
	}
	for i, req := range batch {
		req.reply <- replies[i]
	}
	return buf
}

// plan checks each request against the stream state, assigns revisions and
// positions, and encodes the accepted requests as frames into buf. Rejected
// requests get their reply in replies.
func (s *Store) plan(
	batch []*appendRequest,
	buf []byte,
	replies []appendReply,
) ([]plannedFrame, []byte) {
	s.mu.RLock()
	failure := s.failure
	nextPosition := eventstore.Position(len(s.index.entries)) + 1
	states := make(map[string]streamState, len(batch))
	for _, req := range batch {
		if _, ok := states[req.stream]; ok {
			continue
		}
		positions := s.index.streams[req.stream]
		state := streamState{count: len(positions)}
		if len(positions) > 0 {
			state.lastPosition = positions[len(positions)-1]
		}
		states[req.stream] = state
	}
	s.mu.RUnlock()

	var planned []plannedFrame
	now := time.Now().UTC()
	for i, req := range batch {
		if failure != nil {
			replies[i] = appendReply{err: fmt.Errorf("event log failed earlier, reopen the store: %w", failure)}
			continue
		}
		if err := req.ctx.Err(); err != nil {
			replies[i] = appendReply{err: err}
			continue
		}
		state := states[req.stream]
		if err := checkExpected(req.stream, req.expected, state.count); err != nil {
			replies[i] = appendReply{err: err}
			continue
		}
		if len(req.events) == 0 {
			// An empty append writes nothing and reports the current state.
			replies[i] = appendReply{result: resultOf(state)}
			continue
		}
		frame := plannedFrame{request: i, start: len(buf), stream: req.stream, position: nextPosition}
		var err error
		buf, frame.sizes, err = appendFrame(buf, &frameEvents{
			stream:     req.stream,
			first:      eventstore.Revision(state.count),
			position:   nextPosition,
			recordedAt: now,
			events:     req.events,
		})
		if err != nil {
			replies[i] = appendReply{err: err}
			continue
		}
		state.count += len(req.events)
		state.lastPosition = nextPosition + eventstore.Position(len(req.events)-1)
		nextPosition = state.lastPosition + 1
		states[req.stream] = state
		frame.result = resultOf(state)
		planned = append(planned, frame)
	}
	return planned, buf
}

// resultOf reports a stream's state as an AppendResult: the revision and
// position of its last event, both 0 for a stream with no events.
func resultOf(state streamState) eventstore.AppendResult {
	if state.count == 0 {
		return eventstore.AppendResult{}
	}
	return eventstore.AppendResult{
		NextRevision: eventstore.Revision(state.count - 1),
		Position:     state.lastPosition,
	}
}

func checkExpected(stream string, expected eventstore.ExpectedRevision, count int) error {
	if expected.IsAny() {
		return nil
	}
	if expected.IsNoStream() {
		if count == 0 {
			return nil
		}
		return fmt.Errorf(
			"append to %s: expected no stream, last revision is %d: %w",
			stream, count-1, eventstore.ErrWrongExpectedRevision,
		)
	}
	revision, _ := expected.ExactRevision()
	if count > 0 && eventstore.Revision(count-1) == revision {
		return nil
	}
	if count == 0 {
		return fmt.Errorf(
			"append to %s: expected revision %d, stream has no events: %w",
			stream, revision, eventstore.ErrWrongExpectedRevision,
		)
	}
	return fmt.Errorf(
		"append to %s: expected revision %d, last revision is %d: %w",
		stream, revision, count-1, eventstore.ErrWrongExpectedRevision,
	)
}

// write appends buf to the file and syncs it. After a failure the file's
// contents past the last commit are unknown, so the store rejects further
// appends until it is reopened.
func (s *Store) write(buf []byte) error {
	s.mu.RLock()
	end := s.end
	s.mu.RUnlock()
	_, err := s.file.WriteAt(buf, end)
	if err == nil && !s.noSync {
		err = s.file.Sync()
	}
	s.syncs.Add(1)
	if err == nil {
		return nil
	}

	err = fmt.Errorf("write event log at offset %d: %w", end, err)
	// NOTE: the failed appends are reported as failed, but if this truncate
	// also fails, their frames may be complete on disk and a reopen keeps them.
	if truncateErr := s.file.Truncate(end); truncateErr != nil {
		s.logger.Error().Err(truncateErr).Int64("offset", end).Msg("event log truncate after failed write failed")
	}
	s.logger.Error().Err(err).Msg("event log write failed, appends are rejected until restart")
	s.mu.Lock()
	s.failure = err
	s.mu.Unlock()
	return err
}

// publish adds the written frames to the index and wakes subscriptions.
func (s *Store) publish(planned []plannedFrame, buf []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	base := s.end
	for _, frame := range planned {
		payloadOffset := base + int64(frame.start) + frameHeaderSize
		positions := s.index.streams[frame.stream]
		for j := range frame.sizes {
			positions = append(positions, frame.position+eventstore.Position(j))
			s.index.entries = append(s.index.entries, entry{
				offset: payloadOffset + int64(frame.sizes[j].offset),
				size:   uint32(frame.sizes[j].size),
			})
		}
		s.index.streams[frame.stream] = positions
	}
	s.end = base + int64(len(buf))
	close(s.notify)
	s.notify = make(chan struct{})
}
