package wmsource

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/eventstore/filestore"
	"esimscan/projections/projection"
)

const waitTimeout = 10 * time.Second

func openStore(t *testing.T) *filestore.Store {
	t.Helper()
	store, err := filestore.Open(t.TempDir(), filestore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return store
}

func newTestSource(store eventstore.Store) *Source {
	source := NewSource(store, watermill.NopLogger{})
	source.firstBackoff = 5 * time.Millisecond
	source.maxBackoff = 20 * time.Millisecond
	return source
}

// appendEvents appends n events to stream and returns their IDs.
func appendEvents(t *testing.T, store eventstore.Store, stream string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = uuid.NewString()
		event := eventstore.EventData{
			ID:   ids[i],
			Type: "TestEvent",
			Data: fmt.Appendf(nil, `{"n":%d}`, i),
			Metadata: eventstore.Metadata{
				ActorID:       "admin-1",
				CorrelationID: "corr-" + ids[i],
				CausationID:   "cause-" + ids[i],
				SchemaVersion: 2,
			},
		}
		if _, err := store.Append(context.Background(), stream, eventstore.Any(), event); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// collector records the messages a router handler receives.
type collector struct {
	mu       sync.Mutex
	messages []*message.Message
	changed  chan struct{}
}

func newCollector() *collector {
	return &collector{changed: make(chan struct{}, 1)}
}

func (c *collector) add(msg *message.Message) {
	c.mu.Lock()
	c.messages = append(c.messages, msg)
	c.mu.Unlock()
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// waitFor waits until n messages arrived and returns them.
func (c *collector) waitFor(t *testing.T, n int) []*message.Message {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		got := append([]*message.Message(nil), c.messages...)
		c.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-c.changed:
		case <-deadline.C:
			t.Fatalf("received %d messages within %s, want %d", len(got), waitTimeout, n)
		}
	}
}

// runRouter runs a Watermill router with one handler on a subscriber from
// source, starting after position after.
func runRouter(t *testing.T, source *Source, after uint64, handle message.NoPublishHandlerFunc) {
	t.Helper()
	router, err := message.NewRouter(message.RouterConfig{}, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	subscriber, err := source.NewSubscriber(after)
	if err != nil {
		t.Fatal(err)
	}
	router.AddConsumerHandler("test", "ignored", subscriber, handle)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- router.Run(ctx) }()
	select {
	case <-router.Running():
	case <-time.After(waitTimeout):
		t.Fatal("router did not start")
	}
	t.Cleanup(func() {
		cancel()
		_ = router.Close()
		select {
		case <-done:
		case <-time.After(waitTimeout):
			t.Error("router did not stop")
		}
	})
}

func TestSource_deliversCatchUpAndLive(t *testing.T) {
	store := openStore(t)
	ids := appendEvents(t, store, "order-wm1", 3)
	got := newCollector()
	runRouter(t, newTestSource(store), 0, func(msg *message.Message) error {
		got.add(msg)
		return nil
	})
	ids = append(ids, appendEvents(t, store, "order-wm1", 2)...)

	messages := got.waitFor(t, len(ids))
	for i, msg := range messages {
		if msg.UUID != ids[i] {
			t.Errorf("message %d: UUID %s, want %s", i, msg.UUID, ids[i])
		}
		if want := fmt.Sprintf(`{"n":%d}`, i%3); i < 3 && string(msg.Payload) != want {
			t.Errorf("message %d: payload %s, want %s", i, msg.Payload, want)
		}
		if got := msg.Metadata.Get(projection.MetaPosition); got != strconv.Itoa(i+1) {
			t.Errorf("message %d: position %s, want %d", i, got, i+1)
		}
	}
}

func TestSource_messageMetadata(t *testing.T) {
	store := openStore(t)
	ids := appendEvents(t, store, "order-wm2", 1)
	recorded, err := store.ReadStream(context.Background(), "order-wm2", 0)
	if err != nil {
		t.Fatal(err)
	}
	got := newCollector()
	runRouter(t, newTestSource(store), 0, func(msg *message.Message) error {
		got.add(msg)
		return nil
	})

	msg := got.waitFor(t, 1)[0]
	want := map[string]string{
		projection.MetaEventType:     "TestEvent",
		projection.MetaStream:        "order-wm2",
		projection.MetaRevision:      "0",
		projection.MetaPosition:      "1",
		projection.MetaRecordedAt:    recorded[0].RecordedAt.Format(time.RFC3339Nano),
		projection.MetaActorID:       "admin-1",
		projection.MetaCorrelationID: "corr-" + ids[0],
		projection.MetaCausationID:   "cause-" + ids[0],
		projection.MetaSchemaVersion: "2",
	}
	for key, value := range want {
		if got := msg.Metadata.Get(key); got != value {
			t.Errorf("metadata %s = %q, want %q", key, got, value)
		}
	}
	at, err := time.Parse(time.RFC3339Nano, msg.Metadata.Get(projection.MetaRecordedAt))
	if err != nil || !at.Equal(recorded[0].RecordedAt) {
		t.Errorf("recorded_at parses to %s (%v), want %s", at, err, recorded[0].RecordedAt)
	}
}

func TestSource_startsAfterPosition(t *testing.T) {
	store := openStore(t)
	ids := appendEvents(t, store, "order-wm3", 5)
	got := newCollector()
	runRouter(t, newTestSource(store), 3, func(msg *message.Message) error {
		got.add(msg)
		return nil
	})
	messages := got.waitFor(t, 2)
	if messages[0].UUID != ids[3] || messages[1].UUID != ids[4] {
		t.Errorf("delivered %s, %s, want %s, %s", messages[0].UUID, messages[1].UUID, ids[3], ids[4])
	}
}

// TestSource_nackRedeliversSameMessage fails the second event twice: the
// router nacks it, and it must come back unchanged before the third event.
func TestSource_nackRedeliversSameMessage(t *testing.T) {
	store := openStore(t)
	ids := appendEvents(t, store, "order-wm4", 3)
	got := newCollector()
	failures := 0
	runRouter(t, newTestSource(store), 0, func(msg *message.Message) error {
		got.add(msg)
		if msg.UUID == ids[1] && failures < 2 {
			failures++
			return errors.New("projector failed")
		}
		return nil
	})

	messages := got.waitFor(t, 5)
	want := []string{ids[0], ids[1], ids[1], ids[1], ids[2]}
	for i, msg := range messages {
		if msg.UUID != want[i] {
			t.Errorf("delivery %d: %s, want %s", i, msg.UUID, want[i])
		}
	}
	for _, msg := range messages[1:4] {
		if msg.Metadata.Get(projection.MetaPosition) != "2" || string(msg.Payload) != `{"n":1}` {
			t.Errorf("redelivered message changed: position %s payload %s", msg.Metadata.Get(projection.MetaPosition), msg.Payload)
		}
	}
}

func receive(t *testing.T, messages <-chan *message.Message) *message.Message {
	t.Helper()
	select {
	case msg, ok := <-messages:
		if !ok {
			t.Fatal("message channel closed")
		}
		return msg
	case <-time.After(waitTimeout):
		t.Fatalf("no message within %s", waitTimeout)
	}
	return nil
}

func TestSubscriber_waitsForAck(t *testing.T) {
	store := openStore(t)
	ids := appendEvents(t, store, "order-wm5", 2)
	subscriber, err := newTestSource(store).NewSubscriber(0)
	if err != nil {
		t.Fatal(err)
	}
	defer subscriber.Close()
	messages, err := subscriber.Subscribe(context.Background(), "ignored")
	if err != nil {
		t.Fatal(err)
	}

	first := receive(t, messages)
	select {
	case msg := <-messages:
		t.Fatalf("received %s before acking %s", msg.UUID, first.UUID)
	case <-time.After(100 * time.Millisecond):
	}
	first.Ack()
	select {
	case <-first.Context().Done():
	case <-time.After(waitTimeout):
		t.Error("message context not canceled after ack")
	}
	if second := receive(t, messages); second.UUID != ids[1] {
		t.Errorf("second message %s, want %s", second.UUID, ids[1])
	}
}

func TestSubscriber_closeEndsChannel(t *testing.T) {
	store := openStore(t)
	appendEvents(t, store, "order-wm6", 1)
	subscriber, err := newTestSource(store).NewSubscriber(0)
	if err != nil {
		t.Fatal(err)
	}
	messages, err := subscriber.Subscribe(context.Background(), "ignored")
	if err != nil {
		t.Fatal(err)
	}
	receive(t, messages) // left unacked
	if err := subscriber.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case _, ok := <-messages:
		if ok {
			t.Error("message delivered after Close")
		}
	case <-time.After(waitTimeout):
		t.Fatal("channel still open after Close")
	}
	if _, err := subscriber.Subscribe(context.Background(), "ignored"); !errors.Is(err, ErrSubscriberClosed) {
		t.Errorf("subscribe after close: err = %v, want ErrSubscriberClosed", err)
	}
	if err := subscriber.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}

func TestSubscriber_contextEndsChannel(t *testing.T) {
	store := openStore(t)
	subscriber, err := newTestSource(store).NewSubscriber(0)
	if err != nil {
		t.Fatal(err)
	}
	defer subscriber.Close()
	ctx, cancel := context.WithCancel(context.Background())
	messages, err := subscriber.Subscribe(ctx, "ignored")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case _, ok := <-messages:
		if ok {
			t.Error("message delivered after cancel")
		}
	case <-time.After(waitTimeout):
		t.Fatal("channel still open after the context ended")
	}
}

// failingStore makes the first subscription fail after delivering some
// events, as a dropped connection to EventStoreDB would.
type failingStore struct {
	eventstore.Store
	mu         sync.Mutex
	failAfter  int
	subscribes []eventstore.Position
}

func (s *failingStore) SubscribeAll(ctx context.Context, after eventstore.Position) (eventstore.Subscription, error) {
	s.mu.Lock()
	s.subscribes = append(s.subscribes, after)
	first := len(s.subscribes) == 1
	s.mu.Unlock()
	inner, err := s.Store.SubscribeAll(ctx, after)
	if err != nil || !first {
		return inner, err
	}
	return newFailingSubscription(inner, s.failAfter), nil
}

type failingSubscription struct {
	inner  eventstore.Subscription
	events chan eventstore.RecordedEvent
	done   chan struct{}
}

func newFailingSubscription(inner eventstore.Subscription, failAfter int) *failingSubscription {
	sub := &failingSubscription{inner: inner, events: make(chan eventstore.RecordedEvent), done: make(chan struct{})}
	go func() {
		defer close(sub.events)
		for range failAfter {
			select {
			case event := <-inner.Events():
				select {
				case sub.events <- event:
				case <-sub.done:
					return
				}
			case <-sub.done:
				return
			}
		}
	}()
	return sub
}

func (s *failingSubscription) Events() <-chan eventstore.RecordedEvent { return s.events }
func (s *failingSubscription) Err() error                              { return errors.New("connection lost") }
func (s *failingSubscription) Close() error {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	return s.inner.Close()
}

func TestSource_resubscribesAfterFailure(t *testing.T) {
	store := &failingStore{Store: openStore(t), failAfter: 2}
	ids := appendEvents(t, store, "order-wm7", 5)
	got := newCollector()
	runRouter(t, newTestSource(store), 0, func(msg *message.Message) error {
		got.add(msg)
		return nil
	})

	messages := got.waitFor(t, len(ids))
	for i, msg := range messages {
		if i < len(ids) && msg.UUID != ids[i] {
			t.Errorf("delivery %d: %s, want %s", i, msg.UUID, ids[i])
		}
	}
	if len(messages) != len(ids) {
		t.Errorf("%d deliveries, want %d", len(messages), len(ids))
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	if len(store.subscribes) < 2 || store.subscribes[1] != 2 {
		t.Errorf("subscriptions started after %v, want a second one after position 2", store.subscribes)
	}
}

func TestSource_head(t *testing.T) {
	store := openStore(t)
	source := newTestSource(store)
	appendEvents(t, store, "order-wm8", 4)
	head, err := source.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if head != 4 {
		t.Errorf("head = %d, want 4", head)
	}
}
