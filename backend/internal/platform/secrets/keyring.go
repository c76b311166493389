// Package secrets encrypts stored credentials under keys derived from the
// store's APP_KEY, and fingerprints them so audits can tell values apart
// without revealing them.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/hkdf"
)

// AppKeyPrefix starts every APP_KEY value, followed by the standard base64
// encoding of AppKeySize random bytes.
const AppKeyPrefix = "base64:"

// AppKeySize is the number of random bytes in an APP_KEY.
const AppKeySize = 32

// sealedPrefix marks the layout of a sealed value: version 1 is standard
// base64 of a 12-byte GCM nonce followed by the ciphertext and its tag.
const sealedPrefix = "v1:"

// HKDF info strings. Changing one makes every stored value undecryptable.
const (
	sealInfo        = "esimscan credentials v1"
	fingerprintInfo = "esimscan fingerprint v1"
)

// fingerprintLength is the number of hex characters kept of the HMAC.
const fingerprintLength = 12

// ErrInvalidAppKey reports an APP_KEY that is not "base64:" followed by
// the base64 of 32 bytes. Its message never contains the key.
var ErrInvalidAppKey = errors.New(`invalid APP_KEY: expected "base64:" followed by the standard base64 encoding of exactly 32 random bytes`)

// ErrUndecryptable reports a sealed value that cannot be opened: the
// APP_KEY changed since it was sealed, the value was tampered with, or it
// was sealed for another field.
var ErrUndecryptable = errors.New("sealed value cannot be decrypted with the current APP_KEY")

// Keyring holds the keys derived from one APP_KEY. It is safe for
// concurrent use, and its String method never prints the keys.
type Keyring struct {
	aead           cipher.AEAD
	fingerprintKey []byte
}

// ParseAppKey derives a Keyring from an APP_KEY value. Surrounding
// whitespace, such as the newline of a key file, is ignored.
func ParseAppKey(s string) (*Keyring, error) {
	encoded, found := strings.CutPrefix(strings.TrimSpace(s), AppKeyPrefix)
	if !found {
		return nil, ErrInvalidAppKey
	}
	master, err := base64.StdEncoding.DecodeString(encoded)
	// The decode error is dropped on purpose: it would quote part of the key.
	if err != nil || len(master) != AppKeySize {
		return nil, ErrInvalidAppKey
	}
	sealKey, err := deriveKey(master, sealInfo)
	if err != nil {
		return nil, err
	}
	fingerprintKey, err := deriveKey(master, fingerprintInfo)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(sealKey)
	if err != nil {
		return nil, fmt.Errorf("create aes cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("create gcm: %w", err)
	}
	return &Keyring{aead: aead, fingerprintKey: fingerprintKey}, nil
}

// GenerateAppKey returns a new random APP_KEY in the form ParseAppKey reads.
func GenerateAppKey() (string, error) {
	master := make([]byte, AppKeySize)
	if _, err := rand.Read(master); err != nil {
		return "", fmt.Errorf("read random app key: %w", err)
	}
	return AppKeyPrefix + base64.StdEncoding.EncodeToString(master), nil
}

func deriveKey(master []byte, info string) ([]byte, error) {
	key := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, master, nil, []byte(info)), key); err != nil {
		return nil, fmt.Errorf("derive key %q: %w", info, err)
	}
	return key, nil
}

// Seal encrypts plaintext with AES-256-GCM under a random nonce.
// associatedData binds the result to its place, such as
// "provider:airalo:client_secret": Open with any other associatedData fails,
// so a sealed value cannot be moved to another field.
func (k *Keyring) Seal(plaintext []byte, associatedData string) (string, error) {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("read random nonce: %w", err)
	}
	sealed := k.aead.Seal(nonce, nonce, plaintext, []byte(associatedData))
	return sealedPrefix + base64.StdEncoding.EncodeToString(sealed), nil
}

// Open decrypts a value made by Seal with the same associatedData. Every
// failure returns ErrUndecryptable, wrapped with what was wrong but never
// with the value.
func (k *Keyring) Open(sealed, associatedData string) ([]byte, error) {
	encoded, found := strings.CutPrefix(sealed, sealedPrefix)
	if !found {
		return nil, fmt.Errorf("unknown sealed value version: %w", ErrUndecryptable)
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(raw) < k.aead.NonceSize()+k.aead.Overhead() {
		return nil, fmt.Errorf("malformed sealed value: %w", ErrUndecryptable)
	}
	nonce, ciphertext := raw[:k.aead.NonceSize()], raw[k.aead.NonceSize():]
	plaintext, err := k.aead.Open(nil, nonce, ciphertext, []byte(associatedData))
	if err != nil {
		return nil, fmt.Errorf("authenticate sealed value: %w", ErrUndecryptable)
	}
	return plaintext, nil
}

// Fingerprint returns the first 12 hex characters of HMAC-SHA256 over
// value: equal values under one APP_KEY give equal fingerprints, and the
// value cannot be recovered from one.
func (k *Keyring) Fingerprint(value string) string {
	mac := hmac.New(sha256.New, k.fingerprintKey)
	mac.Write([]byte(value))
	return hex.EncodeToString(mac.Sum(nil))[:fingerprintLength]
}

// String hides the keys from fmt and loggers.
func (k *Keyring) String() string { return "secrets.Keyring{redacted}" }

// GoString hides the keys from %#v.
func (k *Keyring) GoString() string { return k.String() }
