package acceptance

import (
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"esimscan/backend/internal/email/mailpittest"
)

var linkToken = regexp.MustCompile(`token=([^\s"<]+)`)

// TestCustomers_accountOrderAndErasure walks a customer's life through the
// built binary: register → verification email → verify → sign in → buy →
// eSIM email → my orders → erasure, after which no view, list or export
// shows the address.
func TestCustomers_accountOrderAndErasure(t *testing.T) {
	mailpit := mailpittest.Start(t, 0)
	simURL := startSimulator(t)
	s := newStore(t, "")
	admin := s.start()
	defer s.stop(syscall.SIGTERM)
	openStore(t, admin, simURL)
	admin.expect(200, "PUT", "/api/admin/settings/smtp", map[string]any{
		"host": "127.0.0.1", "port": mailpit.Port, "username": "", "password": "",
		"from": "shop@example.test", "security": "none",
	})

	address := "buyer-" + uuid.NewString()[:8] + "@example.test"
	password := "a long customer password"
	customer := newClient(t, admin.base)
	customer.expect(201, "POST", "/api/customers/register", map[string]string{"email": address, "password": password})
	verification := mailpit.WaitForMessages(t, address, 1, 30*time.Second)[0]
	customer.expect(200, "POST", "/api/customers/verify", map[string]string{"token": tokenIn(t, verification.Text)})
	customer.csrf = customer.expect(200, "POST", "/api/customers/login",
		map[string]string{"email": address, "password": password}).object(t)["csrf_token"].(string)
	customerID := customer.expect(200, "GET", "/api/customers/me", nil).object(t)["id"].(string)

	packages := customer.expect(200, "GET", "/api/catalog/packages?country=JP", nil).list(t)
	placed := customer.expect(201, "POST", "/api/orders", map[string]any{"package_id": packages[0]["id"], "email": address}).object(t)
	orderID, token := placed["id"].(string), placed["access_token"].(string)
	customer.expect(200, "POST", "/api/orders/"+orderID+"/payments/test", nil, "X-Order-Token", token)
	waitFor(t, "the order to be issued", 30*time.Second, func() bool {
		return customer.expect(200, "GET", "/api/orders/"+orderID, nil, "X-Order-Token", token).object(t)["status"] == "issued"
	})
	delivery := mailpit.WaitForMessages(t, address, 2, 30*time.Second)[0]
	if !strings.Contains(delivery.Text, "LPA:") || len(delivery.Inline)+len(delivery.Attachments) == 0 {
		t.Errorf("eSIM email %q lacks the LPA string or the QR image", delivery.Subject)
	}
	waitFor(t, "the order in my orders", 20*time.Second, func() bool {
		mine := customer.expect(200, "GET", "/api/customers/me/orders", nil).list(t)
		return len(mine) == 1 && mine[0]["id"] == orderID && mine[0]["email"] == address
	})
	// The account opens its order without the private link's token, as on
	// another device; a visitor without the session gets the wrong-token 404.
	if email := customer.expect(200, "GET", "/api/orders/"+orderID, nil).object(t)["email"]; email != address {
		t.Errorf("order opened by session shows email %v, want %s", email, address)
	}
	newClient(t, admin.base).expect(404, "GET", "/api/orders/"+orderID, nil)

	// The account also pays an order without its token: the session and
	// its CSRF token stand in for it, and no other session does.
	admin.expect(200, "PUT", "/api/admin/settings/payments/manual",
		map[string]any{"enabled": true, "instructions": "Pay to the test account."})
	unpaid := customer.expect(201, "POST", "/api/orders", map[string]any{"package_id": packages[0]["id"], "email": address}).object(t)
	checkoutPath := "/api/orders/" + unpaid["id"].(string) + "/checkout"
	manual := map[string]string{"gateway": "manual"}
	customer.expect(403, "POST", checkoutPath, manual, "X-CSRF-Token", "")
	if instructions := customer.expect(200, "POST", checkoutPath, manual).object(t)["instructions"]; instructions != "Pay to the test account." {
		t.Errorf("checkout by session gave instructions %v", instructions)
	}
	newClient(t, admin.base).expect(404, "POST", checkoutPath, manual)
	customer.expect(204, "POST", "/api/customers/logout", nil)
	customer.expect(401, "GET", "/api/customers/me/orders", nil)
	customer.expect(404, "GET", "/api/orders/"+orderID, nil)
	if email := admin.expect(200, "GET", "/api/admin/orders/"+orderID, nil).object(t)["email"]; email != address {
		t.Errorf("admin order email before erasure = %v, want %s", email, address)
	}

	admin.expect(200, "POST", "/api/admin/customers/"+customerID+"/erase", nil)
	waitFor(t, "the customer and the order to read erased", 20*time.Second, func() bool {
		listed := findBy(admin.expect(200, "GET", "/api/admin/customers", nil).list(t), "id", customerID)
		order := admin.expect(200, "GET", "/api/admin/orders/"+orderID, nil).object(t)
		return listed != nil && listed["email"] == "erased" && order["email"] == "erased"
	})
	for _, path := range []string{"/api/admin/customers", "/api/admin/orders", "/api/admin/orders/" + orderID} {
		if strings.Contains(strings.ToLower(string(admin.expect(200, "GET", path, nil).Body)), address) {
			t.Errorf("%s still shows the erased address", path)
		}
	}
	erasures := 0
	for _, line := range exportEvents(t, s.env) {
		if strings.Contains(strings.ToLower(line), address) {
			t.Errorf("the export contains the erased address: %.200s", line)
		}
		if strings.Contains(line, `"type":"CustomerErased"`) {
			erasures++
		}
	}
	if erasures != 1 {
		t.Errorf("the log holds %d CustomerErased events, want exactly 1", erasures)
	}
	if found := admin.expect(200, "GET", "/api/admin/orders?email="+url.QueryEscape(address), nil).list(t); len(found) != 0 {
		t.Errorf("the email filter still finds %d orders of the erased customer", len(found))
	}
	admin.expect(409, "POST", "/api/admin/orders/"+orderID+"/resend-email", nil)

	reregisterAfterErasure(t, admin, mailpit, address, customerID, orderID)
}

// reregisterAfterErasure registers the erased customer's address again:
// a new account opens with a new id, verifies and signs in, while the old
// account's order stays erased and out of the new account.
func reregisterAfterErasure(t *testing.T, admin *client, mailpit *mailpittest.Mailpit, address, oldID, oldOrderID string) {
	t.Helper()
	password := "a second customer password"
	before := len(mailpit.MessagesTo(t, address))
	again := newClient(t, admin.base)
	again.expect(201, "POST", "/api/customers/register", map[string]string{"email": address, "password": password})
	verification := mailpit.WaitForMessages(t, address, before+1, 30*time.Second)[0]
	if verification.Subject != "Confirm your email address" {
		t.Fatalf("registering the erased address again sent %q; want a verification link", verification.Subject)
	}
	again.expect(200, "POST", "/api/customers/verify", map[string]string{"token": tokenIn(t, verification.Text)})
	again.csrf = again.expect(200, "POST", "/api/customers/login",
		map[string]string{"email": address, "password": password}).object(t)["csrf_token"].(string)
	me := again.expect(200, "GET", "/api/customers/me", nil).object(t)
	if me["id"] == oldID || me["email"] != address {
		t.Errorf("the new account is %v; want a new id with the address", me)
	}
	if mine := again.expect(200, "GET", "/api/customers/me/orders", nil).list(t); len(mine) != 0 {
		t.Errorf("the new account lists %d orders; the erased account's orders stay apart", len(mine))
	}
	again.expect(404, "GET", "/api/orders/"+oldOrderID, nil)
	if email := admin.expect(200, "GET", "/api/admin/orders/"+oldOrderID, nil).object(t)["email"]; email != "erased" {
		t.Errorf("the erased account's order reads %v after the new registration; want erased", email)
	}
	old := findBy(admin.expect(200, "GET", "/api/admin/customers", nil).list(t), "id", oldID)
	if old == nil || old["email"] != "erased" {
		t.Errorf("the erased customer reads %v after the new registration; want erased", old)
	}
}

// TestCustomers_guestOrderSealedAndErased buys as a guest through the
// built binary: the eSIM email reaches the address, the admin finds the
// order by email, the log never holds the address in the clear, and
// erasing the guest makes the order read erased while the log keeps its
// events.
func TestCustomers_guestOrderSealedAndErased(t *testing.T) {
	mailpit := mailpittest.Start(t, 0)
	simURL := startSimulator(t)
	s := newStore(t, "")
	admin := s.start()
	defer s.stop(syscall.SIGTERM)
	openStore(t, admin, simURL)
	admin.expect(200, "PUT", "/api/admin/settings/smtp", map[string]any{
		"host": "127.0.0.1", "port": mailpit.Port, "username": "", "password": "",
		"from": "shop@example.test", "security": "none",
	})

	address := "guest-" + uuid.NewString()[:8] + "@example.test"
	guest := newClient(t, admin.base)
	packages := guest.expect(200, "GET", "/api/catalog/packages?country=JP", nil).list(t)
	placed := guest.expect(201, "POST", "/api/orders", map[string]any{"package_id": packages[0]["id"], "email": address}).object(t)
	orderID, token := placed["id"].(string), placed["access_token"].(string)
	guest.expect(200, "POST", "/api/orders/"+orderID+"/payments/test", nil, "X-Order-Token", token)
	delivery := mailpit.WaitForMessages(t, address, 1, 30*time.Second)[0]
	if !strings.Contains(delivery.Text, "LPA:") {
		t.Errorf("eSIM email %q lacks the LPA string", delivery.Subject)
	}
	if email := guest.expect(200, "GET", "/api/orders/"+orderID, nil, "X-Order-Token", token).object(t)["email"]; email != address {
		t.Errorf("order page email = %v, want %s", email, address)
	}
	found := admin.expect(200, "GET", "/api/admin/orders?email="+url.QueryEscape(strings.ToUpper(address)), nil).list(t)
	if len(found) != 1 || found[0]["id"] != orderID || found[0]["email"] != address {
		t.Errorf("admin search by email found %v, want the one order with its address", found)
	}
	for _, line := range exportEvents(t, s.env) {
		if strings.Contains(strings.ToLower(line), address) {
			t.Errorf("the log holds the guest's address in the clear: %.200s", line)
		}
	}

	if field := admin.expect(422, "POST", "/api/admin/customers/erase-guest", map[string]string{"email": "not an address"}).errorField(t); field != "email" {
		t.Errorf("bad email names field %q, want email", field)
	}
	admin.expect(404, "POST", "/api/admin/customers/erase-guest", map[string]string{"email": "never-bought@example.test"})
	erased := admin.expect(200, "POST", "/api/admin/customers/erase-guest", map[string]string{"email": address}).object(t)
	if erased["erased_orders"] != float64(1) {
		t.Errorf("erase-guest answered %v, want erased_orders 1", erased)
	}
	admin.expect(409, "POST", "/api/admin/customers/erase-guest", map[string]string{"email": address})
	waitFor(t, "the guest order to read erased", 20*time.Second, func() bool {
		return admin.expect(200, "GET", "/api/admin/orders/"+orderID, nil).object(t)["email"] == "erased"
	})
	if email := guest.expect(200, "GET", "/api/orders/"+orderID, nil, "X-Order-Token", token).object(t)["email"]; email != "erased" {
		t.Errorf("order page email after erasure = %v, want erased", email)
	}
	if messages := mailpit.MessagesTo(t, address); len(messages) != 1 {
		t.Errorf("%d emails reached the guest, want one", len(messages))
	}
	types := map[string]int{}
	for _, line := range exportEvents(t, s.env) {
		for _, kind := range []string{"OrderPlaced", "GuestErased", "GuestKeyIssued"} {
			if strings.Contains(line, `"type":"`+kind+`"`) {
				types[kind]++
			}
		}
	}
	if types["OrderPlaced"] != 1 || types["GuestErased"] != 1 || types["GuestKeyIssued"] != 1 {
		t.Errorf("log holds %v; want the order kept, one key and one erasure", types)
	}

	// The admin's sign-out needs the session's CSRF token, like any write.
	admin.expect(403, "POST", "/api/auth/logout", nil, "X-CSRF-Token", "")
	admin.expect(200, "GET", "/api/admin/me", nil)
	admin.expect(204, "POST", "/api/auth/logout", nil)
	admin.expect(401, "GET", "/api/admin/me", nil)
}

// tokenIn returns the token of the link in an email's text.
func tokenIn(t *testing.T, text string) string {
	t.Helper()
	match := linkToken.FindStringSubmatch(text)
	if match == nil {
		t.Fatalf("email has no link with a token:\n%s", text)
	}
	token, err := url.QueryUnescape(match[1])
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// openStore installs the store, signs the admin in, connects the eSIM
// Access simulator and syncs and enables it, so packages are on sale.
func openStore(t *testing.T, c *client, simURL string) {
	t.Helper()
	c.expect(201, "POST", "/api/install", map[string]string{
		"store_name": "Customer eSIMs", "admin_email": adminEmail, "admin_password": adminPassword,
	})
	c.login(t)
	c.expect(200, "PUT", "/api/admin/providers/esim-access", map[string]any{
		"base_url": simURL, "margin_percent": 25, "sync_interval_minutes": 60,
		"credentials": map[string]string{"access_code": simAccessCode, "secret_key": simSecretKey},
	})
	c.expect(200, "POST", "/api/admin/providers/esim-access/test", nil)
	syncID := c.expect(202, "POST", "/api/admin/providers/esim-access/sync", nil).object(t)["sync_id"].(string)
	waitFor(t, "the sync to finish", 60*time.Second, func() bool {
		return c.expect(200, "GET", "/api/admin/providers/esim-access/syncs/"+syncID, nil).object(t)["status"] != "running"
	})
	c.expect(200, "POST", "/api/admin/providers/esim-access/enable", nil)
}
