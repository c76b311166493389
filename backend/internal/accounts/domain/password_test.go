package domain

import (
	"errors"
	"strings"
	"testing"
)

func TestVerifyPassword_defaultParams(t *testing.T) {
	hash, err := HashPassword("correct horse battery", DefaultPasswordParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=65536,t=3,p=4$") {
		t.Errorf("hash = %q", hash)
	}
	if ok, err := VerifyPassword(hash, "correct horse battery"); err != nil || !ok {
		t.Errorf("ok %v, error %v", ok, err)
	}
}

func TestAdminEmailStream_normalizes(t *testing.T) {
	stream := AdminEmailStream(" Admin@Example.COM ")
	if stream != AdminEmailStream("admin@example.com") {
		t.Error("spellings of one address give different streams")
	}
	if len(stream) != len("adminemail-")+32 || strings.Contains(stream, "example") {
		t.Errorf("stream = %q, want adminemail- and 32 hex digits", stream)
	}
}

func TestStore_Install(t *testing.T) {
	store := &Store{}
	event, err := store.Install("Tokyo SIMs", "admin-1", "Owner@Example.com")
	if err != nil {
		t.Fatal(err)
	}
	if event.AdminEmail != "owner@example.com" || event.AdminID != "admin-1" || event.StoreName != "Tokyo SIMs" {
		t.Errorf("event = %+v", event)
	}
	if err := store.Apply(EventStoreInstalled, []byte(`{"store_name":"Tokyo SIMs","admin_id":"admin-1","admin_email":"owner@example.com"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Install("Again", "admin-2", "x@example.com"); !errors.Is(err, ErrAlreadyInstalled) {
		t.Errorf("second install: error = %v, want ErrAlreadyInstalled", err)
	}
}
