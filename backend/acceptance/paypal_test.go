package acceptance

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	paypalClientID     = "acceptance-paypal-client"
	paypalClientSecret = "acceptance-paypal-secret-0123456789"
	paypalWebhookID    = "WH-ACCEPTANCE-1"
)

// startPayPalSimulator runs `esimscan simulator paypal` on a free loopback
// port and returns its base URL, the store's PAYPAL_API_BASE.
func startPayPalSimulator(t *testing.T) string {
	t.Helper()
	addr := freeAddr(t)
	sim := start(t, nil, "simulator", "paypal", "--addr", addr,
		"--key", paypalClientID, "--secret", paypalClientSecret)
	waitFor(t, "the PayPal simulator to listen", 20*time.Second, func() bool {
		select {
		case <-sim.done:
			t.Fatalf("PayPal simulator exited:\n%s", sim.output.String())
		default:
		}
		conn, err := dialTCP(addr)
		if err != nil {
			return false
		}
		conn.Close()
		return true
	})
	return fmtAddr(addr)
}

// browser follows redirects one hop at a time, like a browser, and fails
// the test when a redirect leads off loopback.
type browser struct {
	t    *testing.T
	http *http.Client
}

func newBrowser(t *testing.T) *browser {
	return &browser{t: t, http: &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// get requests target, which must be an address on 127.0.0.1, and returns
// the status and the absolute Location it redirects to ("" when none).
func (b *browser) get(target string) (int, string) {
	b.t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		b.t.Fatalf("parse %q: %v", target, err)
	}
	if host, _, err := net.SplitHostPort(u.Host); err != nil || host != "127.0.0.1" || u.Scheme != "http" {
		b.t.Fatalf("the checkout leads off loopback to %q", target)
	}
	answer, err := b.http.Get(target)
	if err != nil {
		b.t.Fatalf("GET %s: %v", target, err)
	}
	defer answer.Body.Close()
	_, _ = io.Copy(io.Discard, answer.Body)
	location := answer.Header.Get("Location")
	if location == "" {
		return answer.StatusCode, ""
	}
	next, err := u.Parse(location)
	if err != nil {
		b.t.Fatalf("GET %s redirects to %q: %v", target, location, err)
	}
	return answer.StatusCode, next.String()
}

// delivery is a signed webhook delivery as the simulator hands it out.
type delivery struct {
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

func (d delivery) headerList() []string {
	var list []string
	for key, value := range d.Headers {
		list = append(list, key, value)
	}
	return list
}

// TestPayPal_checkoutWebhooksAndRefund pays one order through the return
// route, another through the CHECKOUT.ORDER.APPROVED webhook of a customer
// who closed the tab, and refunds the first, all against the PayPal
// simulator run by the binary.
func TestPayPal_checkoutWebhooksAndRefund(t *testing.T) {
	paypalURL := startPayPalSimulator(t)
	simURL := startSimulator(t)
	s := newStore(t, "")
	s.env = append(s.env, "PAYPAL_API_BASE="+paypalURL, "ESIMSCAN_TEST_PAYMENTS=0")
	c := s.start()
	sim := newClient(t, paypalURL)
	c.expect(201, "POST", "/api/install", map[string]string{
		"store_name": "PayPal eSIMs", "admin_email": adminEmail, "admin_password": adminPassword,
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

	view := c.expect(200, "PUT", "/api/admin/settings/payments/paypal", map[string]any{
		"client_id": paypalClientID, "client_secret": paypalClientSecret, "webhook_id": paypalWebhookID,
		"mode": "sandbox", "enabled": true,
	})
	if strings.Contains(string(view.Body), paypalClientSecret) {
		t.Fatal("the PayPal settings view shows the client secret")
	}

	// The customer approves at PayPal and comes back through the return
	// route, which captures the order on the server.
	first := placePayPalOrder(t, c, packageID, "paypal-return@example.test")
	b := newBrowser(t)
	status, returnURL := b.get(first.approveURL)
	if status != http.StatusFound || !strings.HasPrefix(returnURL, fmtAddr(s.addr)+"/api/checkout/paypal/return?") {
		t.Fatalf("approval = %d to %q, want 302 to the store's PayPal return route", status, returnURL)
	}
	status, page := b.get(returnURL)
	wantPage := fmtAddr(s.addr) + "/orders/" + first.id + "?checkout=success"
	if status != http.StatusFound || page != wantPage {
		t.Fatalf("return route = %d to %q, want 302 to %q", status, page, wantPage)
	}
	if status, _ := b.get(page); status != http.StatusOK {
		t.Errorf("order page after the return = %d, want 200", status)
	}
	waitForStatus(t, c, first, "issued")
	if status, again := b.get(returnURL); status != http.StatusFound || again != wantPage {
		t.Errorf("second return = %d to %q, want 302 to %q", status, again, wantPage)
	}
	checkPaidOnce(t, c, first.id, "OrderPlaced,OrderPaid,ProvisioningStarted,ESIMIssued")
	firstAtPayPal := paypalOrder(t, sim, first.paypalID)
	if firstAtPayPal.Status != "COMPLETED" || len(firstAtPayPal.Captures) != 1 {
		t.Fatalf("PayPal order after the return = %+v, want COMPLETED with one capture", firstAtPayPal)
	}
	if got := firstAtPayPal.Captures[0].Amount; got.Value != first.total["amount"] || got.CurrencyCode != first.total["currency"] {
		t.Errorf("captured %+v, want the order total %v", got, first.total)
	}

	// The customer approves at PayPal and closes the tab: the webhook
	// captures the order.
	second := placePayPalOrder(t, c, packageID, "paypal-closed-tab@example.test")

	// A return link whose token belongs to another order pays nothing.
	forged := fmtAddr(s.addr) + "/api/checkout/paypal/return?" +
		url.Values{"order": {second.id}, "token": {first.paypalID}}.Encode()
	wantFailed := fmtAddr(s.addr) + "/orders/" + second.id + "?checkout=failed"
	if status, to := b.get(forged); status != http.StatusFound || to != wantFailed {
		t.Errorf("return with another order's token = %d to %q, want 302 to %q", status, to, wantFailed)
	}
	checkPaidOnce(t, c, second.id, "OrderPlaced")

	if status, to := b.get(second.approveURL); status != http.StatusFound || to == "" {
		t.Fatalf("approval of the second order = %d to %q, want a redirect", status, to)
	}
	approved := signedWebhook(t, sim, map[string]string{
		"webhook_id": paypalWebhookID, "event_type": "CHECKOUT.ORDER.APPROVED", "order_id": second.paypalID,
	})
	c.expect(200, "POST", "/api/webhooks/paypal", approved.Body, approved.headerList()...)
	waitForStatus(t, c, second, "issued")
	if at := paypalOrder(t, sim, second.paypalID); at.Status != "COMPLETED" || len(at.Captures) != 1 {
		t.Errorf("PayPal order after the webhook = %+v, want COMPLETED with one capture", at)
	}
	again := c.expect(200, "POST", "/api/webhooks/paypal", approved.Body, approved.headerList()...).object(t)
	if again["duplicate"] != true {
		t.Errorf("second delivery of one event = %v, want it reported as a duplicate", again)
	}
	checkPaidOnce(t, c, second.id, "OrderPlaced,OrderPaid,ProvisioningStarted,ESIMIssued")

	// A later delivery of another event for the paid order changes nothing.
	completed := signedWebhook(t, sim, map[string]string{
		"webhook_id": paypalWebhookID, "event_type": "PAYMENT.CAPTURE.COMPLETED",
		"capture_id": paypalOrder(t, sim, second.paypalID).Captures[0].ID,
	})
	c.expect(200, "POST", "/api/webhooks/paypal", completed.Body, completed.headerList()...)
	checkPaidOnce(t, c, second.id, "OrderPlaced,OrderPaid,ProvisioningStarted,ESIMIssued")

	// Deliveries altered after signing, signed for another webhook or not
	// signed at all are rejected.
	tampered := strings.Replace(approved.Body, second.paypalID, first.paypalID, 1)
	if tampered == approved.Body {
		t.Fatal("the delivery body does not contain the PayPal order id")
	}
	c.expect(400, "POST", "/api/webhooks/paypal", tampered, approved.headerList()...)
	otherHook := signedWebhook(t, sim, map[string]string{
		"webhook_id": "WH-SOMEONE-ELSE", "event_type": "CHECKOUT.ORDER.APPROVED", "order_id": second.paypalID,
	})
	c.expect(400, "POST", "/api/webhooks/paypal", otherHook.Body, otherHook.headerList()...)
	c.expect(400, "POST", "/api/webhooks/paypal", approved.Body)

	// A full refund of the first order reaches PayPal once.
	c.expect(200, "POST", "/api/admin/orders/"+first.id+"/refund", nil)
	if status := c.expect(200, "GET", "/api/admin/orders/"+first.id, nil).object(t)["status"]; status != "refunded" {
		t.Errorf("status after a full refund = %v, want refunded", status)
	}
	capture := paypalOrder(t, sim, first.paypalID).Captures[0]
	if capture.Status != "REFUNDED" || capture.Refunded != first.total["amount"] || capture.Refunds != 1 {
		t.Errorf("PayPal capture after the refund = %+v, want REFUNDED of %v in one refund", capture, first.total["amount"])
	}

	checkPayPalJPY(t, c, sim)

	exported := strings.Join(exportEvents(t, s.env), "\n")
	if strings.Contains(exported, paypalClientSecret) {
		t.Fatal("the event log contains the PayPal client secret in plain text")
	}
	if strings.Contains(s.process.output.String(), paypalClientSecret) {
		t.Fatal("the store logged the PayPal client secret")
	}
}

// checkPayPalJPY sells a package priced in yen, which has no minor unit,
// through the return route, and checks PayPal captured the exact total.
func checkPayPalJPY(t *testing.T, c, sim *client) {
	t.Helper()
	addr := freeAddr(t)
	esimGo := start(t, nil, "simulator", "esim-go", "--addr", addr, "--key", simKey, "--currency", "JPY")
	waitFor(t, "the eSIM Go simulator to listen", 20*time.Second, func() bool {
		select {
		case <-esimGo.done:
			t.Fatalf("eSIM Go simulator exited:\n%s", esimGo.output.String())
		default:
		}
		conn, err := dialTCP(addr)
		if err != nil {
			return false
		}
		conn.Close()
		return true
	})
	connectProvider(t, c, simulatedProvider{slug: "esim-go", basePath: "/v2.4",
		credentials: map[string]string{"api_key": simKey}}, fmtAddr(addr))
	var packageID string
	for _, p := range c.expect(200, "GET", "/api/admin/catalog/packages?provider=esim-go", nil).list(t) {
		if price, _ := p["price"].(map[string]any); price["currency"] == "JPY" && p["enabled"] == true {
			packageID = p["id"].(string)
			break
		}
	}
	if packageID == "" {
		t.Fatal("no enabled eSIM Go package is priced in JPY")
	}
	order := placePayPalOrder(t, c, packageID, "paypal-yen@example.test")
	if amount, _ := order.total["amount"].(string); order.total["currency"] != "JPY" || amount == "" || strings.Contains(amount, ".") {
		t.Fatalf("yen order total = %v, want whole yen", order.total)
	}
	b := newBrowser(t)
	_, returnURL := b.get(order.approveURL)
	if status, page := b.get(returnURL); status != http.StatusFound || !strings.HasSuffix(page, "?checkout=success") {
		t.Fatalf("yen return route = %d to %q, want 302 to the order page with checkout=success", status, page)
	}
	waitForStatus(t, c, order, "issued")
	at := paypalOrder(t, sim, order.paypalID)
	if len(at.Captures) != 1 || at.Captures[0].Amount.Value != order.total["amount"] || at.Captures[0].Amount.CurrencyCode != "JPY" {
		t.Errorf("PayPal captured %+v, want exactly %v JPY", at.Captures, order.total["amount"])
	}
}

// paypalCheckout is an order whose PayPal checkout has started.
type paypalCheckout struct {
	id, token  string
	total      map[string]any
	approveURL string
	paypalID   string
}

func placePayPalOrder(t *testing.T, c *client, packageID, email string) paypalCheckout {
	t.Helper()
	order := c.expect(201, "POST", "/api/orders", map[string]any{"package_id": packageID, "email": email}).object(t)
	placed := paypalCheckout{id: order["id"].(string), token: order["access_token"].(string),
		total: order["total"].(map[string]any)}
	started := c.expect(200, "POST", "/api/orders/"+placed.id+"/checkout", map[string]string{"gateway": "paypal"},
		"X-Order-Token", placed.token).object(t)
	placed.approveURL, _ = started["redirect_url"].(string)
	approve, err := url.Parse(placed.approveURL)
	if err != nil || approve.Path != "/checkoutnow" || approve.Query().Get("token") == "" {
		t.Fatalf("paypal checkout = %v, want a redirect_url to the approval page with a token", started)
	}
	placed.paypalID = approve.Query().Get("token")
	return placed
}

func waitForStatus(t *testing.T, c *client, order paypalCheckout, status string) {
	t.Helper()
	waitFor(t, "order "+order.id+" to be "+status, 30*time.Second, func() bool {
		return c.expect(200, "GET", "/api/orders/"+order.id, nil, "X-Order-Token", order.token).object(t)["status"] == status
	})
}

// checkPaidOnce fails unless the payment and issue events of the order's
// history, in order, are want.
func checkPaidOnce(t *testing.T, c *client, orderID, want string) {
	t.Helper()
	var got []string
	for _, eventType := range lifecycleTypes(c.expect(200, "GET", "/api/admin/orders/"+orderID+"/history", nil).list(t)) {
		switch eventType {
		case "OrderPlaced", "OrderPaid", "ProvisioningStarted", "ESIMIssued", "OrderFailed", "OrderRefunded", "OrderCancelled":
			got = append(got, eventType)
		}
	}
	if strings.Join(got, ",") != want {
		t.Errorf("history of %s = %v, want %s", orderID, got, want)
	}
}

// paypalOrderView is GET /_sim/orders/{id} of the simulator.
type paypalOrderView struct {
	Status   string `json:"status"`
	Captures []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Amount struct {
			CurrencyCode string `json:"currency_code"`
			Value        string `json:"value"`
		} `json:"amount"`
		Refunded string `json:"refunded"`
		Refunds  int    `json:"refunds"`
	} `json:"captures"`
}

func paypalOrder(t *testing.T, sim *client, id string) paypalOrderView {
	t.Helper()
	var view paypalOrderView
	sim.expect(200, "GET", "/_sim/orders/"+url.PathEscape(id), nil).decode(t, &view)
	return view
}

func signedWebhook(t *testing.T, sim *client, request map[string]string) delivery {
	t.Helper()
	var signed delivery
	sim.expect(200, "POST", "/_sim/webhook", request).decode(t, &signed)
	if signed.Body == "" || !json.Valid([]byte(signed.Body)) || len(signed.Headers) == 0 {
		t.Fatalf("simulator delivery = %s, want headers and a JSON body", fmt.Sprint(signed))
	}
	return signed
}

// newPayPalStore starts a store selling the eSIM Access simulator's
// packages, with PayPal pointed at a PayPal simulator, and returns the
// admin's client, a client of the PayPal simulator and a package id.
func newPayPalStore(t *testing.T) (*store, *client, *client, string) {
	t.Helper()
	paypalURL := startPayPalSimulator(t)
	simURL := startSimulator(t)
	s := newStore(t, "")
	s.env = append(s.env, "PAYPAL_API_BASE="+paypalURL, "ESIMSCAN_TEST_PAYMENTS=0")
	c := s.start()
	c.expect(201, "POST", "/api/install", map[string]string{
		"store_name": "PayPal capture eSIMs", "admin_email": adminEmail, "admin_password": adminPassword,
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
	return s, c, newClient(t, paypalURL), packageID
}

// send makes a request without failing the test, for goroutines: it
// returns the status and the Location header, or the error.
func (c *client) send(method, path string) (int, string, error) {
	request, err := http.NewRequestWithContext(context.Background(), method, c.base+path, nil)
	if err != nil {
		return 0, "", err
	}
	if c.csrf != "" {
		request.Header.Set("X-CSRF-Token", c.csrf)
	}
	noRedirect := *c.http
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	answer, err := noRedirect.Do(request)
	if err != nil {
		return 0, "", err
	}
	answer.Body.Close()
	return answer.StatusCode, answer.Header.Get("Location"), nil
}

// sendJSON posts body without failing the test, for goroutines.
func (c *client) sendJSON(method, path, body string) (int, []byte, error) {
	request, err := http.NewRequestWithContext(context.Background(), method, c.base+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	request.Header.Set("Content-Type", "application/json")
	if c.csrf != "" {
		request.Header.Set("X-CSRF-Token", c.csrf)
	}
	answer, err := c.http.Do(request)
	if err != nil {
		return 0, nil, err
	}
	defer answer.Body.Close()
	content, err := io.ReadAll(answer.Body)
	return answer.StatusCode, content, err
}

func historyTypes(t *testing.T, c *client, orderID string) []string {
	t.Helper()
	return lifecycleTypes(c.expect(200, "GET", "/api/admin/orders/"+orderID+"/history", nil).list(t))
}

func countOf(types []string, eventType string) int {
	count := 0
	for _, each := range types {
		if each == eventType {
			count++
		}
	}
	return count
}

// TestPayPal_captureRacesCancelAndMarkPaid opens the PayPal return URL of
// an approved order while the admin cancels it or marks it paid. Whichever
// wins, PayPal keeps no money the order does not show: the order is paid
// by the capture, or PayPal captured nothing, or the capture was returned.
func TestPayPal_captureRacesCancelAndMarkPaid(t *testing.T) {
	s, c, sim, packageID := newPayPalStore(t)
	b := newBrowser(t)
	const trials = 6
	for trial := range trials {
		action := "cancel"
		if trial%2 == 1 {
			action = "mark-paid"
		}
		order := placePayPalOrder(t, c, packageID, "paypal-race@example.test")
		status, returnURL := b.get(order.approveURL)
		if status != http.StatusFound || returnURL == "" {
			t.Fatalf("approval = %d to %q", status, returnURL)
		}
		returnPath := strings.TrimPrefix(returnURL, fmtAddr(s.addr))

		var wg sync.WaitGroup
		var returnStatus, adminStatus int
		var location string
		var returnErr, adminErr error
		wg.Go(func() { returnStatus, location, returnErr = c.send("GET", returnPath) })
		wg.Go(func() { adminStatus, _, adminErr = c.send("POST", "/api/admin/orders/"+order.id+"/"+action) })
		wg.Wait()
		if returnErr != nil || adminErr != nil {
			t.Fatalf("trial %d: return error %v, %s error %v", trial, returnErr, action, adminErr)
		}
		if returnStatus != http.StatusFound || !strings.HasPrefix(location, "/orders/"+order.id+"?checkout=") {
			t.Errorf("trial %d: return route = %d to %q, want a redirect to the order page", trial, returnStatus, location)
		}
		if adminStatus != http.StatusOK && adminStatus != http.StatusConflict {
			t.Errorf("trial %d: %s = %d, want 200 or 409", trial, action, adminStatus)
		}

		waitFor(t, "order "+order.id+" to settle", 30*time.Second, func() bool {
			status := c.expect(200, "GET", "/api/admin/orders/"+order.id, nil).object(t)["status"]
			return status == "cancelled" || status == "issued"
		})
		types := historyTypes(t, c, order.id)
		var paypalPaid bool
		for _, entry := range c.expect(200, "GET", "/api/admin/orders/"+order.id+"/history", nil).list(t) {
			if data, _ := entry["data"].(map[string]any); entry["type"] == "OrderPaid" && data["gateway"] == "paypal" {
				paypalPaid = true
			}
		}
		atPayPal := paypalOrder(t, sim, order.paypalID)
		captured := len(atPayPal.Captures) == 1
		returned := captured && atPayPal.Captures[0].Status == "REFUNDED" && countOf(types, "PaymentReturned") == 1
		switch {
		case paypalPaid && captured && atPayPal.Captures[0].Status == "COMPLETED":
		case !paypalPaid && !captured:
		case !paypalPaid && returned:
		default:
			t.Errorf("trial %d (%s): history %v, PayPal order %+v: PayPal kept money the order does not show",
				trial, action, types, atPayPal)
		}
		if countOf(types, "OrderPaid") > 1 {
			t.Errorf("trial %d: history %v has two payments", trial, types)
		}
	}
}

// TestPayPal_declinedCaptureReleasesOrder declines the capture at PayPal:
// the browser lands on the order page with checkout=failed, the history
// shows the hold and its release, and the order can be cancelled.
func TestPayPal_declinedCaptureReleasesOrder(t *testing.T) {
	s, c, sim, packageID := newPayPalStore(t)
	b := newBrowser(t)
	order := placePayPalOrder(t, c, packageID, "paypal-declined@example.test")
	_, returnURL := b.get(order.approveURL)
	sim.expect(204, "POST", "/_sim/orders/"+order.paypalID+"/decline", nil)
	status, page := b.get(returnURL)
	want := fmtAddr(s.addr) + "/orders/" + order.id + "?checkout=failed"
	if status != http.StatusFound || page != want {
		t.Fatalf("return route = %d to %q, want 302 to %q", status, page, want)
	}
	types := strings.Join(historyTypes(t, c, order.id), ",")
	if types != "OrderPlaced,CheckoutStarted,PaymentCaptureStarted,PaymentCaptureFailed" {
		t.Errorf("history = %s, want the hold and its release", types)
	}
	c.expect(200, "POST", "/api/admin/orders/"+order.id+"/cancel", nil)

	// Broken return links still send the browser to a page.
	for _, link := range []string{"?order=" + order.id, "?order=../../etc&token=X", "?token=X"} {
		status, location, err := c.send("GET", "/api/checkout/paypal/return"+link)
		if err != nil || status != http.StatusFound || !strings.HasSuffix(location, "?checkout=failed") {
			t.Errorf("return %s = %d to %q (%v), want 302 with checkout=failed", link, status, location, err)
		}
	}
}
