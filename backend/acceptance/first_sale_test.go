package acceptance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	simAccessCode = "acceptance-access-code"
	simSecretKey  = "acceptance-secret-key-0123456789"
	adminEmail    = "owner@example.test"
	adminPassword = "correct horse battery"
)

// store is a running esimscan serve with its configuration.
type store struct {
	t       *testing.T
	env     []string
	addr    string
	process *process
}

func (s *store) start() *client {
	s.t.Helper()
	s.process = start(s.t, s.env, "serve")
	c := newClient(s.t, fmtAddr(s.addr))
	waitFor(s.t, "the store to become ready", 60*time.Second, func() bool {
		select {
		case <-s.process.done:
			s.t.Fatalf("serve exited early:\n%s", lastLines(s.process.output.String(), 40))
		default:
		}
		answer, err := http.Get(fmtAddr(s.addr) + "/api/ready")
		if err != nil {
			return false
		}
		answer.Body.Close()
		return answer.StatusCode == http.StatusOK
	})
	return c
}

func (s *store) stop(sig syscall.Signal) { s.process.kill(sig) }

func newStore(t *testing.T, redisURL string) *store {
	addr := freeAddr(t)
	env := []string{
		"ESIMSCAN_ADDR=" + addr,
		"ESIMSCAN_DATA_DIR=" + t.TempDir(),
		"ESIMSCAN_TEST_PAYMENTS=1",
		"ESIM_PROVISIONING_DRIVER=stub",
		"MASTER_ESIM_SYNC_MAX_SECONDS=60",
		"REDIS_URL=" + redisURL,
		"EVENTSTORE_URL=",
		"APP_KEY=",
	}
	return &store{t: t, env: env, addr: addr}
}

func startSimulator(t *testing.T) string {
	addr := freeAddr(t)
	sim := start(t, nil, "simulator", "esim-access", "--addr", addr,
		"--access-code", simAccessCode, "--secret-key", simSecretKey)
	waitFor(t, "the simulator to listen", 20*time.Second, func() bool {
		select {
		case <-sim.done:
			t.Fatalf("simulator exited:\n%s", sim.output.String())
		default:
		}
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false
		}
		conn.Close()
		return true
	})
	return fmtAddr(addr)
}

func TestFirstSale_inProcessRedis(t *testing.T) {
	runFirstSale(t, "")
}

func TestFirstSale_realRedis(t *testing.T) {
	base := os.Getenv("REDIS_TEST_URL")
	if base == "" {
		t.Skip("REDIS_TEST_URL is not set: run through make test, which starts a real redis-server")
	}
	options, err := redis.ParseURL(base)
	if err != nil {
		t.Fatal(err)
	}
	options.DB = 63 // the last database: projectiontest.RealRedis claims them from 1 upwards
	rdb := redis.NewClient(options)
	defer rdb.Close()
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	redisURL := fmt.Sprintf("redis://%s/%d", options.Addr, options.DB)
	s := runFirstSale(t, redisURL)

	// Flushing Redis under a running store rebuilds the same read models.
	c := s.start()
	c.login(t)
	before := c.expect(200, "GET", "/api/catalog/packages?country=JP", nil).Body
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "read models rebuilt after FLUSHDB", 30*time.Second, func() bool {
		answer := c.do("GET", "/api/catalog/packages?country=JP", nil)
		return answer.Status == 200 && bytes.Equal(answer.Body, before)
	})
	s.stop(syscall.SIGTERM)

	// With the server stopped, replay rebuilds into the external Redis.
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	replay := start(t, s.env, "replay")
	<-replay.done
	if replay.cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("replay failed:\n%s", replay.output.String())
	}
	keys, err := rdb.Keys(context.Background(), "catalog:*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("replay left no catalog keys (err %v)", err)
	}
}

func (c *client) login(t *testing.T) {
	t.Helper()
	answer := c.expect(200, "POST", "/api/auth/login", map[string]string{"email": adminEmail, "password": adminPassword})
	c.csrf = answer.object(t)["csrf_token"].(string)
}

// runFirstSale walks connect → test → sync → enable → buy → pay → issued,
// then restarts the store twice and checks nothing was lost.
func runFirstSale(t *testing.T, redisURL string) *store {
	simURL := startSimulator(t)
	s := newStore(t, redisURL)
	c := s.start()

	// Before installation admin endpoints return 409 not_installed.
	answer := c.expect(409, "GET", "/api/admin/providers", nil)
	if !strings.Contains(string(answer.Body), "not_installed") {
		t.Errorf("before install: %s", answer.Body)
	}
	c.expect(201, "POST", "/api/install", map[string]string{
		"store_name": "Acceptance eSIMs", "admin_email": adminEmail, "admin_password": adminPassword,
	})
	c.expect(409, "POST", "/api/install", map[string]string{
		"store_name": "Again", "admin_email": "other@example.test", "admin_password": adminPassword,
	})
	c.expect(401, "GET", "/api/admin/providers", nil)
	wrong := c.do("POST", "/api/auth/login", map[string]string{"email": adminEmail, "password": "wrong password!"})
	if wrong.Status != 401 {
		t.Fatalf("wrong password = %d, want 401", wrong.Status)
	}
	c.login(t)
	if name := c.expect(200, "GET", "/api/store", nil).object(t)["name"]; name != "Acceptance eSIMs" {
		t.Errorf("store name = %v", name)
	}
	if session := c.expect(200, "GET", "/api/auth/session", nil).object(t); session["csrf_token"] != c.csrf {
		t.Errorf("session = %v, want the sign-in's CSRF token", session)
	}
	csrf := c.csrf
	c.csrf = "not-the-token"
	c.expect(403, "PUT", "/api/admin/providers/esim-access", map[string]any{})
	c.csrf = csrf

	checkConfigureValidation(t, s, c, simURL)
	settings := map[string]any{
		"base_url":              simURL + "/",
		"margin_percent":        25,
		"sync_interval_minutes": 60,
		"credentials":           map[string]string{"access_code": simAccessCode, "secret_key": simSecretKey},
	}
	view := c.expect(200, "PUT", "/api/admin/providers/esim-access", settings).object(t)
	if view["base_url"] != simURL {
		t.Errorf("base_url = %v, want the trailing slash trimmed: %s", view["base_url"], simURL)
	}
	credentials := view["credentials"].(map[string]any)
	if credentials["access_code"] != "set" || credentials["secret_key"] != "set" {
		t.Errorf("credentials = %v, want both set", credentials)
	}
	if strings.Contains(string(c.expect(200, "GET", "/api/admin/providers/esim-access", nil).Body), simSecretKey) {
		t.Fatal("the provider view contains the secret key")
	}
	c.expect(409, "POST", "/api/admin/providers/esim-access/enable", nil)

	test := c.expect(200, "POST", "/api/admin/providers/esim-access/test", nil).object(t)
	if test["ok"] != true {
		t.Fatalf("test = %v, want ok", test)
	}
	balance := test["balance"].(map[string]any)
	if balance["amount"] != "125.75" || balance["currency"] != "USD" {
		t.Errorf("balance = %v, want 125.75 USD (1257500 in 1/10,000 USD)", balance)
	}

	syncID := c.expect(202, "POST", "/api/admin/providers/esim-access/sync", nil).object(t)["sync_id"].(string)
	var sync map[string]any
	waitFor(t, "the sync to finish", 60*time.Second, func() bool {
		sync = c.expect(200, "GET", "/api/admin/providers/esim-access/syncs/"+syncID, nil).object(t)
		return sync["status"] != "running"
	})
	if sync["status"] != "completed" {
		t.Fatalf("sync = %v", sync)
	}
	if sync["packages_seen"].(float64) < 7 || sync["packages_added"] != sync["packages_seen"] {
		t.Errorf("sync counts = %v, want every sample package added", sync)
	}
	c.expect(200, "POST", "/api/admin/providers/esim-access/enable", nil)

	countries := c.expect(200, "GET", "/api/catalog/countries", nil).list(t)
	japan := findBy(countries, "code", "JP")
	if japan == nil {
		t.Fatalf("JP missing from %v", countries)
	}
	if price := japan["from_price"].(map[string]any); price["amount"] != "1.23" || price["currency"] != "USD" {
		t.Errorf("JP from_price = %v, want 1.23 USD (0.98 + 25 %%, rounded half-up)", price)
	}
	packages := c.expect(200, "GET", "/api/catalog/packages?country=JP", nil).list(t)
	if len(packages) < 2 || packages[0]["price"].(map[string]any)["amount"] != "1.23" ||
		packages[1]["price"].(map[string]any)["amount"] != "3.06" {
		t.Fatalf("JP packages = %v, want 1.23 then 3.06", packages)
	}
	if strings.Contains(string(c.expect(200, "GET", "/api/catalog/packages?country=JP", nil).Body), "wholesale") {
		t.Error("the public catalog shows wholesale prices")
	}
	c.expect(422, "GET", "/api/catalog/packages?country=JAPAN", nil)

	order := c.expect(201, "POST", "/api/orders", map[string]any{"package_id": packages[0]["id"], "email": "traveller@example.test"}).object(t)
	orderID, token := order["id"].(string), order["access_token"].(string)
	if order["status"] != "pending_payment" || order["total"].(map[string]any)["amount"] != "1.23" {
		t.Errorf("placed order = %v", order)
	}
	bad := c.do("POST", "/api/orders", map[string]any{"package_id": packages[0]["id"], "email": "not-an-email"})
	if bad.Status < 400 || bad.Status >= 500 || bad.errorField(t) != "email" {
		t.Errorf("bad email = %d %s, want a 4xx naming email", bad.Status, bad.Body)
	}
	c.expect(404, "GET", "/api/orders/"+orderID, nil, "X-Order-Token", "wrong")
	c.expect(200, "POST", "/api/orders/"+orderID+"/payments/test", nil, "X-Order-Token", token)
	c.expect(200, "POST", "/api/orders/"+orderID+"/payments/test", nil, "X-Order-Token", token)

	var issued map[string]any
	waitFor(t, "the order to be issued", 30*time.Second, func() bool {
		issued = c.expect(200, "GET", "/api/orders/"+orderID, nil, "X-Order-Token", token).object(t)
		return issued["status"] == "issued" || issued["status"] == "failed"
	})
	if issued["status"] != "issued" {
		t.Fatalf("order = %v", issued)
	}
	esims := issued["esims"].([]any)
	if len(esims) != 1 {
		t.Fatalf("esims = %v, want one", esims)
	}
	esim := esims[0].(map[string]any)
	if esim["iccid"] == "" || !strings.HasPrefix(esim["lpa"].(string), "LPA:1$") || esim["demo"] != true {
		t.Errorf("esim = %v, want a labelled demo eSIM with an LPA string", esim)
	}
	qr := c.expect(200, "GET", esim["qr_png_url"].(string), nil)
	if qr.Header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(qr.Body, []byte("\x89PNG")) {
		t.Errorf("QR answer is %s, %d bytes", qr.Header.Get("Content-Type"), len(qr.Body))
	}
	history := c.expect(200, "GET", "/api/admin/orders/"+orderID+"/history", nil).list(t)
	if raw, _ := json.Marshal(history); strings.Contains(string(raw), "access_token_hash") {
		t.Error("the admin order history shows the order token's hash")
	}
	types := lifecycleTypes(history)
	if strings.Join(types, ",") != "OrderPlaced,OrderPaid,ProvisioningStarted,ESIMIssued" {
		t.Errorf("order history = %v (paying twice must not pay twice)", types)
	}

	checkAuditAndConcurrency(t, c)
	checkPricingFollowsLog(t, c, packages[0]["id"].(string))

	lines := exportEvents(t, s.env)
	if len(lines) < 10 {
		t.Fatalf("export while serving printed %d lines", len(lines))
	}
	exported := strings.Join(lines, "\n")
	if strings.Contains(exported, simSecretKey) || strings.Contains(exported, adminPassword) || strings.Contains(exported, token) {
		t.Fatal("the event log contains a secret in plain text")
	}

	snapshot := func(c *client) string {
		var parts []string
		for _, path := range []string{"/api/catalog/countries", "/api/catalog/regions", "/api/catalog/packages?country=JP",
			"/api/admin/catalog/packages?provider=esim-access", "/api/admin/orders"} {
			parts = append(parts, string(c.expect(200, "GET", path, nil).Body))
		}
		provider := c.expect(200, "GET", "/api/admin/providers/esim-access", nil).object(t)
		parts = append(parts, fmt.Sprint(provider["enabled"], provider["margin_percent"], provider["base_url"]))
		order := c.expect(200, "GET", "/api/orders/"+orderID, nil, "X-Order-Token", token).object(t)
		parts = append(parts, fmt.Sprint(order["status"], order["total"]))
		return strings.Join(parts, "\n")
	}
	want := snapshot(c)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		s.stop(sig)
		c = s.start()
		c.login(t)
		if got := snapshot(c); got != want {
			t.Fatalf("after restart (%v) the store shows\n%s\nwant\n%s", sig, got, want)
		}
	}
	s.stop(syscall.SIGTERM)
	return s
}

func checkConfigureValidation(t *testing.T, s *store, c *client, simURL string) {
	t.Helper()
	eventsBefore := len(exportEvents(t, s.env))
	valid := func() map[string]any {
		return map[string]any{
			"base_url":              simURL,
			"margin_percent":        25,
			"sync_interval_minutes": 60,
			"credentials":           map[string]string{"access_code": simAccessCode, "secret_key": simSecretKey},
		}
	}
	cases := []struct {
		field  string
		change func(map[string]any)
	}{
		{"margin_percent", func(m map[string]any) { m["margin_percent"] = 150 }},
		{"margin_percent", func(m map[string]any) { m["margin_percent"] = -1 }},
		{"sync_interval_minutes", func(m map[string]any) { m["sync_interval_minutes"] = 4 }},
		{"sync_interval_minutes", func(m map[string]any) { m["sync_interval_minutes"] = 525601 }},
		{"base_url", func(m map[string]any) { m["base_url"] = "ftp://example.test" }},
		{"rate_limit_per_hour", func(m map[string]any) { m["rate_limit_per_hour"] = 0 }},
		{"credentials.secret_key", func(m map[string]any) {
			m["credentials"] = map[string]string{"access_code": simAccessCode}
		}},
	}
	for _, tc := range cases {
		body := valid()
		tc.change(body)
		answer := c.do("PUT", "/api/admin/providers/esim-access", body)
		if answer.Status < 400 || answer.Status >= 500 {
			t.Errorf("%s: status %d, want 4xx: %s", tc.field, answer.Status, answer.Body)
			continue
		}
		if field := answer.errorField(t); field != tc.field {
			t.Errorf("%s: error names field %q: %s", tc.field, field, answer.Body)
		}
	}
	c.expect(404, "PUT", "/api/admin/providers/unknown-provider", valid())
	if after := len(exportEvents(t, s.env)); after != eventsBefore {
		t.Fatalf("rejected requests appended %d events", after-eventsBefore)
	}
}

func checkAuditAndConcurrency(t *testing.T, c *client) {
	t.Helper()
	provider := c.expect(200, "GET", "/api/admin/providers/esim-access", nil).object(t)
	version := provider["version"]
	body := func(margin int) map[string]any {
		return map[string]any{
			"base_url": provider["base_url"], "margin_percent": margin, "sync_interval_minutes": 60,
			"credentials": map[string]string{}, "expected_version": version,
		}
	}
	statuses := make([]int, 2)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = c.do("PUT", "/api/admin/providers/esim-access", body(30+i)).Status
		}()
	}
	wg.Wait()
	if !(statuses[0] == 200 && statuses[1] == 409) && !(statuses[0] == 409 && statuses[1] == 200) {
		t.Errorf("two saves of the same version = %v, want one 200 and one 409", statuses)
	}
	c.expect(200, "PUT", "/api/admin/providers/esim-access", map[string]any{
		"base_url": provider["base_url"], "margin_percent": 25, "sync_interval_minutes": 60,
	})

	margins := c.expect(200, "GET", "/api/admin/audit?kind=margin", nil).list(t)
	if len(margins) < 3 {
		t.Fatalf("margin audit = %v, want the first save and two changes", margins)
	}
	latest := margins[0]
	if latest["new"] != "25" || latest["actor"].(map[string]any)["email"] != adminEmail {
		t.Errorf("latest margin entry = %v, want → 25 by %s", latest, adminEmail)
	}
	credentials := c.expect(200, "GET", "/api/admin/audit?kind=credentials", nil)
	if strings.Contains(string(credentials.Body), simSecretKey) || strings.Contains(string(credentials.Body), simAccessCode) {
		t.Fatal("the credential audit shows a credential value")
	}
	entries := credentials.list(t)
	if len(entries) != 2 {
		t.Errorf("credential audit = %v, want access_code and secret_key set once each", entries)
	}
	var decoded []any
	if err := json.Unmarshal(c.expect(200, "GET", "/api/admin/projections", nil).Body, &decoded); err != nil || len(decoded) < 5 {
		t.Errorf("projections = %v (%v)", decoded, err)
	}
}

func findBy(items []map[string]any, key, value string) map[string]any {
	for _, item := range items {
		if item[key] == value {
			return item
		}
	}
	return nil
}

// checkPricingFollowsLog changes a package right before ordering it: the
// order must see the change, never the read model's older state.
func checkPricingFollowsLog(t *testing.T, c *client, packageID string) {
	t.Helper()
	order := func() response {
		return c.do("POST", "/api/orders", map[string]any{"package_id": packageID, "email": "late@example.test"})
	}
	c.expect(200, "PATCH", "/api/admin/catalog/packages/"+packageID, map[string]any{"enabled": false})
	if answer := order(); answer.Status != 422 || answer.errorField(t) != "package_id" {
		t.Errorf("order of a disabled package = %d %s, want 422 naming package_id", answer.Status, answer.Body)
	}
	c.expect(200, "PATCH", "/api/admin/catalog/packages/"+packageID, map[string]any{"enabled": true, "margin_override": 50})
	placed := c.expect(201, "POST", "/api/orders", map[string]any{"package_id": packageID, "email": "late@example.test"}).object(t)
	if total := placed["total"].(map[string]any)["amount"]; total != "1.47" {
		t.Errorf("order after a margin override of 50 %% costs %v, want 1.47 (0.98 × 1.5)", total)
	}
	for _, bad := range []map[string]any{{"enabled": nil}, {"enabled": "yes"}, {"margin_override": "5"}} {
		answer := c.do("PATCH", "/api/admin/catalog/packages/"+packageID, bad)
		if answer.Status != 422 {
			t.Errorf("PATCH %v = %d, want 422", bad, answer.Status)
		}
	}
	c.expect(200, "PATCH", "/api/admin/catalog/packages/"+packageID, map[string]any{"margin_override": nil})
}

// lifecycleTypes returns the order history's event types without the
// email delivery events, which the delivery reaction appends on its own
// schedule (with no SMTP settings saved, one EmailFailed).
func lifecycleTypes(history []map[string]any) []string {
	var types []string
	for _, entry := range history {
		eventType := entry["type"].(string)
		if !strings.HasPrefix(eventType, "Email") {
			types = append(types, eventType)
		}
	}
	return types
}
