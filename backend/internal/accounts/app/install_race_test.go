package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/accounts/domain"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/eventstore/filestore"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
)

// TestInstall_parallelLosersAppendNothing runs 10 installs with different
// emails at once on a fresh embedded store: only the winner may append, so
// no loser leaves a reservation or an admin with a password hash behind.
func TestInstall_parallelLosersAppendNothing(t *testing.T) {
	store, err := filestore.Open(t.TempDir(), filestore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	server := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: server.Addr()})
	t.Cleanup(func() { client.Close() })

	const installers = 10
	errs := make([]error, installers)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range installers {
		// One service each, as separate processes share no cache.
		service := NewService(Deps{
			Repo:           &esrepo.Repository{Store: store},
			Redis:          client,
			Logger:         zerolog.New(zerolog.NewTestWriter(t)),
			PasswordParams: fastParams,
		})
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			_, errs[i] = service.Install(context.Background(), Install{
				StoreName: "S", AdminEmail: fmt.Sprintf("owner%d@example.com", i), AdminPassword: testPassword,
			})
		}()
	}
	start.Done()
	done.Wait()

	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
			continue
		}
		if appErr, ok := apperr.As(err); !ok || appErr.Kind != apperr.KindConflict || appErr.Code != "already_installed" {
			t.Errorf("loser error = %v, want a Conflict with code already_installed", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d installs succeeded, want 1", wins)
	}
	events, err := store.ReadAll(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, event := range events {
		counts[event.Type]++
	}
	want := map[string]int{
		domain.EventStoreInstallStarted: 1,
		domain.EventAdminEmailReserved:  1,
		domain.EventAdminCreated:        1,
		domain.EventStoreInstalled:      1,
	}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("events by type = %v, want %v", counts, want)
	}
}

// failingStore fails every append after the first allowed ones, as a
// process that stops between appends.
type failingStore struct {
	eventstore.Store
	allowed atomic.Int32
}

var errStopped = errors.New("process stopped")

func (s *failingStore) Append(
	ctx context.Context,
	stream string,
	expected eventstore.ExpectedRevision,
	events ...eventstore.EventData,
) (eventstore.AppendResult, error) {
	if s.allowed.Add(-1) < 0 {
		return eventstore.AppendResult{}, errStopped
	}
	return s.Store.Append(ctx, stream, expected, events...)
}

func TestInstall_completesAfterStopBetweenAppends(t *testing.T) {
	for appended := 1; appended <= 3; appended++ {
		t.Run(fmt.Sprintf("after %d appends", appended), func(t *testing.T) {
			f := newMiniredisFixture(t)
			failing := &failingStore{Store: f.store}
			failing.allowed.Store(int32(appended))
			stopped := NewService(Deps{
				Repo:           &esrepo.Repository{Store: failing},
				Redis:          f.service.redis,
				Logger:         zerolog.New(zerolog.NewTestWriter(t)),
				PasswordParams: fastParams,
			})
			_, err := stopped.Install(context.Background(), Install{StoreName: "S", AdminEmail: "owner@example.com", AdminPassword: testPassword})
			if !errors.Is(err, errStopped) {
				t.Fatalf("interrupted install: error = %v", err)
			}
			if n := len(f.store.All()); n != appended {
				t.Fatalf("%d events after the stop, want %d", n, appended)
			}

			// A rerun with another email or password appends nothing.
			_, err = f.service.Install(context.Background(), Install{StoreName: "S", AdminEmail: "other@example.com", AdminPassword: testPassword})
			wantAppError(t, err, apperr.KindConflict, "already_installed", "")
			_, err = f.service.Install(context.Background(), Install{StoreName: "S", AdminEmail: "owner@example.com", AdminPassword: "another password"})
			wantAppError(t, err, apperr.KindConflict, "admin_email_taken", "admin_email")
			if n := len(f.store.All()); n != appended {
				t.Fatalf("%d events after rejected reruns, want %d", n, appended)
			}
			if _, err := f.service.Login(context.Background(), "owner@example.com", testPassword); err == nil {
				t.Fatal("signed in before the installation completed")
			}

			f.install(t, "owner@example.com")
			if got := f.eventTypes(); len(got) != 4 {
				t.Errorf("events = %v, want the 4 of one installation", got)
			}
			session, err := f.service.Login(context.Background(), "owner@example.com", testPassword)
			if err != nil {
				t.Fatalf("login after completing: %v", err)
			}
			if session.AdminID != installedAdminID(t, f) {
				t.Errorf("session admin %s, want the installed admin", session.AdminID)
			}
		})
	}
}

func TestInstall_parallelReruns_oneCompletes(t *testing.T) {
	for round := range 5 {
		f := newMiniredisFixture(t)
		failing := &failingStore{Store: f.store}
		failing.allowed.Store(1)
		stopped := NewService(Deps{Repo: &esrepo.Repository{Store: failing}, Redis: f.service.redis, PasswordParams: fastParams})
		if _, err := stopped.Install(context.Background(), Install{StoreName: "S", AdminEmail: "owner@example.com", AdminPassword: testPassword}); !errors.Is(err, errStopped) {
			t.Fatalf("interrupted install: error = %v", err)
		}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 3 {
			service := newService(t, f.store, f.service.redis, f.clock)
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := service.Install(context.Background(), Install{StoreName: "S", AdminEmail: "owner@example.com", AdminPassword: testPassword})
				if err == nil {
					wins.Add(1)
				} else if appErr, ok := apperr.As(err); !ok || appErr.Code != "already_installed" {
					t.Errorf("round %d: error = %v", round, err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 || len(f.store.All()) != 4 {
			t.Errorf("round %d: %d wins, events %v; want 1 win and 4 events", round, wins.Load(), f.eventTypes())
		}
	}
}
