package domain

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Event types of guests as stored in the log.
const (
	EventGuestKeyIssued = "GuestKeyIssued"
	EventGuestErased    = "GuestErased"
)

// GuestStream returns the stream of the data keys of the guest buyer whose
// email has the keyed hash emailHash.
func GuestStream(emailHash string) string { return "guest-" + emailHash }

// GuestID names one data key of a guest buyer: "guest-<generation>-<email
// hash>". A guest erased and buying again gets the next generation, so the
// erased orders stay unreadable while new ones use a new key.
func GuestID(generation int, emailHash string) string {
	return "guest-" + strconv.Itoa(generation) + "-" + emailHash
}

// ParseGuestID returns the generation and email hash of a GuestID, and
// false for any other text.
func ParseGuestID(id string) (generation int, emailHash string, ok bool) {
	rest, found := strings.CutPrefix(id, "guest-")
	if !found {
		return 0, "", false
	}
	number, hash, found := strings.Cut(rest, "-")
	if !found || !isHexHash(hash) {
		return 0, "", false
	}
	generation, err := strconv.Atoi(number)
	if err != nil || generation < 1 || strconv.Itoa(generation) != number {
		return 0, "", false
	}
	return generation, hash, true
}

// IsGuestID reports whether id names a guest's data key rather than a
// customer account.
func IsGuestID(id string) bool {
	_, _, ok := ParseGuestID(id)
	return ok
}

func isHexHash(text string) bool {
	if len(text) != 64 {
		return false
	}
	for _, r := range text {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// GuestKeyIssued stores a 32-byte data key for the orders a guest places
// with one email, sealed with the APP_KEY keyring.
type GuestKeyIssued struct {
	GuestID   string    `json:"guest_id"`
	SealedKey string    `json:"sealed_key"`
	IssuedAt  time.Time `json:"issued_at"`
}

// GuestErased deletes one data key of a guest: the email of every order
// sealed with it reads as erased from then on.
type GuestErased struct {
	GuestID  string    `json:"guest_id"`
	ErasedAt time.Time `json:"erased_at"`
}

// EventType returns the type stored in the log.
func (GuestKeyIssued) EventType() string { return EventGuestKeyIssued }

// EventType returns the type stored in the log.
func (GuestErased) EventType() string { return EventGuestErased }

// Guest is the state of a guest stream: every data key issued for one
// email, oldest first.
type Guest struct {
	Keys []GuestKey
}

// GuestKey is one generation of a guest's data key.
type GuestKey struct {
	ID        string
	SealedKey string
	Erased    bool
}

// Apply folds one stored event into the guest.
func (g *Guest) Apply(eventType string, data []byte) error {
	switch eventType {
	case EventGuestKeyIssued:
		var event GuestKeyIssued
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		g.Keys = append(g.Keys, GuestKey{ID: event.GuestID, SealedKey: event.SealedKey})
	case EventGuestErased:
		var event GuestErased
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		for i := range g.Keys {
			if g.Keys[i].ID == event.GuestID {
				g.Keys[i].Erased = true
			}
		}
	}
	return nil
}

// Current returns the key new orders are sealed with, or false when there
// is none yet or the newest was erased.
func (g *Guest) Current() (GuestKey, bool) {
	if len(g.Keys) == 0 || g.Keys[len(g.Keys)-1].Erased {
		return GuestKey{}, false
	}
	return g.Keys[len(g.Keys)-1], true
}

// Key returns the generation named id.
func (g *Guest) Key(id string) (GuestKey, bool) {
	for _, key := range g.Keys {
		if key.ID == id {
			return key, true
		}
	}
	return GuestKey{}, false
}

// Next decides the GuestKeyIssued of a new generation for emailHash.
func (g *Guest) Next(emailHash, sealedKey string, at time.Time) (GuestKeyIssued, error) {
	if _, ok := g.Current(); ok {
		return GuestKeyIssued{}, fmt.Errorf("guest %s already has a usable key", emailHash)
	}
	return GuestKeyIssued{GuestID: GuestID(len(g.Keys)+1, emailHash), SealedKey: sealedKey, IssuedAt: at.UTC()}, nil
}

// Erase decides the GuestErased events of every key not erased yet.
func (g *Guest) Erase(at time.Time) []GuestErased {
	var events []GuestErased
	for _, key := range g.Keys {
		if !key.Erased {
			events = append(events, GuestErased{GuestID: key.ID, ErasedAt: at.UTC()})
		}
	}
	return events
}
