package acceptance

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rejectionWait bounds the wait for an order the provider refuses. The
// live driver fails it after the first order call, far sooner than its
// provisioning deadline.
const rejectionWait = 15 * time.Second

// An order that eSIM Access refuses for an insufficient balance fails at
// once with the provider's reason, buys nothing, and a retry after the
// balance is topped up issues it.
func TestProviders_rejectedOrderFailsAtOnce(t *testing.T) {
	binaryPath(t)
	provider := simulatedProviders()[1]
	if provider.slug != "esim-access" {
		t.Fatalf("simulatedProviders()[1] is %s, want esim-access", provider.slug)
	}
	simURL := startProviderSimulator(t, provider.slug)
	s := newStore(t, "")
	s.env = append(s.env, "ESIM_PROVISIONING_DRIVER=live")
	c := s.start()
	defer s.stop(syscall.SIGTERM)
	c.expect(201, "POST", "/api/install", map[string]string{
		"store_name": "Refused eSIMs", "admin_email": adminEmail, "admin_password": adminPassword,
	})
	c.login(t)
	connectProvider(t, c, provider, simURL)
	packageID := pickPackage(t, c, provider.slug)
	sim := newClient(t, simURL)

	sim.expect(200, "POST", "/_sim/fail", map[string]any{"mode": "insufficient_balance", "count": 5})
	orderID, token := buyAndPay(t, c, packageID)
	var admin map[string]any
	waitFor(t, "order "+orderID+" to fail", rejectionWait, func() bool {
		admin = c.expect(200, "GET", "/api/admin/orders/"+orderID, nil).object(t)
		return admin["status"] != "paid" && admin["status"] != "provisioning"
	})
	if admin["status"] != "failed" {
		t.Fatalf("admin order view = %v, want failed", admin)
	}
	failure, _ := admin["failure"].(map[string]any)
	message, _ := failure["message"].(string)
	for _, want := range []string{"esim-access refused the order", "200007", "Insufficient account balance", "Top up the merchant balance"} {
		if !strings.Contains(message, want) {
			t.Errorf("failure message = %q, want it to contain %q", message, want)
		}
	}
	if id, _ := admin["provider_order_id"].(string); id != "" {
		t.Errorf("provider_order_id = %q, want none for a refused order", id)
	}
	if simOrders := sim.expect(200, "GET", "/_sim/orders", nil).list(t); len(simOrders) != 0 {
		t.Errorf("the simulator accepted %d orders, want none while it refuses them", len(simOrders))
	}

	sim.expect(200, "DELETE", "/_sim/fail", nil)
	c.expect(http.StatusAccepted, "POST", "/api/admin/orders/"+orderID+"/retry-provisioning", nil)
	retried := waitForOrder(t, c, orderID, token)
	if retried["status"] != "issued" {
		t.Fatalf("retried order = %v, want issued", retried)
	}
	checkLiveESIM(t, retried)
	checkOrderedOnce(t, c, sim, provider, orderID)
}
