// Package mailpittest runs a real Mailpit SMTP server on loopback for
// tests and reads what it received through Mailpit's HTTP API. Mailpit is
// a tool dependency of the backend module, built once per test binary.
package mailpittest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce   sync.Once
	buildPath   string
	buildErr    error
	buildOutput []byte
)

// binary builds github.com/axllent/mailpit into a temporary directory
// that lives as long as the test binary.
func binary() (string, error) {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mailpittest-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "mailpit")
		cmd := exec.Command("go", "build", "-o", buildPath, "github.com/axllent/mailpit")
		buildOutput, buildErr = cmd.CombinedOutput()
	})
	return buildPath, buildErr
}

// Mailpit is one running Mailpit process.
type Mailpit struct {
	Host    string // 127.0.0.1
	Port    int    // SMTP port
	APIBase string // http://127.0.0.1:<port>
	cmd     *exec.Cmd
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("reserve a loopback port: %v", err)
	}
	port := listener.Addr().(*net.TCPAddr).Port
	listener.Close()
	return port
}

// Start builds Mailpit if needed and starts it with SMTP on smtpPort (0
// picks a free port) and its HTTP API on a free port, both on 127.0.0.1.
// It skips the test when Mailpit does not build. SMTP accepts any username
// and password, also without TLS. The process stops when the test ends.
func Start(t testing.TB, smtpPort int) *Mailpit {
	t.Helper()
	path, err := binary()
	if err != nil {
		t.Skipf("mailpit does not build, so SMTP tests cannot run: %v\n%s", err, buildOutput)
	}
	if smtpPort == 0 {
		smtpPort = FreePort(t)
	}
	httpPort := FreePort(t)
	m := &Mailpit{Host: "127.0.0.1", Port: smtpPort, APIBase: "http://127.0.0.1:" + strconv.Itoa(httpPort)}
	m.cmd = exec.Command(path,
		"--smtp", "127.0.0.1:"+strconv.Itoa(smtpPort),
		"--listen", "127.0.0.1:"+strconv.Itoa(httpPort),
		"--database", filepath.Join(t.TempDir(), "mailpit.db"),
		"--disable-version-check",
		"--smtp-disable-rdns",
		"--block-remote-css-and-fonts",
		"--smtp-auth-accept-any",
		"--smtp-auth-allow-insecure",
		"--quiet",
	)
	m.cmd.Stdout, m.cmd.Stderr = os.Stderr, os.Stderr
	if err := m.cmd.Start(); err != nil {
		t.Fatalf("start mailpit: %v", err)
	}
	t.Cleanup(m.Stop)
	m.waitReady(t)
	return m
}

// Stop ends the process. Calling it again does nothing.
func (m *Mailpit) Stop() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = m.cmd.Process.Kill()
	_ = m.cmd.Wait()
	m.cmd = nil
}

func (m *Mailpit) waitReady(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", net.JoinHostPort(m.Host, strconv.Itoa(m.Port)), time.Second)
		if err == nil {
			conn.Close()
			var list struct{}
			if m.get(context.Background(), "/api/v1/messages", &list) == nil {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("mailpit did not accept connections on port %d within 20s", m.Port)
}

// Address is one address of a message summary.
type Address struct {
	Name    string `json:"Name"`
	Address string `json:"Address"`
}

// Summary is a message in Mailpit's list.
type Summary struct {
	ID      string    `json:"ID"`
	To      []Address `json:"To"`
	Subject string    `json:"Subject"`
}

// Part is an attachment or inline part of a message.
type Part struct {
	PartID      string `json:"PartID"`
	FileName    string `json:"FileName"`
	ContentType string `json:"ContentType"`
	ContentID   string `json:"ContentID"`
	Size        int    `json:"Size"`
}

// Message is one message in full.
type Message struct {
	ID          string `json:"ID"`
	Subject     string `json:"Subject"`
	Text        string `json:"Text"`
	HTML        string `json:"HTML"`
	Inline      []Part `json:"Inline"`
	Attachments []Part `json:"Attachments"`
}

// MessagesTo returns the summaries of the messages sent to address.
func (m *Mailpit) MessagesTo(t testing.TB, address string) []Summary {
	t.Helper()
	var result struct {
		Messages []Summary `json:"messages"`
	}
	if err := m.get(context.Background(), "/api/v1/search?query="+url.QueryEscape("to:"+address), &result); err != nil {
		t.Fatalf("list mailpit messages: %v", err)
	}
	return result.Messages
}

// WaitForMessages waits until at least count messages were sent to
// address and returns them in full, newest first, failing the test after
// timeout.
func (m *Mailpit) WaitForMessages(t testing.TB, address string, count int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		summaries := m.MessagesTo(t, address)
		if len(summaries) >= count {
			messages := make([]Message, 0, len(summaries))
			for _, summary := range summaries {
				messages = append(messages, m.Message(t, summary.ID))
			}
			return messages
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit received %d messages to %s within %s, want %d", len(summaries), address, timeout, count)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Message returns one message in full.
func (m *Mailpit) Message(t testing.TB, id string) Message {
	t.Helper()
	var message Message
	if err := m.get(context.Background(), "/api/v1/message/"+url.PathEscape(id), &message); err != nil {
		t.Fatalf("read mailpit message %s: %v", id, err)
	}
	return message
}

// PartBytes returns the content of one part of a message.
func (m *Mailpit) PartBytes(t testing.TB, messageID, partID string) []byte {
	t.Helper()
	response, err := http.Get(m.APIBase + "/api/v1/message/" + url.PathEscape(messageID) + "/part/" + url.PathEscape(partID))
	if err != nil {
		t.Fatalf("read part %s of message %s: %v", partID, messageID, err)
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		t.Fatalf("read part %s of message %s: status %d", partID, messageID, response.StatusCode)
	}
	data, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatalf("read part %s of message %s: %v", partID, messageID, err)
	}
	return data
}

func (m *Mailpit) get(ctx context.Context, path string, into any) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	request, err := http.NewRequestWithContext(ctx, http.MethodGet, m.APIBase+path, nil)
	if err != nil {
		return err
	}
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		return err
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", path, response.StatusCode)
	}
	return json.NewDecoder(response.Body).Decode(into)
}
