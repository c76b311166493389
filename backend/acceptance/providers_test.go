package acceptance

import (
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Credentials the simulators accept. They are test values for local
// simulators, not secrets of any account.
const (
	simKey    = "acceptance-sim-key"
	simSecret = "acceptance-sim-secret-0123456789"
)

// liveWait bounds the wait for a live order. The eSIM Access simulator
// allocates a profile on the second poll, which the live driver makes
// about 15 seconds after ordering with its default poll interval.
const liveWait = 90 * time.Second

// simulatedProvider describes how to configure one provider against its
// simulator and how to make the simulator reject orders.
type simulatedProvider struct {
	slug        string
	basePath    string            // appended to the simulator's address to form base_url
	credentials map[string]string // the PUT body's credentials
	// failOrders is the /_sim/fail body that rejects order calls with a
	// final error (rejected credentials), so the order fails at once.
	failOrders map[string]any
	// placedFor reports whether an order listed by GET /_sim/orders was
	// bought for the store order orderID with provider order providerOrderID.
	placedFor func(simOrder map[string]any, orderID, providerOrderID string) bool
}

func simulatedProviders() []simulatedProvider {
	return []simulatedProvider{
		{
			slug:        "airalo",
			basePath:    "/v2",
			credentials: map[string]string{"client_id": simKey, "client_secret": simSecret},
			// The adapter fetches a new token after a 401 and tries once more.
			failOrders: map[string]any{"mode": "401", "count": 5, "method": "POST", "path": "/v2/orders"},
			placedFor: func(simOrder map[string]any, orderID, _ string) bool {
				return simOrder["description"] == "esimscan order "+orderID
			},
		},
		{
			slug:        "esim-access",
			basePath:    "",
			credentials: map[string]string{"access_code": simKey, "secret_key": simSecret},
			failOrders:  map[string]any{"mode": "401", "count": 5, "path": "/api/v1/open/esim/order"},
			placedFor: func(simOrder map[string]any, orderID, _ string) bool {
				return simOrder["transactionId"] == orderID
			},
		},
		{
			slug:        "maya",
			basePath:    "/connectivity/v1",
			credentials: map[string]string{"auth_mode": "basic", "api_key": simKey, "api_secret": simSecret},
			failOrders:  map[string]any{"mode": "401", "count": 5, "method": "POST", "path": "/connectivity/v1/esim"},
			placedFor: func(simOrder map[string]any, orderID, _ string) bool {
				return simOrder["tag"] == orderID
			},
		},
		{
			slug:        "esim-go",
			basePath:    "/v2.4",
			credentials: map[string]string{"api_key": simKey},
			failOrders:  map[string]any{"mode": "403", "count": 5, "method": "POST", "path": "/orders"},
			// eSIM Go orders carry no reference of ours, so the provider's
			// order reference recorded for the order identifies it.
			placedFor: func(simOrder map[string]any, _, providerOrderID string) bool {
				return providerOrderID != "" && simOrder["orderReference"] == providerOrderID
			},
		},
	}
}

func TestProviders_liveFulfilment(t *testing.T) {
	binaryPath(t)
	for _, provider := range simulatedProviders() {
		t.Run(provider.slug, func(t *testing.T) {
			t.Parallel()
			runLiveFulfilment(t, provider)
		})
	}
}

// startProviderSimulator runs `esimscan simulator <slug>` and returns its
// address as http://host:port.
func startProviderSimulator(t *testing.T, slug string) string {
	t.Helper()
	addr := freeAddr(t)
	sim := start(t, nil, "simulator", slug, "--addr", addr, "--key", simKey, "--secret", simSecret)
	waitFor(t, "the "+slug+" simulator to listen", 20*time.Second, func() bool {
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

// runLiveFulfilment connects one provider, sells one of its packages with
// the live driver, then fails an order at the provider and retries it.
func runLiveFulfilment(t *testing.T, provider simulatedProvider) {
	simURL := startProviderSimulator(t, provider.slug)
	s := newStore(t, "")
	s.env = append(s.env, "ESIM_PROVISIONING_DRIVER=live")
	c := s.start()
	defer s.stop(syscall.SIGTERM)
	c.expect(201, "POST", "/api/install", map[string]string{
		"store_name": "Live eSIMs", "admin_email": adminEmail, "admin_password": adminPassword,
	})
	c.login(t)
	connectProvider(t, c, provider, simURL)
	packageID := pickPackage(t, c, provider.slug)
	sim := newClient(t, simURL)

	orderID, token := buyAndPay(t, c, packageID)
	order := waitForOrder(t, c, orderID, token)
	if order["status"] != "issued" {
		t.Fatalf("order = %v, want issued", order)
	}
	checkLiveESIM(t, order)
	if _, found := order["provider_order_id"]; found {
		t.Errorf("the buyer's order view shows the provider order id: %v", order)
	}
	history := c.expect(200, "GET", "/api/admin/orders/"+orderID+"/history", nil).list(t)
	types := lifecycleTypes(history)
	want := "OrderPlaced,OrderPaid,ProvisioningStarted,ProviderOrderRequested,ProviderOrderPlaced,ESIMIssued"
	if provider.slug == "maya" {
		// Maya's adapter reports the customer it opens before it charges.
		want = "OrderPlaced,OrderPaid,ProvisioningStarted,ProviderOrderRequested,ProviderOrderRequested," +
			"ProviderOrderPlaced,ESIMIssued"
	}
	if strings.Join(types, ",") != want {
		t.Errorf("order history = %v, want %s", types, want)
	}
	checkOrderedOnce(t, c, sim, provider, orderID)

	// An order the provider rejects fails, and a retry after the cause is
	// gone issues it without buying twice.
	sim.expect(200, "POST", "/_sim/fail", provider.failOrders)
	failedID, failedToken := buyAndPay(t, c, packageID)
	failed := waitForOrder(t, c, failedID, failedToken)
	if failed["status"] != "failed" {
		t.Fatalf("order = %v, want failed while the provider rejects orders", failed)
	}
	failure, _ := failed["failure"].(map[string]any)
	message, _ := failure["message"].(string)
	t.Logf("failure message: %s", message)
	if message == "" {
		t.Errorf("failed order = %v, want a failure message", failed)
	} else if strings.Contains(message, simSecret) || strings.Contains(message, simKey) {
		t.Errorf("failure message %q contains a credential", message)
	}
	sim.expect(200, "DELETE", "/_sim/fail", nil)
	c.expect(http.StatusAccepted, "POST", "/api/admin/orders/"+failedID+"/retry-provisioning", nil)
	retried := waitForOrder(t, c, failedID, failedToken)
	if retried["status"] != "issued" {
		t.Fatalf("retried order = %v, want issued", retried)
	}
	checkLiveESIM(t, retried)
	checkOrderedOnce(t, c, sim, provider, failedID)
	if simOrders := sim.expect(200, "GET", "/_sim/orders", nil).list(t); len(simOrders) != 2 {
		t.Errorf("the simulator accepted %d orders, want 2 for two store orders", len(simOrders))
	}

	answer := c.do("POST", "/api/admin/orders/"+failedID+"/retry-provisioning", nil)
	if answer.Status != http.StatusConflict || !strings.Contains(string(answer.Body), "order_already_issued") {
		t.Errorf("retrying an issued order = %d %s, want 409 order_already_issued", answer.Status, answer.Body)
	}
}

// connectProvider configures, tests, syncs and enables a provider.
func connectProvider(t *testing.T, c *client, provider simulatedProvider, simURL string) {
	t.Helper()
	path := "/api/admin/providers/" + provider.slug
	c.expect(200, "PUT", path, map[string]any{
		"base_url":              simURL + provider.basePath,
		"margin_percent":        20,
		"sync_interval_minutes": 60,
		"credentials":           provider.credentials,
	})
	test := c.expect(200, "POST", path+"/test", nil).object(t)
	if test["ok"] != true {
		t.Fatalf("test = %v, want ok", test)
	}
	balance, _ := test["balance"].(map[string]any)
	if balance["amount"] == nil || balance["amount"] == "" || balance["currency"] == nil || balance["currency"] == "" {
		t.Errorf("balance = %v, want an amount and a currency", test["balance"])
	}

	syncID := c.expect(202, "POST", path+"/sync", nil).object(t)["sync_id"].(string)
	var sync map[string]any
	waitFor(t, "the sync to finish", 60*time.Second, func() bool {
		sync = c.expect(200, "GET", path+"/syncs/"+syncID, nil).object(t)
		return sync["status"] != "running"
	})
	if sync["status"] != "completed" {
		t.Fatalf("sync = %v, want completed", sync)
	}
	if seen, _ := sync["packages_seen"].(float64); seen <= 0 {
		t.Fatalf("sync = %v, want packages seen", sync)
	}
	c.expect(200, "POST", path+"/enable", nil)
}

// pickPackage returns the id of the cheapest package of the first country
// in the public catalog.
func pickPackage(t *testing.T, c *client, slug string) string {
	t.Helper()
	countries := c.expect(200, "GET", "/api/catalog/countries", nil).list(t)
	if len(countries) == 0 {
		t.Fatalf("the catalog lists no country after syncing %s", slug)
	}
	code := countries[0]["code"].(string)
	packages := c.expect(200, "GET", "/api/catalog/packages?country="+code, nil).list(t)
	if len(packages) == 0 {
		t.Fatalf("country %s lists no package", code)
	}
	if packages[0]["provider"] != slug {
		t.Fatalf("package %v is not from %s", packages[0], slug)
	}
	return packages[0]["id"].(string)
}

// buyAndPay places an order and pays it with the test gateway.
func buyAndPay(t *testing.T, c *client, packageID string) (orderID, token string) {
	t.Helper()
	order := c.expect(201, "POST", "/api/orders", map[string]any{"package_id": packageID, "email": "traveller@example.test"}).object(t)
	orderID, token = order["id"].(string), order["access_token"].(string)
	c.expect(200, "POST", "/api/orders/"+orderID+"/payments/test", nil, "X-Order-Token", token)
	return orderID, token
}

// waitForOrder waits until the buyer's view of an order is issued or
// failed, and returns it.
func waitForOrder(t *testing.T, c *client, orderID, token string) map[string]any {
	t.Helper()
	var order map[string]any
	waitFor(t, "order "+orderID+" to be issued or failed", liveWait, func() bool {
		order = c.expect(200, "GET", "/api/orders/"+orderID, nil, "X-Order-Token", token).object(t)
		return order["status"] == "issued" || order["status"] == "failed"
	})
	return order
}

func checkLiveESIM(t *testing.T, order map[string]any) {
	t.Helper()
	esims, _ := order["esims"].([]any)
	if len(esims) != 1 {
		t.Fatalf("esims = %v, want one", order["esims"])
	}
	esim := esims[0].(map[string]any)
	if lpa, _ := esim["lpa"].(string); !strings.HasPrefix(lpa, "LPA:1$") {
		t.Errorf("lpa = %v, want LPA:1$…", esim["lpa"])
	}
	if esim["demo"] != false {
		t.Errorf("demo = %v, want false for a provider's eSIM", esim["demo"])
	}
	if iccid, _ := esim["iccid"].(string); iccid == "" {
		t.Errorf("esim = %v, want an ICCID", esim)
	}
}

// checkOrderedOnce checks that the simulator accepted exactly one order
// for the store order.
func checkOrderedOnce(t *testing.T, c *client, sim *client, provider simulatedProvider, orderID string) {
	t.Helper()
	admin := c.expect(200, "GET", "/api/admin/orders/"+orderID, nil).object(t)
	providerOrderID, _ := admin["provider_order_id"].(string)
	if providerOrderID == "" {
		t.Errorf("admin order view = %v, want a provider_order_id", admin)
	}
	matches := 0
	for _, simOrder := range sim.expect(200, "GET", "/_sim/orders", nil).list(t) {
		if provider.placedFor(simOrder, orderID, providerOrderID) {
			matches++
		}
	}
	if matches != 1 {
		t.Errorf("the simulator accepted %d orders for order %s, want exactly 1", matches, orderID)
	}
}
