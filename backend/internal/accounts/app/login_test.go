package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"esimscan/backend/internal/accounts/domain"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
)

func TestLogin_opensSession(t *testing.T) {
	forEachRedis(t, func(t *testing.T, backend redisBackend) {
		f := newFixture(t, backend.client)
		email := uniqueEmail("owner")
		f.install(t, email)
		session, err := f.service.Login(context.Background(), "  "+email+" ", testPassword)
		if err != nil {
			t.Fatal(err)
		}
		if session.AdminID != installedAdminID(t, f) || session.Email != email {
			t.Errorf("session = admin %s, email %s", session.AdminID, session.Email)
		}
		if len(session.Token) != 43 || len(session.CSRFToken) != 43 || session.Token == session.CSRFToken {
			t.Error("tokens are not two distinct 32-byte base64url strings")
		}

		if want := f.clock.now.Add(time.Hour); !session.ExpiresAt.Equal(want) {
			t.Errorf("expires at %s, want %s", session.ExpiresAt, want)
		}
		sum := sha256.Sum256([]byte(session.Token))
		ttl, err := backend.client.TTL(context.Background(), "session:"+hex.EncodeToString(sum[:])).Result()
		if err != nil || ttl <= 0 || ttl > time.Hour {
			t.Errorf("session key TTL = %s, error %v; want at most an hour", ttl, err)
		}
		if n, _ := backend.client.Exists(context.Background(), "session:"+session.Token).Result(); n != 0 {
			t.Error("the raw token is a Redis key")
		}

		authenticated, err := f.service.Authenticate(context.Background(), session.Token)
		if err != nil {
			t.Fatal(err)
		}
		if authenticated.AdminID != session.AdminID || authenticated.CSRFToken != session.CSRFToken {
			t.Errorf("authenticated = %+v", authenticated)
		}
		f.assertLogHasNo(t, testPassword, session.Token, session.CSRFToken)
	})
}

func TestLogin_wrongPasswordAndUnknownEmailLookAlike(t *testing.T) {
	forEachRedis(t, func(t *testing.T, backend redisBackend) {
		f := newFixture(t, backend.client)
		email := uniqueEmail("owner")
		f.install(t, email)
		_, wrongPassword := f.service.Login(context.Background(), email, "not the password")
		wantAppError(t, wrongPassword, apperr.KindUnauthorized, "invalid_credentials", "")
		_, unknownEmail := f.service.Login(context.Background(), uniqueEmail("nobody"), testPassword)
		wantAppError(t, unknownEmail, apperr.KindUnauthorized, "invalid_credentials", "")
		if wrongPassword.Error() != unknownEmail.Error() {
			t.Errorf("messages differ: %q and %q", wrongPassword, unknownEmail)
		}
		if f.service.dummyHash == "" {
			t.Error("an unknown email did not spend hashing work")
		}
	})
}

func TestLogin_beforeInstall(t *testing.T) {
	f := newMiniredisFixture(t)
	_, err := f.service.Login(context.Background(), "owner@example.com", testPassword)
	wantAppError(t, err, apperr.KindUnauthorized, "invalid_credentials", "")
}

func TestLogin_emptyOrHugePassword(t *testing.T) {
	f := newMiniredisFixture(t)
	f.install(t, "owner@example.com")
	for _, password := range []string{"", string(make([]byte, maxPasswordBytes+1))} {
		_, err := f.service.Login(context.Background(), "owner@example.com", password)
		wantAppError(t, err, apperr.KindUnauthorized, "invalid_credentials", "")
	}
}

func TestLogin_adminOfLosingInstallerCannotSignIn(t *testing.T) {
	f := newMiniredisFixture(t)
	// A losing installer reserved its email and created its admin, then
	// found the store installed by the winner.
	hash, _ := domain.HashPassword(testPassword, fastParams)
	interruptInstall(t, f, "loser@example.com", hash)
	f.install(t, "winner@example.com")
	_, err := f.service.Login(context.Background(), "loser@example.com", testPassword)
	wantAppError(t, err, apperr.KindUnauthorized, "invalid_credentials", "")
	if _, err := f.service.Login(context.Background(), "winner@example.com", testPassword); err != nil {
		t.Errorf("winner: %v", err)
	}
}

func TestLogin_throttlesFailedAttempts(t *testing.T) {
	forEachRedis(t, func(t *testing.T, backend redisBackend) {
		f := newFixture(t, backend.client)
		email := uniqueEmail("owner")
		f.install(t, email)
		for attempt := 1; attempt <= MaxLoginAttempts; attempt++ {
			_, err := f.service.Login(context.Background(), email, "wrong password")
			wantAppError(t, err, apperr.KindUnauthorized, "invalid_credentials", "")
		}
		_, err := f.service.Login(context.Background(), email, testPassword)
		wantAppError(t, err, apperr.KindTooManyRequests, "too_many_attempts", "")
		if !errors.Is(err, ErrTooManyAttempts) {
			t.Errorf("error = %v, want it to wrap ErrTooManyAttempts", err)
		}
		// Another email is not throttled.
		other := uniqueEmail("nobody")
		_, err = f.service.Login(context.Background(), other, testPassword)
		wantAppError(t, err, apperr.KindUnauthorized, "invalid_credentials", "")

		if backend.fastForward == nil {
			return
		}
		backend.fastForward(LoginAttemptWindow)
		if _, err := f.service.Login(context.Background(), email, testPassword); err != nil {
			t.Errorf("after the window: %v", err)
		}
	})
}

func TestLogin_successResetsThrottle(t *testing.T) {
	f := newMiniredisFixture(t)
	f.install(t, "owner@example.com")
	fail := func(times int) {
		for range times {
			_, err := f.service.Login(context.Background(), "owner@example.com", "wrong password")
			wantAppError(t, err, apperr.KindUnauthorized, "invalid_credentials", "")
		}
	}
	fail(MaxLoginAttempts - 1)
	if _, err := f.service.Login(context.Background(), "owner@example.com", testPassword); err != nil {
		t.Fatalf("login within the limit: %v", err)
	}
	fail(MaxLoginAttempts)
	_, err := f.service.Login(context.Background(), "owner@example.com", testPassword)
	wantAppError(t, err, apperr.KindTooManyRequests, "too_many_attempts", "")
}

func TestLogin_parallelGuessesStayWithinLimit(t *testing.T) {
	f := newMiniredisFixture(t)
	f.install(t, "owner@example.com")
	const guesses = 3 * MaxLoginAttempts
	var wg sync.WaitGroup
	var mu sync.Mutex
	checked := 0
	for range guesses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.service.Login(context.Background(), "owner@example.com", "wrong password")
			if appErr, ok := apperr.As(err); ok && appErr.Code == "invalid_credentials" {
				mu.Lock()
				checked++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if checked != MaxLoginAttempts {
		t.Errorf("%d passwords checked, want %d", checked, MaxLoginAttempts)
	}
}

func TestAuthenticate_rejectsMissingAndUnknownTokens(t *testing.T) {
	f := newMiniredisFixture(t)
	for _, token := range []string{"", "not-a-session", uuid.NewString()} {
		_, err := f.service.Authenticate(context.Background(), token)
		wantAppError(t, err, apperr.KindUnauthorized, "unauthenticated", "")
	}
}

func TestAuthenticate_sessionExpires(t *testing.T) {
	forEachRedis(t, func(t *testing.T, backend redisBackend) {
		f := newFixture(t, backend.client)
		email := uniqueEmail("owner")
		f.install(t, email)
		session, err := f.service.Login(context.Background(), email, testPassword)
		if err != nil {
			t.Fatal(err)
		}
		if backend.fastForward != nil {
			backend.fastForward(time.Hour - time.Second)
			if _, err := f.service.Authenticate(context.Background(), session.Token); err != nil {
				t.Fatalf("before expiry: %v", err)
			}
			backend.fastForward(time.Second)
		} else {
			// A real server keeps its own clock: move the service's past
			// the expiry instead.
			f.clock.now = f.clock.now.Add(time.Hour)
		}
		_, err = f.service.Authenticate(context.Background(), session.Token)
		wantAppError(t, err, apperr.KindUnauthorized, "unauthenticated", "")
	})
}

func TestLogout_endsSession(t *testing.T) {
	forEachRedis(t, func(t *testing.T, backend redisBackend) {
		f := newFixture(t, backend.client)
		email := uniqueEmail("owner")
		f.install(t, email)
		session, err := f.service.Login(context.Background(), email, testPassword)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.service.Logout(context.Background(), session.Token); err != nil {
			t.Fatal(err)
		}
		_, err = f.service.Authenticate(context.Background(), session.Token)
		wantAppError(t, err, apperr.KindUnauthorized, "unauthenticated", "")
		if err := f.service.Logout(context.Background(), session.Token); err != nil {
			t.Errorf("second logout: %v", err)
		}
	})
}

func TestCheckCSRF(t *testing.T) {
	f := newMiniredisFixture(t)
	session := Session{Token: "t", CSRFToken: "csrf-token-under-test"}
	if err := f.service.CheckCSRF(session, "csrf-token-under-test"); err != nil {
		t.Errorf("right header: %v", err)
	}
	for _, header := range []string{"", "csrf-token-under-tes", "csrf-token-under-test ", "other"} {
		err := f.service.CheckCSRF(session, header)
		wantAppError(t, err, apperr.KindForbidden, "csrf_token_invalid", "")
	}
	if err := f.service.CheckCSRF(Session{}, ""); err == nil {
		t.Error("a session without CSRF token accepts an empty header")
	}
}

func TestLogin_defaultPasswordParams(t *testing.T) {
	f := newMiniredisFixture(t)
	service := NewService(Deps{Repo: &esrepo.Repository{Store: f.store}, Redis: f.service.redis, Now: f.clock.Now})
	if _, err := service.Install(context.Background(), Install{StoreName: "S", AdminEmail: "owner@example.com", AdminPassword: testPassword}); err != nil {
		t.Fatal(err)
	}
	events, err := f.store.ReadStream(context.Background(), domain.AdminStream(installedAdminID(t, f)), 0)
	if err != nil {
		t.Fatal(err)
	}
	var created domain.AdminCreated
	if err := json.Unmarshal(events[0].Data, &created); err != nil {
		t.Fatal(err)
	}
	if len(created.PasswordHash) < 30 || created.PasswordHash[:30] != "$argon2id$v=19$m=65536,t=3,p=4" {
		t.Errorf("hash = %q, want the default parameters", created.PasswordHash)
	}
	if _, err := service.Login(context.Background(), "owner@example.com", testPassword); err != nil {
		t.Error(err)
	}
}

// TestLogin_oneAddressCannotLockOutAdmin checks that wrong passwords from
// one address throttle that address only, not the admin elsewhere.
func TestLogin_oneAddressCannotLockOutAdmin(t *testing.T) {
	forEachRedis(t, func(t *testing.T, backend redisBackend) {
		f := newFixture(t, backend.client)
		email := uniqueEmail("owner")
		f.install(t, email)
		const attacker, owner = "203.0.113.7", "198.51.100.20"
		// Enough to pass the per-email ceiling if rejected attempts counted.
		for range MaxLoginAttemptsPerEmail + MaxLoginAttempts {
			_, _ = f.service.LoginFrom(context.Background(), email, "wrong password", attacker)
		}

		_, err := f.service.LoginFrom(context.Background(), email, testPassword, attacker)
		wantAppError(t, err, apperr.KindTooManyRequests, "too_many_attempts", "")
		var tooMany *TooManyAttemptsError
		if !errors.As(err, &tooMany) {
			t.Fatalf("error = %v, want it to wrap *TooManyAttemptsError", err)
		}
		if tooMany.RetryAfter <= 0 || tooMany.RetryAfter > LoginAttemptWindow {
			t.Errorf("RetryAfter = %s, want within (0, %s]", tooMany.RetryAfter, LoginAttemptWindow)
		}
		if seconds := tooMany.RetryAfterSeconds(); seconds < 1 || seconds > int(LoginAttemptWindow.Seconds()) {
			t.Errorf("RetryAfterSeconds = %d", seconds)
		}

		if _, err := f.service.LoginFrom(context.Background(), email, testPassword, owner); err != nil {
			t.Errorf("the admin from another address: %v", err)
		}
	})
}

func TestLogin_perEmailCeilingAcrossAddresses(t *testing.T) {
	f := newMiniredisFixture(t)
	f.install(t, "owner@example.com")
	for i := range MaxLoginAttemptsPerEmail {
		address := fmt.Sprintf("192.0.2.%d", i%MaxLoginAttemptsPerEmail)
		_, err := f.service.LoginFrom(context.Background(), "owner@example.com", "wrong password", address)
		wantAppError(t, err, apperr.KindUnauthorized, "invalid_credentials", "")
	}
	_, err := f.service.LoginFrom(context.Background(), "owner@example.com", testPassword, "198.51.100.20")
	wantAppError(t, err, apperr.KindTooManyRequests, "too_many_attempts", "")
	if !errors.Is(err, ErrTooManyAttempts) {
		t.Errorf("error = %v, want it to wrap ErrTooManyAttempts", err)
	}
	// Another email has its own ceiling.
	_, err = f.service.LoginFrom(context.Background(), "nobody@example.com", testPassword, "198.51.100.20")
	wantAppError(t, err, apperr.KindUnauthorized, "invalid_credentials", "")

	f.miniredis.FastForward(LoginAttemptWindow)
	if _, err := f.service.LoginFrom(context.Background(), "owner@example.com", testPassword, "198.51.100.20"); err != nil {
		t.Errorf("after the window: %v", err)
	}
}

func TestLogin_successesDoNotCount(t *testing.T) {
	forEachRedis(t, func(t *testing.T, backend redisBackend) {
		f := newFixture(t, backend.client)
		email := uniqueEmail("owner")
		f.install(t, email)
		for signIn := 1; signIn <= MaxLoginAttemptsPerEmail; signIn++ {
			if _, err := f.service.LoginFrom(context.Background(), email, testPassword, "198.51.100.20"); err != nil {
				t.Fatalf("sign-in %d: %v", signIn, err)
			}
		}
		if _, err := f.service.LoginFrom(context.Background(), email, testPassword, "198.51.100.20"); err != nil {
			t.Errorf("sign-in after %d successes: %v; want a session", MaxLoginAttemptsPerEmail, err)
		}
	})
}

func TestLogin_successKeepsOtherAddressesFailures(t *testing.T) {
	f := newMiniredisFixture(t)
	f.install(t, "owner@example.com")
	ctx := context.Background()
	for i := range MaxLoginAttemptsPerEmail - 1 {
		address := fmt.Sprintf("192.0.2.%d", i)
		_, err := f.service.LoginFrom(ctx, "owner@example.com", "wrong password", address)
		wantAppError(t, err, apperr.KindUnauthorized, "invalid_credentials", "")
	}
	if _, err := f.service.LoginFrom(ctx, "owner@example.com", testPassword, "198.51.100.20"); err != nil {
		t.Fatalf("the admin within the limit: %v", err)
	}
	_, err := f.service.LoginFrom(ctx, "owner@example.com", "wrong password", "203.0.113.1")
	wantAppError(t, err, apperr.KindUnauthorized, "invalid_credentials", "")
	_, err = f.service.LoginFrom(ctx, "owner@example.com", testPassword, "198.51.100.20")
	wantAppError(t, err, apperr.KindTooManyRequests, "too_many_attempts", "")
}
