package stripe

import (
	"errors"
	"testing"
	"time"
)

func TestVerifySignature_cases(t *testing.T) {
	now := time.Unix(1_750_000_000, 0)
	payload := []byte(`{"id":"evt_1","type":"checkout.session.completed"}`)
	secret := "whsec_test_secret"
	cases := []struct {
		name    string
		payload []byte
		header  string
		valid   bool
	}{
		{"valid", payload, SignatureHeader(payload, secret, now), true},
		{"valid among others", payload, SignatureHeader(payload, secret, now) + ",v1=00ff,v0=abc", true},
		{"wrong secret", payload, SignatureHeader(payload, "whsec_other", now), false},
		{"tampered body", []byte(`{"id":"evt_1","type":"checkout.session.completed" }`), SignatureHeader(payload, secret, now), false},
		{"old timestamp", payload, SignatureHeader(payload, secret, now.Add(-SignatureTolerance-time.Second)), false},
		{"future timestamp", payload, SignatureHeader(payload, secret, now.Add(SignatureTolerance+time.Second)), false},
		{"missing header", payload, "", false},
		{"no v1", payload, "t=1750000000", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifySignature(tc.payload, tc.header, secret, now)
			if tc.valid && err != nil {
				t.Fatalf("VerifySignature: %v", err)
			}
			if !tc.valid && !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("error = %v, want ErrInvalidSignature", err)
			}
		})
	}
}

func TestVerifySignature_noSecretRejects(t *testing.T) {
	payload := []byte(`{}`)
	err := VerifySignature(payload, SignatureHeader(payload, "", time.Now()), "", time.Now())
	if !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("error = %v, want ErrInvalidSignature", err)
	}
}
