package stripe

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"esimscan/backend/internal/payments"
	"esimscan/backend/money"
)

// startStripeMock builds stripe-mock from the module's tool dependency and
// runs it on a free loopback port. It skips the test when the build fails.
func startStripeMock(t *testing.T) string {
	t.Helper()
	binary := filepath.Join(t.TempDir(), "stripe-mock")
	build := exec.Command("go", "build", "-o", binary, "github.com/stripe/stripe-mock")
	if output, err := build.CombinedOutput(); err != nil {
		t.Skipf("stripe-mock did not build (it is a tool dependency of the backend module): %v\n%s", err, output)
	}
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	// Without -https-addr stripe-mock also listens for HTTPS on port 12112
	// of every interface, and fails when another copy holds that port.
	server := exec.CommandContext(ctx, binary, "-http-addr", fmt.Sprintf("127.0.0.1:%d", port),
		"-https-addr", fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	server.Stdout, server.Stderr = io.Discard, io.Discard
	if err := server.Start(); err != nil {
		cancel()
		t.Fatalf("start stripe-mock: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = server.Wait()
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			conn.Close()
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("stripe-mock did not listen within 20s: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // polling a port with a deadline
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port
}

// recordingProxy forwards to target and keeps each request's form body and
// Idempotency-Key header.
type recordingProxy struct {
	mu    sync.Mutex
	forms []url.Values
	keys  []string
	paths []string
	query []url.Values
	*httptest.Server
}

func newRecordingProxy(t *testing.T, target string) *recordingProxy {
	t.Helper()
	targetURL, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := &recordingProxy{}
	forward := httputil.NewSingleHostReverseProxy(targetURL)
	proxy.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		proxy.mu.Lock()
		proxy.forms = append(proxy.forms, form)
		proxy.keys = append(proxy.keys, r.Header.Get("Idempotency-Key"))
		proxy.paths = append(proxy.paths, r.URL.Path)
		proxy.query = append(proxy.query, r.URL.Query())
		proxy.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	return proxy
}

func amountOf(t *testing.T, text, currency string) money.Money {
	t.Helper()
	amount, err := money.ParseAmount(text)
	if err != nil {
		t.Fatal(err)
	}
	return money.New(amount, currency)
}

func TestClient_StartCheckout_minorUnits(t *testing.T) {
	proxy := newRecordingProxy(t, startStripeMock(t))
	client, err := NewClient(Config{SecretKey: "sk_test_123", APIBase: proxy.URL})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		amount    string
		currency  string
		wantMinor string
	}{
		{"12.34", "USD", "1234"},
		{"1500", "JPY", "1500"},
		{"1.250", "KWD", "1250"},
	}
	for i, tc := range cases {
		orderID := fmt.Sprintf("order-%s-%d", tc.currency, i)
		checkout, err := client.StartCheckout(context.Background(), payments.CheckoutRequest{
			OrderID: orderID, Amount: amountOf(t, tc.amount, tc.currency), Description: "Japan 1 GB",
			CustomerEmail: "buyer@example.com",
			ReturnURL:     "https://shop.example.test/orders/" + orderID + "?checkout=success",
			CancelURL:     "https://shop.example.test/orders/" + orderID + "?checkout=cancelled",
		})
		if err != nil {
			t.Fatalf("StartCheckout %s: %v", tc.currency, err)
		}
		if checkout.Reference == "" || checkout.RedirectURL == "" {
			t.Errorf("%s checkout = %+v, want a session id and URL", tc.currency, checkout)
		}
		proxy.mu.Lock()
		form, key, path := proxy.forms[len(proxy.forms)-1], proxy.keys[len(proxy.keys)-1], proxy.paths[len(proxy.paths)-1]
		proxy.mu.Unlock()
		if path != "/v1/checkout/sessions" {
			t.Errorf("path = %s", path)
		}
		if got := form.Get("line_items[0][price_data][unit_amount]"); got != tc.wantMinor {
			t.Errorf("%s unit_amount = %s, want %s", tc.currency, got, tc.wantMinor)
		}
		if got := form.Get("line_items[0][price_data][currency]"); got != map[string]string{"USD": "usd", "JPY": "jpy", "KWD": "kwd"}[tc.currency] {
			t.Errorf("currency = %s", got)
		}
		if form.Get("mode") != "payment" || form.Get("client_reference_id") != orderID || form.Get("metadata[order_id]") != orderID {
			t.Errorf("session form = %v", form)
		}
		// The PaymentIntent, and so its charge, carries the order id that
		// refund events read.
		if got := form.Get("payment_intent_data[metadata][order_id]"); got != orderID {
			t.Errorf("payment_intent_data[metadata][order_id] = %q, want %q", got, orderID)
		}
		if key != "checkout-"+orderID {
			t.Errorf("idempotency key = %q", key)
		}
	}
}

func TestClient_Refund_paymentIntentAndKey(t *testing.T) {
	proxy := newRecordingProxy(t, startStripeMock(t))
	client, err := NewClient(Config{SecretKey: "sk_test_123", APIBase: proxy.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := payments.WithIdempotencyKey(context.Background(), "refund-order-1-500-0")
	refund, err := client.Refund(ctx, payments.RefundRequest{
		OrderID: "order-1", PaymentReference: "pi_123", Amount: amountOf(t, "500", "JPY"),
	})
	if err != nil {
		t.Fatalf("Refund: %v", err)
	}
	if refund.Reference == "" {
		t.Error("refund has no reference")
	}
	proxy.mu.Lock()
	defer proxy.mu.Unlock()
	form := proxy.forms[len(proxy.forms)-1]
	if form.Get("payment_intent") != "pi_123" || form.Get("amount") != "500" {
		t.Errorf("refund form = %v", form)
	}
	if proxy.keys[len(proxy.keys)-1] != "refund-order-1-500-0" {
		t.Errorf("idempotency key = %q", proxy.keys[len(proxy.keys)-1])
	}
}

func TestNewClient_requiresSecretKey(t *testing.T) {
	if _, err := NewClient(Config{}); err == nil {
		t.Fatal("NewClient without a key succeeded")
	}
}

func TestClient_lookups(t *testing.T) {
	proxy := newRecordingProxy(t, startStripeMock(t))
	client, err := NewClient(Config{SecretKey: "sk_test_123", APIBase: proxy.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	refunds, err := client.ChargeRefunds(ctx, "ch_lookup_1")
	if err != nil {
		t.Fatalf("ChargeRefunds: %v", err)
	}
	for _, refund := range refunds {
		if refund.ID == "" || refund.Currency == "" || refund.Status == "" {
			t.Errorf("refund = %+v, want an id, a currency and a status", refund)
		}
	}
	if _, err := client.PaymentIntentOrderID(ctx, "pi_lookup_1"); err != nil {
		t.Fatalf("PaymentIntentOrderID: %v", err)
	}
	proxy.mu.Lock()
	defer proxy.mu.Unlock()
	wantPaths := []string{"/v1/refunds", "/v1/payment_intents/pi_lookup_1"}
	if len(proxy.paths) != 2 || proxy.paths[0] != wantPaths[0] || proxy.paths[1] != wantPaths[1] {
		t.Errorf("paths = %v, want %v", proxy.paths, wantPaths)
	}
	if got := proxy.query[0].Get("charge"); got != "ch_lookup_1" {
		t.Errorf("refund list charge = %q, want ch_lookup_1", got)
	}
}

func TestClient_ExpireCheckout(t *testing.T) {
	proxy := newRecordingProxy(t, startStripeMock(t))
	client, err := NewClient(Config{SecretKey: "sk_test_123", APIBase: proxy.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.ExpireCheckout(context.Background(), "cs_test_expire1"); err != nil {
		t.Fatalf("ExpireCheckout: %v", err)
	}
	proxy.mu.Lock()
	defer proxy.mu.Unlock()
	if path := proxy.paths[len(proxy.paths)-1]; path != "/v1/checkout/sessions/cs_test_expire1/expire" {
		t.Errorf("path = %s, want the session's expire endpoint", path)
	}
	if key := proxy.keys[len(proxy.keys)-1]; key != "expire-cs_test_expire1" {
		t.Errorf("idempotency key = %q", key)
	}
}
