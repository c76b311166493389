// Package acceptance drives the built esimscan binary black-box over HTTP
// on loopback, as the API contract describes it. It runs when
// ESIMSCAN_BINARY names the binary (make test sets it).
package acceptance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func binaryPath(t *testing.T) string {
	t.Helper()
	path := os.Getenv("ESIMSCAN_BINARY")
	if path == "" {
		t.Skip("ESIMSCAN_BINARY is not set: build with `make build` and set it to bin/esimscan (make test does both)")
	}
	return path
}

// freeAddr returns a loopback address with a port that is free now. Ports
// come from 20000–31999, below Linux's ephemeral range (32768 and up), so
// the many client connections of parallel tests cannot take the port
// between this check and the server's bind.
func freeAddr(t *testing.T) string {
	t.Helper()
	for attempt := 0; attempt < 200; attempt++ {
		addr := fmt.Sprintf("127.0.0.1:%d", 20000+rand.IntN(12000))
		listener, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		listener.Close()
		return addr
	}
	t.Fatal("no free loopback port found in 20000–31999")
	return ""
}

// process is a running esimscan command whose output is kept for failures.
type process struct {
	cmd    *exec.Cmd
	output *lockedBuffer
	done   chan struct{}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func start(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(binaryPath(t), args...)
	cmd.Env = append(os.Environ(), env...)
	output := &lockedBuffer{}
	cmd.Stdout = output
	cmd.Stderr = output
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", args, err)
	}
	p := &process{cmd: cmd, output: output, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill(syscall.SIGKILL)
		if t.Failed() {
			t.Logf("output of esimscan %v:\n%s", args, lastLines(output.String(), 60))
		}
	})
	return p
}

func lastLines(text string, count int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > count {
		lines = lines[len(lines)-count:]
	}
	return strings.Join(lines, "\n")
}

// kill sends sig and waits for the process to exit.
func (p *process) kill(sig syscall.Signal) {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// waitFor polls check until it returns true or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// client is an HTTP client with a cookie jar and the admin CSRF token.
type client struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// response is a decoded HTTP response.
type response struct {
	Status int
	Body   []byte
	Header http.Header
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

func (r response) object(t *testing.T) map[string]any {
	t.Helper()
	var value map[string]any
	r.decode(t, &value)
	return value
}

func (r response) list(t *testing.T) []map[string]any {
	t.Helper()
	var value []map[string]any
	r.decode(t, &value)
	return value
}

// errorField returns the "field" of an error body.
func (r response) errorField(t *testing.T) string {
	t.Helper()
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Field   string `json:"field"`
		} `json:"error"`
	}
	r.decode(t, &body)
	if body.Error.Code == "" || body.Error.Message == "" {
		t.Errorf("error body lacks code or message: %s", r.Body)
	}
	return body.Error.Field
}

func (c *client) do(method, path string, body any, headers ...string) response {
	c.t.Helper()
	var reader io.Reader
	switch value := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(value)
	default:
		encoded, err := json.Marshal(value)
		if err != nil {
			c.t.Fatal(err)
		}
		reader = bytes.NewReader(encoded)
	}
	request, err := http.NewRequestWithContext(context.Background(), method, c.base+path, reader)
	if err != nil {
		c.t.Fatal(err)
	}
	if reader != nil {
		request.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		request.Header.Set("X-CSRF-Token", c.csrf)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		request.Header.Set(headers[i], headers[i+1])
	}
	answer, err := c.http.Do(request)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer answer.Body.Close()
	content, err := io.ReadAll(answer.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{Status: answer.StatusCode, Body: content, Header: answer.Header}
}

// expect fails the test unless the response has the given status.
func (c *client) expect(status int, method, path string, body any, headers ...string) response {
	c.t.Helper()
	answer := c.do(method, path, body, headers...)
	if answer.Status != status {
		c.t.Fatalf("%s %s = %d, want %d: %s", method, path, answer.Status, status, answer.Body)
	}
	return answer
}

// exportEvents runs `esimscan events export` and returns its lines.
func exportEvents(t *testing.T, env []string, args ...string) []string {
	t.Helper()
	cmd := exec.Command(binaryPath(t), append([]string{"events", "export"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	output, err := cmd.Output()
	if err != nil {
		t.Fatalf("events export: %v: %s", err, stderr.String())
	}
	var lines []string
	scanner := bufio.NewScanner(bytes.NewReader(output))
	scanner.Buffer(make([]byte, 1<<20), 16<<20)
	for scanner.Scan() {
		lines = append(lines, scanner.Text())
	}
	return lines
}

func fmtAddr(addr string) string { return fmt.Sprintf("http://%s", addr) }

func dialTCP(addr string) (net.Conn, error) {
	return net.DialTimeout("tcp", addr, time.Second)
}
