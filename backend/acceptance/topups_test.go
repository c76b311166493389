package acceptance

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
)

func TestTopUps_liveESIMAccess(t *testing.T) {
	binaryPath(t)
	t.Parallel()
	// The adapter sends the top-up order's id as transactionId.
	runLiveTopUp(t, "esim-access", func(sold map[string]any, topUpID string) bool {
		return sold["transactionId"] == topUpID
	})
}

func TestTopUps_liveAiralo(t *testing.T) {
	binaryPath(t)
	t.Parallel()
	// Airalo has no idempotency key: the adapter names the top-up order in
	// the description, which it looks up before buying.
	runLiveTopUp(t, "airalo", func(sold map[string]any, topUpID string) bool {
		return sold["description"] == "esimscan top-up "+topUpID
	})
}

func TestTopUps_liveESIMGo(t *testing.T) {
	binaryPath(t)
	t.Parallel()
	// eSIM Go keeps no client reference on an order, so no field of the
	// simulator's top-ups names the top-up order. The store sold one
	// top-up, so the simulator must have applied exactly one bundle.
	runLiveTopUp(t, "esim-go", func(map[string]any, string) bool { return true })
}

// runLiveTopUp sells one eSIM of the provider with the live driver, then a
// top-up of it, and checks that the provider's simulator sold exactly one
// top-up that soldFor matches to the top-up order.
func runLiveTopUp(t *testing.T, slug string, soldFor func(sold map[string]any, topUpID string) bool) {
	t.Helper()
	provider := providerBySlug(t, slug)
	c, simURL, stop := liveStoreWith(t, provider)
	defer stop()
	sim := newClient(t, simURL)
	parentID, parentToken := buyAndPay(t, c, pickPackage(t, c, provider.slug))
	parent := waitForOrder(t, c, parentID, parentToken)
	if parent["status"] != "issued" {
		t.Fatalf("order = %v, want issued", parent)
	}
	iccid := parent["esims"].([]any)[0].(map[string]any)["iccid"].(string)

	listed := c.expect(200, "GET", "/api/orders/"+parentID+"/topups", nil, "X-Order-Token", parentToken).object(t)
	packages, _ := listed["packages"].([]any)
	if len(packages) == 0 {
		t.Fatalf("top-ups = %v, want at least one package", listed)
	}
	offer := packages[0].(map[string]any)
	if price, _ := offer["price"].(map[string]any); price["amount"] == nil || price["currency"] != "USD" {
		t.Errorf("top-up package = %v, want a USD price", offer)
	}
	if target, _ := listed["topup_of"].(map[string]any); target["iccid"] != iccid {
		t.Errorf("topup_of = %v, want ICCID %s", listed["topup_of"], iccid)
	}
	c.expect(404, "GET", "/api/orders/"+parentID+"/topups", nil, "X-Order-Token", "wrong-token")

	placed := c.expect(201, "POST", "/api/orders/"+parentID+"/topups", map[string]any{"package_id": offer["id"]},
		"X-Order-Token", parentToken).object(t)
	topUpID, topUpToken := placed["id"].(string), placed["access_token"].(string)
	if placed["status"] != "pending_payment" {
		t.Errorf("top-up order = %v, want pending_payment", placed)
	}
	c.expect(200, "POST", "/api/orders/"+topUpID+"/payments/test", nil, "X-Order-Token", topUpToken)
	topUp := waitForOrder(t, c, topUpID, topUpToken)
	if topUp["status"] != "issued" {
		t.Fatalf("top-up order = %v, want issued (applied)", topUp)
	}
	if target, _ := topUp["topup_of"].(map[string]any); target["order_id"] != parentID || target["iccid"] != iccid {
		t.Errorf("topup_of = %v, want order %s and ICCID %s", topUp["topup_of"], parentID, iccid)
	}
	if esims, _ := topUp["esims"].([]any); len(esims) != 0 {
		t.Errorf("top-up order issued eSIMs %v, want none", esims)
	}
	history := c.expect(200, "GET", "/api/admin/orders/"+topUpID+"/history", nil).list(t)
	if got, want := strings.Join(lifecycleTypes(history), ","), "OrderPlaced,OrderPaid,ProvisioningStarted,ProviderOrderRequested,TopUpApplied"; got != want {
		t.Errorf("top-up history = %s, want %s", got, want)
	}
	checkParentListsTopUp(t, c, parentID, parentToken, topUpID)
	checkToppedUpOnce(t, sim, topUpID, iccid, soldFor)
}

func TestTopUps_providerWithoutTopUpsAnswers409(t *testing.T) {
	binaryPath(t)
	t.Parallel()
	provider := providerBySlug(t, "maya")
	c, _, stop := liveStoreWith(t, provider)
	defer stop()
	orderID, token := buyAndPay(t, c, pickPackage(t, c, provider.slug))
	if order := waitForOrder(t, c, orderID, token); order["status"] != "issued" {
		t.Fatalf("order = %v, want issued", order)
	}

	for _, answer := range []response{
		c.do("GET", "/api/orders/"+orderID+"/topups", nil, "X-Order-Token", token),
		c.do("POST", "/api/orders/"+orderID+"/topups", map[string]any{"package_id": "any"}, "X-Order-Token", token),
	} {
		if answer.Status != http.StatusConflict || !strings.Contains(string(answer.Body), "topup_not_supported") {
			t.Errorf("top-up of a maya order = %d %s, want 409 topup_not_supported", answer.Status, answer.Body)
		}
	}
}

func providerBySlug(t *testing.T, slug string) simulatedProvider {
	t.Helper()
	for _, provider := range simulatedProviders() {
		if provider.slug == slug {
			return provider
		}
	}
	t.Fatalf("no simulated provider %s", slug)
	return simulatedProvider{}
}

// liveStoreWith starts a store with the live driver and one provider
// connected to its simulator, signed in as the admin.
func liveStoreWith(t *testing.T, provider simulatedProvider) (*client, string, func()) {
	t.Helper()
	simURL := startProviderSimulator(t, provider.slug)
	s := newStore(t, "")
	s.env = append(s.env, "ESIM_PROVISIONING_DRIVER=live")
	c := s.start()
	c.expect(201, "POST", "/api/install", map[string]string{
		"store_name": "Top-up eSIMs", "admin_email": adminEmail, "admin_password": adminPassword,
	})
	c.login(t)
	connectProvider(t, c, provider, simURL)
	return c, simURL, func() { s.stop(syscall.SIGTERM) }
}

func checkParentListsTopUp(t *testing.T, c *client, parentID, parentToken, topUpID string) {
	t.Helper()
	parent := c.expect(200, "GET", "/api/orders/"+parentID, nil, "X-Order-Token", parentToken).object(t)
	topUps, _ := parent["topups"].([]any)
	if len(topUps) != 1 {
		t.Fatalf("parent topups = %v, want one", parent["topups"])
	}
	entry := topUps[0].(map[string]any)
	if entry["order_id"] != topUpID || entry["status"] != "issued" || entry["applied_at"] == nil {
		t.Errorf("parent's top-up entry = %v, want %s issued and applied", entry, topUpID)
	}
}

// checkToppedUpOnce checks that the simulator sold exactly one top-up for
// the top-up order, and that it went to the eSIM with this ICCID.
func checkToppedUpOnce(t *testing.T, sim *client, topUpID, iccid string,
	soldFor func(sold map[string]any, topUpID string) bool,
) {
	t.Helper()
	matches := 0
	for _, sold := range sim.expect(200, "GET", "/_sim/topups", nil).list(t) {
		if soldFor(sold, topUpID) {
			matches++
			if sold["iccid"] != iccid {
				t.Errorf("simulator top-up = %v, want ICCID %s", sold, iccid)
			}
		}
	}
	if matches != 1 {
		t.Errorf("the simulator sold %d top-ups for order %s, want exactly 1", matches, topUpID)
	}
}
