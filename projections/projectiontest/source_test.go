package projectiontest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/redis/go-redis/v9"

	"esimscan/projections/projection"
	"esimscan/projections/projectiontest"
)

const waitTimeout = 5 * time.Second

// receive acks and decodes the next message.
func receive(t *testing.T, messages <-chan *message.Message) projection.Event {
	t.Helper()
	select {
	case msg, ok := <-messages:
		if !ok {
			t.Fatalf("subscription closed, want a message")
		}
		ev, err := projection.DecodeMessage(msg)
		if err != nil {
			t.Fatalf("DecodeMessage: %v", err)
		}
		msg.Ack()
		return ev
	case <-time.After(waitTimeout):
		t.Fatalf("no message within %s", waitTimeout)
		return projection.Event{}
	}
}

func subscribe(t *testing.T, source *projectiontest.MemorySource, after uint64) (<-chan *message.Message, message.Subscriber) {
	t.Helper()
	sub, err := source.NewSubscriber(after)
	if err != nil {
		t.Fatalf("NewSubscriber: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	messages, err := sub.Subscribe(ctx, "all")
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	return messages, sub
}

func TestMemorySource_Append_assignsPositions(t *testing.T) {
	source := projectiontest.NewMemorySource()
	head := source.Append(projection.Event{Type: "A"}, projection.Event{Type: "B", ID: "fixed"})

	if head != 2 {
		t.Errorf("Append returned head %d, want 2", head)
	}
	events := source.Events()
	if events[0].Position != 1 || events[1].Position != 2 {
		t.Errorf("positions = %d, %d, want 1, 2", events[0].Position, events[1].Position)
	}
	if events[0].ID == "" {
		t.Errorf("empty ID was not filled")
	}
	if events[1].ID != "fixed" {
		t.Errorf("ID = %q, want the given fixed", events[1].ID)
	}
	if events[0].RecordedAt.IsZero() {
		t.Errorf("RecordedAt was not filled")
	}
	if got, _ := source.Head(context.Background()); got != 2 {
		t.Errorf("Head = %d, want 2", got)
	}
}

func TestMemorySource_Subscribe_deliversAfterPositionThenLive(t *testing.T) {
	source := projectiontest.NewMemorySource()
	source.Append(projection.Event{Type: "A"}, projection.Event{Type: "B"})
	messages, _ := subscribe(t, source, 1)

	if ev := receive(t, messages); ev.Type != "B" || ev.Position != 2 {
		t.Fatalf("first delivery = %s at %d, want B at 2", ev.Type, ev.Position)
	}
	source.Append(projection.Event{Type: "C"})
	if ev := receive(t, messages); ev.Type != "C" || ev.Position != 3 {
		t.Errorf("live delivery = %s at %d, want C at 3", ev.Type, ev.Position)
	}
}

func TestMemorySource_Subscribe_nackRedelivers(t *testing.T) {
	source := projectiontest.NewMemorySource()
	source.Append(projection.Event{Type: "A"}, projection.Event{Type: "B"})
	messages, _ := subscribe(t, source, 0)

	first := <-messages
	first.Nack()
	again := <-messages
	if again.UUID != first.UUID {
		t.Fatalf("after a nack got %s, want %s again", again.UUID, first.UUID)
	}
	again.Ack()
	if ev := receive(t, messages); ev.Type != "B" {
		t.Errorf("after the ack got %s, want B", ev.Type)
	}
}

func TestMemorySource_Close_endsSubscription(t *testing.T) {
	source := projectiontest.NewMemorySource()
	messages, sub := subscribe(t, source, 0)

	if err := sub.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case _, ok := <-messages:
		if ok {
			t.Errorf("got a message after Close, want the channel closed")
		}
	case <-time.After(waitTimeout):
		t.Fatalf("channel still open %s after Close", waitTimeout)
	}
	if _, err := sub.Subscribe(context.Background(), "all"); !errors.Is(err, projectiontest.ErrSubscriberClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrSubscriberClosed", err)
	}
}

func TestRealRedis_separateDatabases(t *testing.T) {
	first := projectiontest.RealRedis(t)
	second := projectiontest.RealRedis(t)
	ctx := context.Background()

	if err := first.Set(ctx, "projectiontest:key", "first", 0).Err(); err != nil {
		t.Fatalf("SET on the first client: %v", err)
	}
	if err := second.Get(ctx, "projectiontest:key").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("second client sees the first client's key: GET = %v, want redis.Nil", err)
	}
}

func TestForEachRedis_runsMiniredis(t *testing.T) {
	ran := false
	projectiontest.ForEachRedis(t, func(t *testing.T, rdb redis.UniversalClient) {
		if err := rdb.Ping(context.Background()).Err(); err != nil {
			t.Errorf("PING: %v", err)
		}
		ran = true
	})
	if !ran {
		t.Errorf("ForEachRedis ran no subtest")
	}
}
