package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// StoreStream is the stream of the store's installation.
const StoreStream = "store"

// AdminStream returns the stream of one admin account.
func AdminStream(adminID string) string { return "admin-" + adminID }

// AdminEmailStream returns the stream reserving email: "adminemail-" and
// the first 32 hex digits of the SHA-256 of the normalized address, so the
// address itself is not in the stream name.
func AdminEmailStream(email string) string {
	return "adminemail-" + EmailKey(email)
}

// EmailKey returns the first 32 hex digits of the SHA-256 of the
// normalized email, a key that does not reveal the address.
func EmailKey(email string) string {
	sum := sha256.Sum256([]byte(NormalizeEmail(email)))
	return hex.EncodeToString(sum[:])[:32]
}

// NormalizeEmail trims and lower-cases an email address, so that one
// address has one account whatever its spelling.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}
