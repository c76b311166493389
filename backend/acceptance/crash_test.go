package acceptance

import (
	"syscall"
	"testing"
	"time"
)

// TestProvisioning_killedMidOrder kills the store while the provider is
// still answering the order of a paid order, restarts it, and checks the
// order is provisioned exactly once: one provider order, one ESIMIssued.
func TestProvisioning_killedMidOrder(t *testing.T) {
	binaryPath(t)
	var provider simulatedProvider
	for _, candidate := range simulatedProviders() {
		if candidate.slug == "esim-access" {
			provider = candidate
		}
	}
	simURL := startProviderSimulator(t, provider.slug)
	s := newStore(t, "")
	s.env = append(s.env, "ESIM_PROVISIONING_DRIVER=live")
	c := s.start()
	c.expect(201, "POST", "/api/install", map[string]string{
		"store_name": "Crash eSIMs", "admin_email": adminEmail, "admin_password": adminPassword,
	})
	c.login(t)
	connectProvider(t, c, provider, simURL)
	packageID := pickPackage(t, c, provider.slug)
	sim := newClient(t, simURL)

	// The simulator holds the order call for 4 s before it takes it.
	sim.expect(200, "POST", "/_sim/fail", map[string]any{
		"mode": "slow", "count": 1, "delay_ms": 4000, "path": "/api/v1/open/esim/order",
	})
	orderID, token := buyAndPay(t, c, packageID)
	waitFor(t, "provisioning to start", 20*time.Second, func() bool {
		for _, eventType := range lifecycleTypes(c.expect(200, "GET", "/api/admin/orders/"+orderID+"/history", nil).list(t)) {
			if eventType == "ProvisioningStarted" {
				return true
			}
		}
		return false
	})
	// The live driver calls the provider right after ProvisioningStarted;
	// half a second later that call is waiting on the simulator.
	time.Sleep(500 * time.Millisecond)
	s.stop(syscall.SIGKILL)

	c = s.start()
	c.login(t)
	order := waitForOrder(t, c, orderID, token)
	if order["status"] != "issued" {
		t.Fatalf("order after the restart = %v, want issued", order)
	}
	checkOrderedOnce(t, c, sim, provider, orderID)
	history := lifecycleTypes(c.expect(200, "GET", "/api/admin/orders/"+orderID+"/history", nil).list(t))
	issued := 0
	for _, eventType := range history {
		if eventType == "ESIMIssued" {
			issued++
		}
	}
	if issued != 1 {
		t.Errorf("history = %v, want exactly one ESIMIssued", history)
	}
	s.stop(syscall.SIGTERM)
}
