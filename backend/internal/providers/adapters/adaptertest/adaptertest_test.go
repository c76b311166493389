package adaptertest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/internal/providers/adapters/adaptertest"
)

func TestRecorder_keepsRequests(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(server.Close)
	recorder := adaptertest.NewRecorder(nil)
	client := &http.Client{Transport: recorder}

	if recorder.Last() != nil {
		t.Fatal("Last() of an empty recorder is not nil")
	}
	for _, authorization := range []string{"", "Bearer one", "Bearer two", "Bearer one", "Basic abc"} {
		req, err := http.NewRequest(http.MethodGet, server.URL+"/path?q=1", nil)
		if err != nil {
			t.Fatal(err)
		}
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	if n := len(recorder.Headers()); n != 5 {
		t.Errorf("len(Headers()) = %d, want 5", n)
	}
	if got := recorder.HeaderValues("Authorization"); len(got) != 4 {
		t.Errorf("HeaderValues(Authorization) = %q, want 4 values", got)
	}
	if got := fmt.Sprint(recorder.BearerTokens()); got != "[one two]" {
		t.Errorf("BearerTokens() = %s, want [one two]", got)
	}
	if got := recorder.Last().URL.RawQuery; got != "q=1" {
		t.Errorf("Last().URL.RawQuery = %q, want q=1", got)
	}
}

func TestRequireCause_returnsAdapterError(t *testing.T) {
	want := &adapters.Error{Cause: adapters.CauseTimeout, Message: "balance"}
	got := adaptertest.RequireCause(t, fmt.Errorf("call: %w", want), adapters.CauseTimeout)
	if got != want {
		t.Errorf("RequireCause returned %v, want %v", got, want)
	}
}

func TestRequireNoSecret_skipsEmpty(t *testing.T) {
	// An empty secret is contained in every text, so it must be skipped.
	adaptertest.RequireNoSecret(t, "timeout: balance", "", "secret-1")
}
