package acceptance

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
)

// esimAccessUsagePath is the eSIM Access API's usage query, as its simulator records
// it.
const esimAccessUsagePath = "/api/v1/open/esim/usage/query"

func TestUsage_liveESIMAccess(t *testing.T) {
	binaryPath(t)
	t.Parallel()
	provider := providerBySlug(t, "esim-access")
	c, simURL, stop := liveStoreWith(t, provider)
	defer stop()
	sim := newClient(t, simURL)
	orderID, token := buyAndPay(t, c, pickPackage(t, c, provider.slug))
	order := waitForOrder(t, c, orderID, token)
	if order["status"] != "issued" {
		t.Fatalf("order = %v, want issued", order)
	}
	iccid := order["esims"].([]any)[0].(map[string]any)["iccid"].(string)
	sim.expect(200, "POST", "/_sim/usage", map[string]any{"iccid": iccid, "used_bytes": 734_003_200})

	path := "/api/orders/" + orderID + "/esims/" + iccid + "/usage"
	first := c.expect(200, "GET", path, nil, "X-Order-Token", token).object(t)
	second := c.expect(200, "GET", path, nil, "X-Order-Token", token).object(t)

	if first["iccid"] != iccid || first["used_mb"] != float64(700) || first["status"] != "active" {
		t.Errorf("usage = %v, want 700 MB used of %s, active", first, iccid)
	}
	for _, field := range []string{"total_mb", "remaining_mb", "expires_at", "as_of"} {
		if first[field] == nil {
			t.Errorf("usage = %v, want %s", first, field)
		}
	}
	if first["as_of"] != second["as_of"] || first["used_mb"] != second["used_mb"] {
		t.Errorf("second usage = %v, want the cached %v", second, first)
	}
	calls := 0
	for _, request := range sim.expect(200, "GET", "/_sim/requests", nil).list(t) {
		if request["path"] == esimAccessUsagePath {
			calls++
		}
	}
	if calls != 1 {
		t.Errorf("simulator got %d usage calls, want 1", calls)
	}

	wrongICCID := c.do("GET", "/api/orders/"+orderID+"/esims/8999000000000000000/usage", nil, "X-Order-Token", token)
	wrongToken := c.do("GET", path, nil, "X-Order-Token", "not-the-token")
	for _, answer := range []response{wrongICCID, wrongToken} {
		if answer.Status != http.StatusNotFound || !strings.Contains(string(answer.Body), "order_not_found") {
			t.Errorf("usage = %d %s, want 404 order_not_found", answer.Status, answer.Body)
		}
	}
}

func TestUsage_liveMaya(t *testing.T) {
	binaryPath(t)
	t.Parallel()
	provider := providerBySlug(t, "maya")
	c, simURL, stop := liveStoreWith(t, provider)
	defer stop()
	sim := newClient(t, simURL)
	orderID, token := buyAndPay(t, c, pickPackage(t, c, provider.slug))
	order := waitForOrder(t, c, orderID, token)
	if order["status"] != "issued" {
		t.Fatalf("order = %v, want issued", order)
	}
	iccid := order["esims"].([]any)[0].(map[string]any)["iccid"].(string)
	sim.expect(200, "POST", "/_sim/usage", map[string]any{"iccid": iccid, "used_bytes": 734_003_200})

	path := "/api/orders/" + orderID + "/esims/" + iccid + "/usage"
	first := c.expect(200, "GET", path, nil, "X-Order-Token", token).object(t)
	second := c.expect(200, "GET", path, nil, "X-Order-Token", token).object(t)

	if first["iccid"] != iccid || first["used_mb"] != float64(700) || first["status"] != "active" {
		t.Errorf("usage = %v, want 700 MB used of %s, active", first, iccid)
	}
	for _, field := range []string{"total_mb", "remaining_mb", "expires_at", "as_of"} {
		if first[field] == nil {
			t.Errorf("usage = %v, want %s", first, field)
		}
	}
	if first["as_of"] != second["as_of"] || first["used_mb"] != second["used_mb"] {
		t.Errorf("second usage = %v, want the cached %v", second, first)
	}
	calls := 0
	for _, request := range sim.expect(200, "GET", "/_sim/requests", nil).list(t) {
		if request["path"] == "/connectivity/v1/esim/"+iccid+"/plans" {
			calls++
		}
	}
	if calls != 1 {
		t.Errorf("simulator got %d plans calls, want 1", calls)
	}
}

// TestUsage_demoESIMAnswers409 buys from Maya through the stub driver, which
// makes a demo eSIM unknown to every provider.
func TestUsage_demoESIMAnswers409(t *testing.T) {
	binaryPath(t)
	t.Parallel()
	provider := providerBySlug(t, "maya")
	simURL := startProviderSimulator(t, provider.slug)
	s := newStore(t, "")
	c := s.start()
	defer s.stop(syscall.SIGTERM)
	c.expect(201, "POST", "/api/install", map[string]string{
		"store_name": "Demo eSIMs", "admin_email": adminEmail, "admin_password": adminPassword,
	})
	c.login(t)
	connectProvider(t, c, provider, simURL)
	orderID, token := buyAndPay(t, c, pickPackage(t, c, provider.slug))
	order := waitForOrder(t, c, orderID, token)
	esim := order["esims"].([]any)[0].(map[string]any)
	if order["status"] != "issued" || esim["demo"] != true {
		t.Fatalf("order = %v, want issued with a demo eSIM", order)
	}

	answer := c.do("GET", "/api/orders/"+orderID+"/esims/"+esim["iccid"].(string)+"/usage", nil, "X-Order-Token", token)

	if answer.Status != http.StatusConflict || !strings.Contains(string(answer.Body), "usage_not_supported") {
		t.Errorf("usage of a demo eSIM = %d %s, want 409 usage_not_supported", answer.Status, answer.Body)
	}
	sim := newClient(t, simURL)
	for _, request := range sim.expect(200, "GET", "/_sim/requests", nil).list(t) {
		if strings.HasSuffix(request["path"].(string), "/plans") {
			t.Errorf("simulator got %v, want no usage call for a demo eSIM", request)
		}
	}
}
