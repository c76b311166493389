package app

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"esimscan/backend/internal/accounts/domain"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
)

func newMiniredisFixture(t *testing.T) *fixture {
	t.Helper()
	server := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: server.Addr()})
	t.Cleanup(func() { client.Close() })
	f := newFixture(t, client)
	f.miniredis = server
	return f
}

func TestInstall_appendsClaimReservationAdminAndStore(t *testing.T) {
	f := newMiniredisFixture(t)
	if installed, err := f.service.IsInstalled(context.Background()); err != nil || installed {
		t.Fatalf("before install: installed %v, error %v", installed, err)
	}
	result, err := f.service.Install(context.Background(), Install{
		StoreName: " Tokyo SIMs ", AdminEmail: "Owner@Example.com", AdminPassword: testPassword,
	})
	if err != nil {
		t.Fatal(err)
	}
	if result.Position != 4 {
		t.Errorf("position = %d, want 4", result.Position)
	}

	events := f.store.All()
	if len(events) != 4 {
		t.Fatalf("events = %v", f.eventTypes())
	}
	var started domain.StoreInstallStarted
	if err := json.Unmarshal(events[0].Data, &started); err != nil {
		t.Fatal(err)
	}
	if events[0].Stream != "store" || events[0].Type != domain.EventStoreInstallStarted ||
		started.StoreName != "Tokyo SIMs" || started.AdminEmail != "owner@example.com" || started.AdminID == "" {
		t.Errorf("first event = %s %+v in %s", events[0].Type, started, events[0].Stream)
	}
	if ok, err := domain.VerifyPassword(started.PasswordHash, testPassword); err != nil || !ok {
		t.Errorf("claim password_hash does not verify: ok %v, error %v", ok, err)
	}
	if events[1].Stream != domain.AdminEmailStream("owner@example.com") || events[1].Type != domain.EventAdminEmailReserved {
		t.Errorf("second event = %s in %s", events[1].Type, events[1].Stream)
	}

	var created domain.AdminCreated
	if err := json.Unmarshal(events[2].Data, &created); err != nil {
		t.Fatal(err)
	}
	if events[2].Stream != domain.AdminStream(started.AdminID) || created.AdminID != started.AdminID ||
		created.Email != "owner@example.com" || created.PasswordHash != started.PasswordHash {
		t.Errorf("AdminCreated = %+v in %s", created, events[2].Stream)
	}

	var installed domain.StoreInstalled
	if err := json.Unmarshal(events[3].Data, &installed); err != nil {
		t.Fatal(err)
	}
	want := domain.StoreInstalled{StoreName: "Tokyo SIMs", AdminID: created.AdminID, AdminEmail: "owner@example.com"}
	if events[3].Stream != "store" || installed != want {
		t.Errorf("StoreInstalled = %+v in %s, want %+v", installed, events[3].Stream, want)
	}
	if ok, err := f.service.IsInstalled(context.Background()); err != nil || !ok {
		t.Errorf("after install: installed %v, error %v", ok, err)
	}
	f.assertLogHasNo(t, testPassword)
}

func TestInstall_rejectsInvalidFields(t *testing.T) {
	cases := []struct {
		name  string
		cmd   Install
		field string
	}{
		{"missing store name", Install{AdminEmail: "a@example.com", AdminPassword: testPassword}, "store_name"},
		{"blank store name", Install{StoreName: "   ", AdminEmail: "a@example.com", AdminPassword: testPassword}, "store_name"},
		{"long store name", Install{StoreName: strings.Repeat("s", 101), AdminEmail: "a@example.com", AdminPassword: testPassword}, "store_name"},
		{"bad email", Install{StoreName: "S", AdminEmail: "owner", AdminPassword: testPassword}, "admin_email"},
		{"short password", Install{StoreName: "S", AdminEmail: "a@example.com", AdminPassword: "123456789"}, "admin_password"},
		{"long password", Install{StoreName: "S", AdminEmail: "a@example.com", AdminPassword: strings.Repeat("p", 201)}, "admin_password"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newMiniredisFixture(t)
			_, err := f.service.Install(context.Background(), c.cmd)
			appErr, ok := apperr.As(err)
			if !ok {
				t.Fatalf("error = %v, want an apperr.Error", err)
			}
			if appErr.Kind != apperr.KindInvalid || appErr.Field != c.field {
				t.Errorf("kind %d field %q, want invalid %q", appErr.Kind, appErr.Field, c.field)
			}
			if n := len(f.store.All()); n != 0 {
				t.Errorf("%d events appended, want none", n)
			}
		})
	}
}

func TestInstall_secondInstallConflicts(t *testing.T) {
	f := newMiniredisFixture(t)
	f.install(t, "owner@example.com")
	// A fresh service has no cache and must read the store stream.
	fresh := newService(t, f.store, f.service.redis, f.clock)
	for _, service := range []*Service{f.service, fresh} {
		_, err := service.Install(context.Background(), Install{StoreName: "Other", AdminEmail: "other@example.com", AdminPassword: testPassword})
		wantAppError(t, err, apperr.KindConflict, "already_installed", "")
	}
	if n := len(f.store.All()); n != 4 {
		t.Errorf("%d events, want the 4 of the first install", n)
	}
}

func TestInstall_concurrentInstallsOneWins(t *testing.T) {
	for _, sameEmail := range []bool{false, true} {
		for round := range 10 {
			f := newMiniredisFixture(t)
			// Two processes: neither shares the other's cache.
			services := []*Service{f.service, newService(t, f.store, f.service.redis, f.clock)}
			errs := make([]error, len(services))
			var start, done sync.WaitGroup
			start.Add(1)
			for i, service := range services {
				email := "owner@example.com"
				if !sameEmail {
					email = "owner" + string(rune('a'+i)) + "@example.com"
				}
				done.Add(1)
				go func() {
					defer done.Done()
					start.Wait()
					_, errs[i] = service.Install(context.Background(), Install{StoreName: "S", AdminEmail: email, AdminPassword: testPassword})
				}()
			}
			start.Done()
			done.Wait()
			wins, conflicts := 0, 0
			for _, err := range errs {
				if err == nil {
					wins++
				} else if appErr, ok := apperr.As(err); ok && appErr.Kind == apperr.KindConflict {
					conflicts++
				} else {
					t.Errorf("same email %v, round %d: unexpected error %v", sameEmail, round, err)
				}
			}
			if wins != 1 || conflicts != 1 {
				t.Errorf("same email %v, round %d: %d wins and %d conflicts, want 1 and 1", sameEmail, round, wins, conflicts)
			}
			if n := countType(f, domain.EventStoreInstalled); n != 1 {
				t.Errorf("same email %v, round %d: %d StoreInstalled events, want 1", sameEmail, round, n)
			}
		}
	}
}

func countType(f *fixture, eventType string) int {
	count := 0
	for _, event := range f.store.All() {
		if event.Type == eventType {
			count++
		}
	}
	return count
}

// interruptInstall appends what an installation by an older version of
// Install, which had no claim, left behind when it stopped before
// StoreInstalled: the reservation, and the admin when hash is not empty.
func interruptInstall(t *testing.T, f *fixture, email, hash string) string {
	t.Helper()
	repo := &esrepo.Repository{Store: f.store}
	adminID := uuid.NewString()
	ctx := context.Background()
	if _, err := repo.Append(ctx, domain.AdminEmailStream(email), eventstore.NoStream(), domain.AdminEmailReserved{AdminID: adminID, Email: email}); err != nil {
		t.Fatal(err)
	}
	if hash != "" {
		if _, err := repo.Append(ctx, domain.AdminStream(adminID), eventstore.NoStream(), domain.AdminCreated{AdminID: adminID, Email: email, PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
	}
	return adminID
}

func installedAdminID(t *testing.T, f *fixture) string {
	t.Helper()
	store, _, err := f.service.loadStore(context.Background())
	if err != nil || !store.Installed {
		t.Fatalf("store installed %v, error %v", store.Installed, err)
	}
	return store.AdminID
}

func TestInstall_resumesInstallInterruptedBeforeClaims(t *testing.T) {
	t.Run("admin not created", func(t *testing.T) {
		f := newMiniredisFixture(t)
		adminID := interruptInstall(t, f, "owner@example.com", "")
		f.install(t, "owner@example.com")
		if got := installedAdminID(t, f); got != adminID {
			t.Errorf("installed admin = %s, want the reserved %s", got, adminID)
		}
	})
	t.Run("admin created, same password", func(t *testing.T) {
		f := newMiniredisFixture(t)
		hash, _ := domain.HashPassword(testPassword, fastParams)
		adminID := interruptInstall(t, f, "owner@example.com", hash)
		f.install(t, "Owner@example.com")
		if got := installedAdminID(t, f); got != adminID {
			t.Errorf("installed admin = %s, want the reserved %s", got, adminID)
		}
	})
	t.Run("admin created, other password", func(t *testing.T) {
		f := newMiniredisFixture(t)
		hash, _ := domain.HashPassword("an earlier password", fastParams)
		interruptInstall(t, f, "owner@example.com", hash)
		_, err := f.service.Install(context.Background(), Install{StoreName: "S", AdminEmail: "owner@example.com", AdminPassword: testPassword})
		wantAppError(t, err, apperr.KindConflict, "admin_email_taken", "admin_email")
		if n := countType(f, domain.EventStoreInstalled); n != 0 {
			t.Errorf("%d StoreInstalled events, want none", n)
		}
	})
}

func TestAdmin(t *testing.T) {
	f := newMiniredisFixture(t)
	f.install(t, "owner@example.com")
	adminID := installedAdminID(t, f)
	admin, err := f.service.Admin(context.Background(), adminID)
	if err != nil {
		t.Fatal(err)
	}
	if admin != (Admin{ID: adminID, Email: "owner@example.com"}) {
		t.Errorf("admin = %+v", admin)
	}
	for _, id := range []string{uuid.NewString(), "not-an-id", ""} {
		_, err := f.service.Admin(context.Background(), id)
		wantAppError(t, err, apperr.KindNotFound, "admin_not_found", "")
	}
}
