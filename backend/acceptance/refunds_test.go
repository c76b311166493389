package acceptance

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRefund_paypalDashboard pays an order with PayPal against the
// simulator run by the binary, then refunds it in "PayPal's dashboard",
// the simulator's test control, which the store does not see. The
// PAYMENT.CAPTURE.REFUNDED webhook is delivered twice and then once more
// as a second event of the same refund, and the order becomes refunded
// with one OrderRefunded.
func TestRefund_paypalDashboard(t *testing.T) {
	paypalURL := startPayPalSimulator(t)
	simURL := startSimulator(t)
	s := newStore(t, "")
	s.env = append(s.env, "PAYPAL_API_BASE="+paypalURL, "ESIMSCAN_TEST_PAYMENTS=0")
	c := s.start()
	sim := newClient(t, paypalURL)
	c.expect(201, "POST", "/api/install", map[string]string{
		"store_name": "Refund eSIMs", "admin_email": adminEmail, "admin_password": adminPassword,
	})
	c.login(t)
	c.expect(200, "PUT", "/api/admin/providers/esim-access", map[string]any{
		"base_url": simURL, "margin_percent": 25, "sync_interval_minutes": 60,
		"credentials": map[string]string{"access_code": simAccessCode, "secret_key": simSecretKey},
	})
	c.expect(200, "POST", "/api/admin/providers/esim-access/test", nil)
	syncID := c.expect(202, "POST", "/api/admin/providers/esim-access/sync", nil).object(t)["sync_id"].(string)
	waitFor(t, "the sync", 60*time.Second, func() bool {
		return c.expect(200, "GET", "/api/admin/providers/esim-access/syncs/"+syncID, nil).object(t)["status"] == "completed"
	})
	c.expect(200, "POST", "/api/admin/providers/esim-access/enable", nil)
	packageID := c.expect(200, "GET", "/api/catalog/packages?country=JP", nil).list(t)[0]["id"].(string)
	c.expect(200, "PUT", "/api/admin/settings/payments/paypal", map[string]any{
		"client_id": paypalClientID, "client_secret": paypalClientSecret, "webhook_id": paypalWebhookID,
		"mode": "sandbox", "enabled": true,
	})

	order := placePayPalOrder(t, c, packageID, "paypal-dashboard-refund@example.test")
	b := newBrowser(t)
	if status, returnURL := b.get(order.approveURL); status != http.StatusFound || returnURL == "" {
		t.Fatalf("approval = %d to %q, want a redirect to the store", status, returnURL)
	} else if status, page := b.get(returnURL); status != http.StatusFound || !strings.HasSuffix(page, "?checkout=success") {
		t.Fatalf("return route = %d to %q, want 302 to the order page with checkout=success", status, page)
	}
	waitForStatus(t, c, order, "issued")
	captures := paypalOrder(t, sim, order.paypalID).Captures
	if len(captures) != 1 {
		t.Fatalf("PayPal captures = %+v, want one", captures)
	}
	captureID := captures[0].ID

	// The merchant refunds everything in PayPal's dashboard.
	sim.expect(201, "POST", "/_sim/captures/"+captureID+"/refund", nil)
	if got := c.expect(200, "GET", "/api/admin/orders/"+order.id, nil).object(t)["status"]; got != "issued" {
		t.Fatalf("status before the webhook = %v, want issued", got)
	}

	refunded := signedWebhook(t, sim, map[string]string{
		"webhook_id": paypalWebhookID, "event_type": "PAYMENT.CAPTURE.REFUNDED", "capture_id": captureID,
	})
	if strings.Contains(refunded.Body, order.id) {
		t.Fatal("the dashboard refund's webhook names the order; the store must find it through the capture")
	}
	c.expect(200, "POST", "/api/webhooks/paypal", refunded.Body, refunded.headerList()...)
	again := c.expect(200, "POST", "/api/webhooks/paypal", refunded.Body, refunded.headerList()...).object(t)
	if again["duplicate"] != true {
		t.Errorf("second delivery of one event = %v, want it reported as a duplicate", again)
	}
	// PayPal can report one refund in more than one event.
	second := signedWebhook(t, sim, map[string]string{
		"webhook_id": paypalWebhookID, "event_type": "PAYMENT.CAPTURE.REFUNDED", "capture_id": captureID,
	})
	c.expect(200, "POST", "/api/webhooks/paypal", second.Body, second.headerList()...)

	waitFor(t, "order "+order.id+" to be refunded", 30*time.Second, func() bool {
		return c.expect(200, "GET", "/api/admin/orders/"+order.id, nil).object(t)["status"] == "refunded"
	})
	checkPaidOnce(t, c, order.id, "OrderPlaced,OrderPaid,ProvisioningStarted,ESIMIssued,OrderRefunded")
	var refund map[string]any
	for _, entry := range c.expect(200, "GET", "/api/admin/orders/"+order.id+"/history", nil).list(t) {
		if entry["type"] == "OrderRefunded" {
			refund, _ = entry["data"].(map[string]any)
		}
	}
	amount, _ := refund["amount"].(map[string]any)
	if refund["gateway"] != "paypal" || amount["amount"] != order.total["amount"] || amount["currency"] != order.total["currency"] {
		t.Errorf("OrderRefunded data = %v, want paypal and the order total %v", refund, order.total)
	}
	if refund["refund_reference"] == "" || refund["refund_reference"] == nil {
		t.Errorf("OrderRefunded has no refund_reference: %v", refund)
	}

	// Refunding again from the admin is rejected: nothing is left.
	c.expect(409, "POST", "/api/admin/orders/"+order.id+"/refund", nil)
	checkPaidOnce(t, c, order.id, "OrderPlaced,OrderPaid,ProvisioningStarted,ESIMIssued,OrderRefunded")
}

// TestRefund_paypalRepeatedAmounts refunds a PayPal payment of 1.23 twice
// by 0.50, then 20 times by 0.10 at once: PayPal pays out exactly the
// refunds the order records.
func TestRefund_paypalRepeatedAmounts(t *testing.T) {
	_, c, sim, packageID := newPayPalStore(t)
	order := placePayPalOrder(t, c, packageID, "paypal-repeat-refund@example.test")
	b := newBrowser(t)
	_, returnURL := b.get(order.approveURL)
	if status, page := b.get(returnURL); status != http.StatusFound || !strings.HasSuffix(page, "?checkout=success") {
		t.Fatalf("return route = %d to %q, want checkout=success", status, page)
	}
	waitForStatus(t, c, order, "issued")
	if order.total["amount"] != "1.23" {
		t.Fatalf("order total = %v, want 1.23 for the amounts below", order.total)
	}

	for range 2 {
		c.expect(200, "POST", "/api/admin/orders/"+order.id+"/refund", map[string]string{"amount": "0.50"})
	}
	capture := paypalOrder(t, sim, order.paypalID).Captures[0]
	if capture.Refunds != 2 || capture.Refunded != "1.00" {
		t.Errorf("PayPal capture after two refunds of 0.50 = %+v, want two refunds of 1.00 in all", capture)
	}
	if got := countOf(historyTypes(t, c, order.id), "OrderRefunded"); got != 2 {
		t.Errorf("OrderRefunded events = %d, want 2", got)
	}

	var wg sync.WaitGroup
	statuses := make(chan int, 20)
	for range 20 {
		wg.Go(func() {
			status, _, err := c.sendJSON("POST", "/api/admin/orders/"+order.id+"/refund", `{"amount":"0.10"}`)
			if err != nil {
				t.Errorf("refund: %v", err)
			}
			statuses <- status
		})
	}
	wg.Wait()
	close(statuses)
	for status := range statuses {
		if status != http.StatusOK && status != http.StatusUnprocessableEntity {
			t.Errorf("concurrent refund = %d, want 200 or 422", status)
		}
	}
	capture = paypalOrder(t, sim, order.paypalID).Captures[0]
	recorded := countOf(historyTypes(t, c, order.id), "OrderRefunded")
	if capture.Refunds != recorded {
		t.Errorf("PayPal made %d refunds (%s), the order records %d", capture.Refunds, capture.Refunded, recorded)
	}
	if capture.Refunds < 3 {
		t.Errorf("PayPal made %d refunds, want at least one of the concurrent ones", capture.Refunds)
	}
}
