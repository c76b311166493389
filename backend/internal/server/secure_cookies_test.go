package server

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// post sends a JSON body to the running server and returns the response
// with its body closed.
func post(t *testing.T, url, body string) *http.Response {
	t.Helper()
	client := http.Client{Timeout: 10 * time.Second}
	response, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	response.Body.Close()
	return response
}

// sessionCookies returns the Set-Cookie lines of response that name cookie.
func sessionCookies(response *http.Response, cookie string) []string {
	var lines []string
	for _, line := range response.Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, cookie+"=") {
			lines = append(lines, line)
		}
	}
	return lines
}

// signInAdmin installs the store and signs its admin in.
func signInAdmin(t *testing.T, base string) *http.Response {
	t.Helper()
	install := post(t, base+"/api/install",
		`{"store_name":"Shop","admin_email":"admin@example.com","admin_password":"correct horse battery"}`)
	if install.StatusCode != http.StatusCreated {
		t.Fatalf("install: status %d", install.StatusCode)
	}
	login := post(t, base+"/api/auth/login", `{"email":"admin@example.com","password":"correct horse battery"}`)
	if login.StatusCode != http.StatusOK {
		t.Fatalf("admin login: status %d", login.StatusCode)
	}
	return login
}

func TestServer_httpsPublicURL_secureCookiesAndHSTS(t *testing.T) {
	server, _ := startServer(t, "https://shop.example.com")
	base := "http://" + server.Addr()
	if got := get(t, base+"/api/health").Header.Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") {
		t.Errorf("Strict-Transport-Security = %q; want a max-age", got)
	}
	responses := map[string][]string{
		"admin login":     sessionCookies(signInAdmin(t, base), "esimscan_session"),
		"admin logout":    sessionCookies(post(t, base+"/api/auth/logout", ""), "esimscan_session"),
		"customer logout": sessionCookies(post(t, base+"/api/customers/logout", "{}"), "esimscan_customer_session"),
	}
	for what, lines := range responses {
		if len(lines) != 1 {
			t.Errorf("%s: %d session cookies set; want 1", what, len(lines))
			continue
		}
		if !strings.Contains(strings.ToLower(lines[0]), "; secure") {
			t.Errorf("%s: cookie %q lacks Secure", what, lines[0])
		}
	}
}

func TestServer_httpPublicURL_noSecureNoHSTS(t *testing.T) {
	server, _ := startServer(t, "http://127.0.0.1:8080")
	base := "http://" + server.Addr()
	if got := get(t, base+"/api/health").Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("Strict-Transport-Security = %q over plain HTTP; want none", got)
	}
	lines := sessionCookies(signInAdmin(t, base), "esimscan_session")
	if len(lines) != 1 {
		t.Fatalf("admin login set %d session cookies; want 1", len(lines))
	}
	if strings.Contains(strings.ToLower(lines[0]), "; secure") {
		t.Errorf("cookie %q is Secure on a plain HTTP store, so browsers would drop it", lines[0])
	}
}
