package stripe

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureTolerance is how far a signed timestamp may be from now.
const SignatureTolerance = 5 * time.Minute

// ErrInvalidSignature reports a Stripe-Signature header that is missing,
// malformed, signed with another secret, over other bytes, or with a
// timestamp out of SignatureTolerance.
var ErrInvalidSignature = errors.New("invalid Stripe-Signature")

// VerifySignature checks header, the Stripe-Signature of payload: one
// t=<unix seconds> and one or more v1=<hex HMAC-SHA256 of "t.payload"
// under secret>. It reads payload as raw bytes and never parses it.
func VerifySignature(payload []byte, header, secret string, now time.Time) error {
	if secret == "" {
		return fmt.Errorf("%w: no webhook secret is configured", ErrInvalidSignature)
	}
	var timestamp string
	var signatures [][]byte
	for part := range strings.SplitSeq(header, ",") {
		key, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch key {
		case "t":
			timestamp = value
		case "v1":
			if decoded, err := hex.DecodeString(value); err == nil {
				signatures = append(signatures, decoded)
			}
		}
	}
	seconds, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || len(signatures) == 0 {
		return fmt.Errorf("%w: expected t=<unix time> and v1=<hex signature>", ErrInvalidSignature)
	}
	signedAt := time.Unix(seconds, 0)
	if age := now.Sub(signedAt); age > SignatureTolerance || age < -SignatureTolerance {
		return fmt.Errorf("%w: timestamp %d is more than %s from now", ErrInvalidSignature, seconds, SignatureTolerance)
	}
	expected := Sign(payload, secret, signedAt)
	for _, signature := range signatures {
		if hmac.Equal(signature, expected) {
			return nil
		}
	}
	return fmt.Errorf("%w: no v1 signature matches the body", ErrInvalidSignature)
}

// Sign returns the v1 signature of payload at signedAt: HMAC-SHA256 of
// "<unix seconds>.<payload>" under secret.
func Sign(payload []byte, secret string, signedAt time.Time) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(signedAt.Unix(), 10)))
	mac.Write([]byte("."))
	mac.Write(payload)
	return mac.Sum(nil)
}

// SignatureHeader returns a Stripe-Signature header for payload, as Stripe
// sends it. Tests and local tools use it to sign events.
func SignatureHeader(payload []byte, secret string, signedAt time.Time) string {
	return "t=" + strconv.FormatInt(signedAt.Unix(), 10) + ",v1=" + hex.EncodeToString(Sign(payload, secret, signedAt))
}
