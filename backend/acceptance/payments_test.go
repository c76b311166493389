package acceptance

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const stripeWebhookSecret = "whsec_acceptance_0123456789"

// startStripeMock builds stripe-mock from the module's tool dependency and
// runs it on free loopback ports, for HTTP and HTTPS.
func startStripeMock(t *testing.T) string {
	t.Helper()
	binary := filepath.Join(t.TempDir(), "stripe-mock")
	build := exec.Command("go", "build", "-o", binary, "github.com/stripe/stripe-mock")
	if output, err := build.CombinedOutput(); err != nil {
		t.Skipf("stripe-mock could not be built, so the Stripe checks cannot run: %v\n%s", err, output)
	}
	addr := freeAddr(t)
	// -http-port would listen on every interface, and without -https-addr
	// stripe-mock also serves HTTPS on port 12112 of every interface.
	mock := exec.Command(binary, "-http-addr", addr, "-https-addr", freeAddr(t))
	if err := mock.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mock.Process.Kill(); mock.Wait() })
	waitFor(t, "stripe-mock to listen", 30*time.Second, func() bool {
		conn, err := dialTCP(addr)
		if err != nil {
			return false
		}
		conn.Close()
		return true
	})
	return fmtAddr(addr)
}

// signStripe returns the Stripe-Signature header Stripe would send.
func signStripe(payload []byte, signedAt time.Time, secret string) string {
	timestamp := strconv.FormatInt(signedAt.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "." + string(payload)))
	return "t=" + timestamp + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// TestPayments_stripeAndManual pays one order through Stripe Checkout and
// its signed webhook, refunds it, and pays another by bank transfer.
func TestPayments_stripeAndManual(t *testing.T) {
	stripeURL := startStripeMock(t)
	simURL := startSimulator(t)
	s := newStore(t, "")
	s.env = append(s.env, "STRIPE_API_BASE="+stripeURL, "ESIMSCAN_TEST_PAYMENTS=0")
	c := s.start()
	c.expect(201, "POST", "/api/install", map[string]string{
		"store_name": "Payments eSIMs", "admin_email": adminEmail, "admin_password": adminPassword,
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

	// Stripe settings are write-only and audited by fingerprint.
	view := c.expect(200, "PUT", "/api/admin/settings/payments/stripe", map[string]any{
		"secret_key": "sk_test_acceptance", "webhook_secret": stripeWebhookSecret, "enabled": true,
	})
	if strings.Contains(string(view.Body), "sk_test_acceptance") || strings.Contains(string(view.Body), stripeWebhookSecret) {
		t.Fatal("the payment settings view shows a secret")
	}
	audit := c.expect(200, "GET", "/api/admin/audit?kind=credentials", nil)
	if !strings.Contains(string(audit.Body), "payments:stripe:secret_key") || strings.Contains(string(audit.Body), "sk_test_acceptance") {
		t.Errorf("credential audit = %s, want the Stripe key change by fingerprint only", audit.Body)
	}
	gateways := c.expect(200, "GET", "/api/payments/gateways", nil).object(t)
	if gateways["stripe"] != true || gateways["paypal"] != false || gateways["manual"] != false || gateways["test"] != false {
		t.Errorf("gateways = %v, want only stripe", gateways)
	}
	order := c.expect(201, "POST", "/api/orders", map[string]any{"package_id": packageID, "email": "stripe@example.test"}).object(t)
	orderID, token := order["id"].(string), order["access_token"].(string)
	c.expect(404, "POST", "/api/orders/"+orderID+"/payments/test", nil, "X-Order-Token", token)
	bad := c.do("POST", "/api/orders/"+orderID+"/checkout", map[string]string{"gateway": "paypal"}, "X-Order-Token", token)
	if bad.Status != 422 || bad.errorField(t) != "gateway" {
		t.Errorf("checkout with an unconfigured gateway = %d %s, want 422 naming gateway", bad.Status, bad.Body)
	}
	checkout := c.expect(200, "POST", "/api/orders/"+orderID+"/checkout", map[string]string{"gateway": "stripe"}, "X-Order-Token", token).object(t)
	if url, _ := checkout["redirect_url"].(string); url == "" {
		t.Fatalf("stripe checkout = %v, want a redirect_url", checkout)
	}

	event := []byte(fmt.Sprintf(`{"id":"evt_acceptance_1","type":"checkout.session.completed","api_version":"2099-01-01",
		"data":{"object":{"id":"cs_test_1","client_reference_id":%q,"metadata":{"order_id":%q},
		"payment_status":"paid","payment_intent":"pi_acceptance_1","amount_total":123,"currency":"usd"}}}`, orderID, orderID))
	c.expect(400, "POST", "/api/webhooks/stripe", string(event), "Stripe-Signature", signStripe(event, time.Now(), "whsec_wrong"))
	c.expect(400, "POST", "/api/webhooks/stripe", string(event), "Stripe-Signature",
		signStripe(event, time.Now().Add(-10*time.Minute), stripeWebhookSecret))
	for i := 0; i < 3; i++ {
		c.expect(200, "POST", "/api/webhooks/stripe", string(event), "Stripe-Signature", signStripe(event, time.Now(), stripeWebhookSecret))
	}
	waitFor(t, "the Stripe order to be issued", 30*time.Second, func() bool {
		return c.expect(200, "GET", "/api/orders/"+orderID, nil, "X-Order-Token", token).object(t)["status"] == "issued"
	})
	history := lifecycleTypes(c.expect(200, "GET", "/api/admin/orders/"+orderID+"/history", nil).list(t))
	if strings.Count(strings.Join(history, ","), "OrderPaid") != 1 {
		t.Errorf("history after three deliveries of one webhook = %v, want one OrderPaid", history)
	}

	tooMuch := c.do("POST", "/api/admin/orders/"+orderID+"/refund", map[string]string{"amount": "99.00"})
	if tooMuch.Status != 422 || tooMuch.errorField(t) != "amount" {
		t.Errorf("refund above the paid amount = %d %s, want 422 naming amount", tooMuch.Status, tooMuch.Body)
	}
	c.expect(200, "POST", "/api/admin/orders/"+orderID+"/refund", nil)
	if status := c.expect(200, "GET", "/api/admin/orders/"+orderID, nil).object(t)["status"]; status != "refunded" {
		t.Errorf("status after a full refund = %v, want refunded", status)
	}

	// Bank transfer: instructions for the customer, paid by the admin.
	c.expect(200, "PUT", "/api/admin/settings/payments/manual", map[string]any{
		"enabled": true, "instructions": "Transfer to IBAN XX00 0000, reference your order id.",
	})
	second := c.expect(201, "POST", "/api/orders", map[string]any{"package_id": packageID, "email": "bank@example.test"}).object(t)
	secondID, secondToken := second["id"].(string), second["access_token"].(string)
	manual := c.expect(200, "POST", "/api/orders/"+secondID+"/checkout", map[string]string{"gateway": "manual"}, "X-Order-Token", secondToken).object(t)
	if !strings.Contains(fmt.Sprint(manual["instructions"]), "IBAN") {
		t.Errorf("manual checkout = %v, want the transfer instructions", manual)
	}
	c.expect(200, "POST", "/api/admin/orders/"+secondID+"/mark-paid", nil)
	c.expect(200, "POST", "/api/admin/orders/"+secondID+"/mark-paid", nil)
	waitFor(t, "the bank-transfer order to be issued", 30*time.Second, func() bool {
		return c.expect(200, "GET", "/api/orders/"+secondID, nil, "X-Order-Token", secondToken).object(t)["status"] == "issued"
	})
	third := c.expect(201, "POST", "/api/orders", map[string]any{"package_id": packageID, "email": "cancel@example.test"}).object(t)
	c.expect(200, "POST", "/api/admin/orders/"+third["id"].(string)+"/cancel", nil)
	c.expect(409, "POST", "/api/admin/orders/"+third["id"].(string)+"/mark-paid", nil)
}

// TestPayments_stripeUnmatchedAndDelayed cancels an order whose Stripe
// checkout started and then receives its payment, which is refunded and
// shown in the history; pays an order by a delayed payment method; and
// acknowledges events that name an order id no order can have.
func TestPayments_stripeUnmatchedAndDelayed(t *testing.T) {
	stripeURL := startStripeMock(t)
	simURL := startSimulator(t)
	s := newStore(t, "")
	s.env = append(s.env, "STRIPE_API_BASE="+stripeURL, "ESIMSCAN_TEST_PAYMENTS=0")
	c := s.start()
	c.expect(201, "POST", "/api/install", map[string]string{
		"store_name": "Stripe eSIMs", "admin_email": adminEmail, "admin_password": adminPassword,
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
	c.expect(200, "PUT", "/api/admin/settings/payments/stripe", map[string]any{
		"secret_key": "sk_test_acceptance", "webhook_secret": stripeWebhookSecret, "enabled": true,
	})
	deliver := func(event []byte) {
		t.Helper()
		c.expect(200, "POST", "/api/webhooks/stripe", string(event), "Stripe-Signature", signStripe(event, time.Now(), stripeWebhookSecret))
	}
	session := func(eventID, eventType, orderID, status, intent string) []byte {
		return []byte(fmt.Sprintf(`{"id":%q,"type":%q,"data":{"object":{"id":"cs_%s","client_reference_id":%q,
			"payment_status":%q,"payment_intent":%q,"amount_total":123,"currency":"usd"}}}`,
			eventID, eventType, eventID, orderID, status, intent))
	}
	placeWithCheckout := func(email string) (string, string) {
		order := c.expect(201, "POST", "/api/orders", map[string]any{"package_id": packageID, "email": email}).object(t)
		id, token := order["id"].(string), order["access_token"].(string)
		c.expect(200, "POST", "/api/orders/"+id+"/checkout", map[string]string{"gateway": "stripe"}, "X-Order-Token", token)
		return id, token
	}

	// The admin cancels while the buyer pays: the session is expired, and
	// the payment that still arrives is refunded and shown on the order.
	cancelled, _ := placeWithCheckout("stripe-cancelled@example.test")
	c.expect(200, "POST", "/api/admin/orders/"+cancelled+"/cancel", nil)
	for i := range 2 {
		deliver(session(fmt.Sprintf("evt_late_%d", i), "checkout.session.completed", cancelled, "paid", "pi_late_payment"))
	}
	history := c.expect(200, "GET", "/api/admin/orders/"+cancelled+"/history", nil).list(t)
	var returned []map[string]any
	for _, entry := range history {
		if entry["type"] == "PaymentReturned" {
			returned = append(returned, entry["data"].(map[string]any))
		}
	}
	if len(returned) != 1 {
		t.Fatalf("history %v, want one PaymentReturned", lifecycleTypes(history))
	}
	if returned[0]["payment_reference"] != "pi_late_payment" || returned[0]["refund_reference"] == "" || returned[0]["reason"] == "" {
		t.Errorf("PaymentReturned = %v", returned[0])
	}
	if status := c.expect(200, "GET", "/api/admin/orders/"+cancelled, nil).object(t)["status"]; status != "cancelled" {
		t.Errorf("status = %v, want cancelled", status)
	}

	// A delayed payment method completes the session unpaid, then pays.
	delayed, token := placeWithCheckout("stripe-delayed@example.test")
	deliver(session("evt_delayed_1", "checkout.session.completed", delayed, "unpaid", "pi_delayed"))
	if status := c.expect(200, "GET", "/api/orders/"+delayed, nil, "X-Order-Token", token).object(t)["status"]; status != "pending_payment" {
		t.Fatalf("status after an unpaid completion = %v, want pending_payment", status)
	}
	deliver(session("evt_delayed_2", "checkout.session.async_payment_succeeded", delayed, "paid", "pi_delayed"))
	waitFor(t, "the delayed payment's order to be issued", 30*time.Second, func() bool {
		return c.expect(200, "GET", "/api/orders/"+delayed, nil, "X-Order-Token", token).object(t)["status"] == "issued"
	})

	// An order id that no order can have is acknowledged, not retried.
	for i, orderID := range []string{"../../etc", "nosuchorder123"} {
		deliver(session(fmt.Sprintf("evt_malformed_%d", i), "checkout.session.completed", orderID, "paid", "pi_malformed"))
	}
	if strings.Contains(s.process.output.String(), "sk_test_acceptance") {
		t.Fatal("the store logged the Stripe secret key")
	}
}
