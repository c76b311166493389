package domain

import "esimscan/backend/internal/platform/passwords"

// Admin passwords are hashed with the shared argon2id helpers, which
// customer accounts use too.
type PasswordParams = passwords.PasswordParams

// DefaultPasswordParams are the argon2id parameters of new admin hashes.
var DefaultPasswordParams = passwords.DefaultPasswordParams

// ErrInvalidPasswordHash reports a stored hash that is not an argon2id PHC string.
var ErrInvalidPasswordHash = passwords.ErrInvalidPasswordHash

// HashPassword returns the argon2id PHC string of password.
func HashPassword(password string, params PasswordParams) (string, error) {
	return passwords.HashPassword(password, params)
}

// VerifyPassword reports whether password matches hash, in constant time.
func VerifyPassword(hash, password string) (bool, error) {
	return passwords.VerifyPassword(hash, password)
}
