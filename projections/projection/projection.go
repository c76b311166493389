// Package projection runs projectors: Watermill handlers that follow the
// event log and write Redis read models, each with its own checkpoint.
package projection

import (
	"context"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/redis/go-redis/v9"
)

// Metadata keys of the Watermill messages that carry recorded events. The
// message UUID is the event id and the payload is the event's JSON data.
const (
	MetaEventType     = "event_type"
	MetaStream        = "stream"
	MetaRevision      = "revision"
	MetaPosition      = "position"
	MetaRecordedAt    = "recorded_at" // RFC 3339 with nanoseconds, UTC
	MetaActorID       = "actor_id"
	MetaCorrelationID = "correlation_id"
	MetaCausationID   = "causation_id"
	MetaSchemaVersion = "schema_version"
)

// Event is a recorded event as projectors see it.
type Event struct {
	ID            string
	Type          string
	Stream        string
	Revision      uint64
	Position      uint64
	RecordedAt    time.Time
	Data          []byte
	ActorID       string
	CorrelationID string
	CausationID   string
	SchemaVersion int
}

// Projector builds one read model from the log.
//
// Name is the projector's checkpoint key: renaming a projector replays the
// whole log into it. Every Redis key of its read model starts with
// KeyPrefix, so that a rebuild can drop them all.
type Projector interface {
	Name() string
	KeyPrefix() string

	// Apply queues the writes for ev on tx, which the runner executes in one
	// MULTI/EXEC together with the checkpoint. It may read committed state
	// through rdb. Events of types it does not use are ignored (return nil).
	// An error makes the runner retry, then park the event.
	Apply(ctx context.Context, rdb redis.Cmdable, tx redis.Pipeliner, ev Event) error
}

// Versioned is implemented by a projector whose stored read model changes
// shape between releases. When the version stored beside the checkpoint
// differs from Version, the runner drops the read model and rebuilds it
// from the log at start, so an upgrade never reads records of the old
// shape. A projector that does not implement it is at version 0.
type Versioned interface {
	Version() int
}

// VersionKey is the Redis key of a projector's read model version.
func VersionKey(name string) string { return "proj:" + name + ":version" }

func versionOf(p Projector) int {
	if versioned, ok := p.(Versioned); ok {
		return versioned.Version()
	}
	return 0
}

// Source gives projectors the event log.
type Source interface {
	// NewSubscriber returns a Watermill subscriber whose Subscribe delivers
	// every event with a position greater than after, then new events live.
	// The topic passed to Subscribe is ignored.
	NewSubscriber(after uint64) (message.Subscriber, error)

	// Head returns the position of the last event in the log.
	Head(ctx context.Context) (uint64, error)
}
