// Package audit projects margin and credential changes into the audit read
// model: who changed what, when, from which value to which. Credential
// entries carry fingerprints, never values.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"esimscan/projections/projection"
)

// Name is the audit projector's name and checkpoint key.
const Name = "audit"

// Entry kinds for Entries.
const (
	KindMargin      = "margin"
	KindCredentials = "credentials"
)

// Entry actions.
const (
	ActionProviderMarginSet = "provider_margin_set"
	ActionPackageMarginSet  = "package_margin_set"
	ActionCredentialSet     = "credential_set"
)

// Event types the audit projector consumes, as stored in the log.
const (
	typeAdminCreated          = "AdminCreated"
	typeProviderMarginSet     = "ProviderMarginSet"
	typePackageMarginSet      = "PackageMarginSet"
	typeProviderCredentialSet = "ProviderCredentialSet"
	typePaymentCredentialSet  = "PaymentCredentialSet"
)

const keyPrefix = "audit:"

// keyAdmins is a hash of admin id to email address.
const keyAdmins = keyPrefix + "admins"

// entriesKey is a sorted set of the entries of one kind, or of all kinds
// when kind is empty, scored by log position. Each member is the position,
// a space and the JSON storedEntry: the position keeps two equal changes
// apart, and a repeated event adds no second entry.
func entriesKey(kind string) string {
	if kind == "" {
		return keyPrefix + "entries:all"
	}
	return keyPrefix + "entries:" + kind
}

// storedEntry is an Entry without the actor's email, which is looked up
// when the entry is read.
type storedEntry struct {
	At      time.Time `json:"at"`
	ActorID string    `json:"actor_id"`
	Action  string    `json:"action"`
	Subject string    `json:"subject"`
	Old     *string   `json:"old"`
	New     *string   `json:"new"`
}

// auditEvent holds the fields of every event that this read model uses.
// The sealed value of the credential events is deliberately absent.
type auditEvent struct {
	// AdminCreated
	AdminID string `json:"admin_id"`
	Email   string `json:"email"`

	// ProviderMarginSet and PackageMarginSet
	Slug       string  `json:"slug"`
	PackageID  string  `json:"package_id"`
	OldPercent *string `json:"old_percent"`
	NewPercent *string `json:"new_percent"`

	// PaymentCredentialSet
	Gateway string `json:"gateway"`

	// ProviderCredentialSet and PaymentCredentialSet
	Field          string  `json:"field"`
	OldFingerprint *string `json:"old_fingerprint"`
	Fingerprint    string  `json:"fingerprint"`
}

type projector struct{}

// NewProjector returns the audit projector. It keeps no state of its own
// and is safe for concurrent use.
func NewProjector() projection.Projector { return projector{} }

func (projector) Name() string      { return Name }
func (projector) KeyPrefix() string { return keyPrefix }

// Apply queues the audit writes for ev on tx. The entry's time is the time
// the event was recorded and its actor the event's actor id.
func (projector) Apply(ctx context.Context, _ redis.Cmdable, tx redis.Pipeliner, ev projection.Event) error {
	switch ev.Type {
	case typeAdminCreated, typeProviderMarginSet, typePackageMarginSet, typeProviderCredentialSet,
		typePaymentCredentialSet:
	default:
		return nil
	}
	var payload auditEvent
	if err := json.Unmarshal(ev.Data, &payload); err != nil {
		return fmt.Errorf("decode %s: %w", ev.Type, err)
	}
	if ev.Type == typeAdminCreated {
		if payload.AdminID == "" {
			return fmt.Errorf("decode %s: missing admin_id", ev.Type)
		}
		tx.HSet(ctx, keyAdmins, payload.AdminID, payload.Email)
		return nil
	}
	entry, kind, err := entryOf(ev, payload)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(entry)
	if err != nil {
		return fmt.Errorf("encode audit entry of %s: %w", ev.Type, err)
	}
	member := redis.Z{Score: float64(ev.Position), Member: fmt.Sprintf("%020d %s", ev.Position, raw)}
	tx.ZAdd(ctx, entriesKey(kind), member)
	tx.ZAdd(ctx, entriesKey(""), member)
	return nil
}

// entryOf builds the audit entry of a margin or credential event and
// returns its kind.
func entryOf(ev projection.Event, payload auditEvent) (storedEntry, string, error) {
	entry := storedEntry{At: ev.RecordedAt.UTC(), ActorID: ev.ActorID}
	switch ev.Type {
	case typeProviderMarginSet:
		if payload.Slug == "" {
			return storedEntry{}, "", fmt.Errorf("decode %s: missing slug", ev.Type)
		}
		entry.Action = ActionProviderMarginSet
		entry.Subject = "provider:" + payload.Slug
		entry.Old, entry.New = payload.OldPercent, payload.NewPercent
		return entry, KindMargin, nil
	case typePackageMarginSet:
		if payload.PackageID == "" {
			return storedEntry{}, "", fmt.Errorf("decode %s: missing package_id", ev.Type)
		}
		entry.Action = ActionPackageMarginSet
		entry.Subject = "package:" + payload.PackageID
		entry.Old, entry.New = payload.OldPercent, payload.NewPercent
		return entry, KindMargin, nil
	case typePaymentCredentialSet:
		if payload.Gateway == "" || payload.Field == "" {
			return storedEntry{}, "", fmt.Errorf("decode %s: missing gateway or field", ev.Type)
		}
		fingerprint := payload.Fingerprint
		entry.Action = ActionCredentialSet
		entry.Subject = "payments:" + payload.Gateway + ":" + payload.Field
		entry.Old, entry.New = payload.OldFingerprint, &fingerprint
		return entry, KindCredentials, nil
	default:
		if payload.Slug == "" || payload.Field == "" {
			return storedEntry{}, "", fmt.Errorf("decode %s: missing slug or field", ev.Type)
		}
		fingerprint := payload.Fingerprint
		entry.Action = ActionCredentialSet
		entry.Subject = "provider:" + payload.Slug + ":" + payload.Field
		entry.Old, entry.New = payload.OldFingerprint, &fingerprint
		return entry, KindCredentials, nil
	}
}
