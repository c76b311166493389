package acceptance

import (
	"syscall"
	"testing"
	"time"
)

// TestProvisioning_killedMidESIMGoOrder kills the store while eSIM Go holds
// back the response of an order it has already charged, then restarts it.
// eSIM Go has no idempotency key and the new process's adapter remembers
// nothing of the first call, so only the recorded ProviderOrderRequested
// makes the restarted store look the order up instead of buying again.
func TestProvisioning_killedMidESIMGoOrder(t *testing.T) {
	binaryPath(t)
	t.Parallel()
	provider := providerBySlug(t, "esim-go")
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

	// The simulator charges the transaction at once and holds its response
	// for 20 s, longer than the test waits before the kill.
	sim.expect(200, "POST", "/_sim/fail", map[string]any{
		"mode": "slow", "count": 1, "delay_ms": 20000, "method": "POST", "path": "/orders", "order_type": "transaction",
	})
	orderID, token := buyAndPay(t, c, packageID)
	waitFor(t, "the simulator to charge the order", 20*time.Second, func() bool {
		return len(sim.expect(200, "GET", "/_sim/orders", nil).list(t)) == 1
	})
	s.stop(syscall.SIGKILL)

	c = s.start()
	c.login(t)
	order := waitForOrder(t, c, orderID, token)
	if order["status"] != "issued" {
		t.Fatalf("order after the restart = %v, want issued", order)
	}
	simOrders := sim.expect(200, "GET", "/_sim/orders", nil).list(t)
	if len(simOrders) != 1 {
		t.Fatalf("the simulator charged %d orders, want exactly 1", len(simOrders))
	}
	admin := c.expect(200, "GET", "/api/admin/orders/"+orderID, nil).object(t)
	if admin["provider_order_id"] != simOrders[0]["orderReference"] {
		t.Errorf("provider_order_id = %v, want the charged order %v", admin["provider_order_id"], simOrders[0]["orderReference"])
	}
	counts := map[string]int{}
	history := lifecycleTypes(c.expect(200, "GET", "/api/admin/orders/"+orderID+"/history", nil).list(t))
	for _, eventType := range history {
		counts[eventType]++
	}
	for _, eventType := range []string{"ProviderOrderRequested", "ProviderOrderPlaced", "ESIMIssued"} {
		if counts[eventType] != 1 {
			t.Errorf("history = %v, want exactly one %s", history, eventType)
		}
	}
	s.stop(syscall.SIGTERM)
}
