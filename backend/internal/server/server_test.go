package server

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"esimscan/backend/internal/platform/config"
)

// logBuffer collects log lines from several goroutines.
type logBuffer struct {
	mu    sync.Mutex
	lines bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lines.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lines.String()
}

// startServer runs a server on the embedded store and in-process Redis,
// on a free loopback port, until the test ends.
func startServer(t *testing.T, publicURL string) (*Server, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	cfg, err := config.Load(func(name string) (string, bool) {
		values := map[string]string{
			"ESIMSCAN_ADDR": "127.0.0.1:0", "ESIMSCAN_DATA_DIR": t.TempDir(), "ESIMSCAN_PUBLIC_URL": publicURL,
		}
		value, ok := values[name]
		return value, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	server, err := New(ctx, cfg, zerolog.New(logs))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("server did not stop within 30s")
		}
	})
	return server, logs
}

func get(t *testing.T, url string) *http.Response {
	t.Helper()
	client := http.Client{Timeout: 10 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		response, err := client.Get(url)
		if err == nil {
			response.Body.Close()
			return response
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond) // polling interval until the listener serves
	}
}

func TestServer_securityHeadersOnEveryResponse(t *testing.T) {
	server, _ := startServer(t, "https://shop.example.com")
	for _, path := range []string{"/api/health", "/api/no-such-route", "/", "/account/login"} {
		response := get(t, "http://"+server.Addr()+path)
		for name, want := range map[string]string{
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "same-origin",
			"X-Frame-Options":         "DENY",
			"Content-Security-Policy": "frame-ancestors 'none'",
		} {
			if got := response.Header.Get(name); got != want {
				t.Errorf("%s: %s = %q; want %q", path, name, got, want)
			}
		}
	}
	if got := server.PublicURL(); got != "https://shop.example.com" {
		t.Errorf("PublicURL = %q", got)
	}
}

func TestServer_logsComponentOnce(t *testing.T) {
	server, logs := startServer(t, "")
	get(t, "http://"+server.Addr()+"/api/health")
	// A rejected sign-in logs through the accounts service, which adds its
	// component to the logger the server passes.
	_, _ = server.accounts.Login(context.Background(), "nobody@example.com", "wrong password")
	if !strings.Contains(logs.String(), `"component":"accounts"`) {
		t.Fatalf("no accounts log line in:\n%s", logs.String())
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Count(line, `"component":`) > 1 {
			t.Errorf("log line repeats the component key: %s", line)
		}
	}
	if !strings.Contains(logs.String(), "ESIMSCAN_PUBLIC_URL is not set") {
		t.Error("no warning about the missing ESIMSCAN_PUBLIC_URL at start")
	}
	if got := server.PublicURL(); !strings.HasPrefix(got, "http://127.0.0.1:") {
		t.Errorf("PublicURL without the setting = %q; want the listen address", got)
	}
}
