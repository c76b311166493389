package app

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// accessTokenBytes is the entropy of an order's access token.
const accessTokenBytes = 32

// newAccessToken returns 32 random bytes as unpadded base64url.
func newAccessToken() (string, error) {
	raw := make([]byte, accessTokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("read random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// HashToken returns the hex SHA-256 of an order's access token, the form
// stored in OrderPlaced.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TokenMatches reports whether token hashes to hash, in constant time. An
// empty token never matches.
func TokenMatches(hash, token string) bool {
	if token == "" || hash == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hash), []byte(HashToken(token))) == 1
}

// Access is the proof a request gives to act on an order: the order's access
// token, or the id of the signed-in customer whose account placed it.
type Access struct {
	Token      string
	CustomerID string
}

// empty reports whether the request shows neither.
func (a Access) empty() bool { return a.Token == "" && a.CustomerID == "" }

// opens reports whether a opens an order whose access token hashes to
// tokenHash and whose OrderPlaced names customerID ("" for a guest order).
func (a Access) opens(tokenHash, customerID string) bool {
	if TokenMatches(tokenHash, a.Token) {
		return true
	}
	return a.CustomerID != "" && subtle.ConstantTimeCompare([]byte(a.CustomerID), []byte(customerID)) == 1
}
