package main

import (
	"strings"
	"testing"
)

func TestRedact_hidesHashesAndSealedValues(t *testing.T) {
	got := string(redact([]byte(`{"admin_id":"a1","email":"owner@example.test","password_hash":"$argon2id$v=19$secret"}`)))
	if strings.Contains(got, "argon2id") {
		t.Errorf("password hash exported: %s", got)
	}
	if !strings.Contains(got, `"password_hash":"[redacted]"`) || !strings.Contains(got, `"email":"owner@example.test"`) {
		t.Errorf("redacted data = %s", got)
	}
	sealed := string(redact([]byte(`{"field":"secret_key","fingerprint":"abc","sealed":"v1:Zm9v"}`)))
	if strings.Contains(sealed, "v1:Zm9v") || !strings.Contains(sealed, `"fingerprint":"abc"`) {
		t.Errorf("sealed credential exported: %s", sealed)
	}
}

func TestRedact_keepsOtherEventsUnchanged(t *testing.T) {
	data := []byte(`{"order_id":"o1",  "total":{"amount":"1.23","currency":"USD"}}`)
	if got := redact(data); string(got) != string(data) {
		t.Errorf("unrelated event changed: %s", got)
	}
}
