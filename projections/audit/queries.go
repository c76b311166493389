package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultLimit is the number of entries Entries returns when the caller
// sets no limit.
const DefaultLimit = 100

// ErrUnknownKind reports a kind other than "margin", "credentials" or "".
var ErrUnknownKind = errors.New("unknown audit kind")

// Entry is one audited change. Old and New are percent strings for margins
// and fingerprints for credentials, nil where there was no value.
type Entry struct {
	At      time.Time `json:"at"`
	Actor   Actor     `json:"actor"`
	Action  string    `json:"action"`
	Subject string    `json:"subject"`
	Old     *string   `json:"old"`
	New     *string   `json:"new"`
}

// Actor is who made a change. Email is empty when the actor is not a known
// admin.
type Actor struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

// Queries is the query side of the audit read model. It is safe for
// concurrent use.
type Queries struct {
	rdb redis.UniversalClient
}

// NewQueries returns the audit queries over rdb.
func NewQueries(rdb redis.UniversalClient) *Queries {
	return &Queries{rdb: rdb}
}

// Entries returns up to limit entries of kind ("margin", "credentials", or
// "" for both), newest first. A limit of zero or less means DefaultLimit.
// An unknown kind gives ErrUnknownKind.
func (q *Queries) Entries(ctx context.Context, kind string, limit int) ([]Entry, error) {
	if kind != "" && kind != KindMargin && kind != KindCredentials {
		return nil, fmt.Errorf("list audit entries of kind %q: %w", kind, ErrUnknownKind)
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	members, err := q.rdb.ZRevRange(ctx, entriesKey(kind), 0, int64(limit-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	stored := make([]storedEntry, 0, len(members))
	actorIDs := make([]string, 0, len(members))
	for _, member := range members {
		_, raw, _ := strings.Cut(member, " ")
		var entry storedEntry
		if err := json.Unmarshal([]byte(raw), &entry); err != nil {
			return nil, fmt.Errorf("decode audit entry: %w", err)
		}
		stored = append(stored, entry)
		actorIDs = append(actorIDs, entry.ActorID)
	}
	emails, err := q.emails(ctx, actorIDs)
	if err != nil {
		return nil, err
	}
	entries := make([]Entry, 0, len(stored))
	for _, entry := range stored {
		entries = append(entries, Entry{
			At:      entry.At,
			Actor:   Actor{ID: entry.ActorID, Email: emails[entry.ActorID]},
			Action:  entry.Action,
			Subject: entry.Subject,
			Old:     entry.Old,
			New:     entry.New,
		})
	}
	return entries, nil
}

// emails maps each known admin id among ids to its email address.
func (q *Queries) emails(ctx context.Context, ids []string) (map[string]string, error) {
	emails := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return emails, nil
	}
	values, err := q.rdb.HMGet(ctx, keyAdmins, ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("look up %d admin emails: %w", len(ids), err)
	}
	for i, value := range values {
		if email, ok := value.(string); ok {
			emails[ids[i]] = email
		}
	}
	return emails, nil
}
