package secrets_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"esimscan/backend/internal/platform/secrets"
)

func newKeyring(t *testing.T) *secrets.Keyring {
	t.Helper()
	appKey, err := secrets.GenerateAppKey()
	require.NoError(t, err)
	keyring, err := secrets.ParseAppKey(appKey)
	require.NoError(t, err)
	return keyring
}

const fieldContext = "provider:airalo:client_secret"

func TestKeyring_Seal_roundTrip(t *testing.T) {
	keyring := newKeyring(t)

	sealed, err := keyring.Seal([]byte("s3cret-value"), fieldContext)
	require.NoError(t, err)
	opened, err := keyring.Open(sealed, fieldContext)

	require.NoError(t, err)
	assert.Equal(t, "s3cret-value", string(opened))
	assert.True(t, strings.HasPrefix(sealed, "v1:"), "sealed value carries its version: %s", sealed)
	assert.NotContains(t, sealed, "s3cret-value")
}

func TestKeyring_Seal_randomNonce(t *testing.T) {
	keyring := newKeyring(t)

	first, err := keyring.Seal([]byte("same"), fieldContext)
	require.NoError(t, err)
	second, err := keyring.Seal([]byte("same"), fieldContext)
	require.NoError(t, err)

	assert.NotEqual(t, first, second)
}

func TestKeyring_Open_wrongKey(t *testing.T) {
	sealed, err := newKeyring(t).Seal([]byte("value"), fieldContext)
	require.NoError(t, err)

	_, err = newKeyring(t).Open(sealed, fieldContext)

	assert.ErrorIs(t, err, secrets.ErrUndecryptable)
}

func TestKeyring_Open_movedCiphertext(t *testing.T) {
	keyring := newKeyring(t)
	sealed, err := keyring.Seal([]byte("value"), "provider:airalo:client_secret")
	require.NoError(t, err)

	_, err = keyring.Open(sealed, "provider:airalo:client_id")
	assert.ErrorIs(t, err, secrets.ErrUndecryptable)

	_, err = keyring.Open(sealed, "provider:maya:client_secret")
	assert.ErrorIs(t, err, secrets.ErrUndecryptable)
}

func TestKeyring_Open_tampered(t *testing.T) {
	keyring := newKeyring(t)
	sealed, err := keyring.Seal([]byte("value"), fieldContext)
	require.NoError(t, err)
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, "v1:"))
	require.NoError(t, err)

	cases := map[string]string{
		"flipped byte":    "v1:" + base64.StdEncoding.EncodeToString(flipLastByte(raw)),
		"truncated":       "v1:" + base64.StdEncoding.EncodeToString(raw[:10]),
		"unknown version": "v2:" + strings.TrimPrefix(sealed, "v1:"),
		"not base64":      "v1:***",
		"empty":           "",
	}
	for name, tampered := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := keyring.Open(tampered, fieldContext)
			assert.ErrorIs(t, err, secrets.ErrUndecryptable)
		})
	}
}

func flipLastByte(raw []byte) []byte {
	changed := append([]byte(nil), raw...)
	changed[len(changed)-1] ^= 0x01
	return changed
}

func TestKeyring_Fingerprint_stable(t *testing.T) {
	appKey, err := secrets.GenerateAppKey()
	require.NoError(t, err)
	first, err := secrets.ParseAppKey(appKey)
	require.NoError(t, err)
	second, err := secrets.ParseAppKey(appKey)
	require.NoError(t, err)

	fingerprint := first.Fingerprint("value")

	assert.Len(t, fingerprint, 12)
	assert.Equal(t, fingerprint, second.Fingerprint("value"))
	assert.NotEqual(t, fingerprint, first.Fingerprint("value2"))
	assert.NotContains(t, fingerprint, "value")
}

func TestKeyring_Fingerprint_keyDependent(t *testing.T) {
	assert.NotEqual(t, newKeyring(t).Fingerprint("value"), newKeyring(t).Fingerprint("value"))
}

func TestParseAppKey_rejectsMalformed(t *testing.T) {
	short := secrets.AppKeyPrefix + base64.StdEncoding.EncodeToString(make([]byte, 16))
	long := secrets.AppKeyPrefix + base64.StdEncoding.EncodeToString(make([]byte, 33))
	cases := map[string]string{
		"empty":          "",
		"missing prefix": base64.StdEncoding.EncodeToString(make([]byte, 32)),
		"short key":      short,
		"long key":       long,
		"not base64":     secrets.AppKeyPrefix + "not-base64-but-secret-looking",
	}
	for name, appKey := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := secrets.ParseAppKey(appKey)

			require.ErrorIs(t, err, secrets.ErrInvalidAppKey)
			assert.Contains(t, err.Error(), "base64:")
			if appKey != "" {
				assert.NotContains(t, err.Error(), strings.TrimPrefix(appKey, secrets.AppKeyPrefix))
			}
		})
	}
}

func TestParseAppKey_trimsWhitespace(t *testing.T) {
	appKey, err := secrets.GenerateAppKey()
	require.NoError(t, err)

	_, err = secrets.ParseAppKey(appKey + "\n")

	assert.NoError(t, err)
}

func TestKeyring_String_hidesKeys(t *testing.T) {
	keyring := newKeyring(t)

	assert.Equal(t, "secrets.Keyring{redacted}", fmt.Sprintf("%v", keyring))
	assert.Equal(t, "secrets.Keyring{redacted}", fmt.Sprintf("%#v", keyring))
}
