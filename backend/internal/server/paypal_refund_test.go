package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/eventstore/memstore"
	ordersapp "esimscan/backend/internal/orders/app"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/payments/paypal"
	"esimscan/backend/internal/platform/esrepo"
	simpaypal "esimscan/backend/internal/simulators/paypal"
	"esimscan/backend/money"
)

type fixedQuote struct{}

func (fixedQuote) Quote(_ context.Context, packageID string) (ordersapp.Quote, error) {
	return ordersapp.Quote{PackageID: packageID, Provider: "airalo", Name: "Japan 1 GB",
		UnitPrice: money.New(10_000_000, "USD"), Sellable: true}, nil
}

// paypalRefundFixture is a Server with only what applyPayPalEvent needs:
// the orders service on an in-memory store, and a PayPal gateway talking
// to the simulator on loopback.
type paypalRefundFixture struct {
	server    *Server
	store     *memstore.Store
	sim       *simpaypal.Running
	gateway   *paypal.Gateway
	webhookID string
}

func newPayPalRefundFixture(t *testing.T) *paypalRefundFixture {
	t.Helper()
	run, err := simpaypal.Start(simpaypal.Options{ClientID: "client-refunds", ClientSecret: "secret-refunds"})
	if err != nil {
		t.Fatalf("start the PayPal simulator: %v", err)
	}
	t.Cleanup(run.Close)
	webhookID := "WH-" + uuid.NewString()
	gateway, err := paypal.New(paypal.Config{
		ClientID: "client-refunds", ClientSecret: "secret-refunds", WebhookID: webhookID,
		Mode: paypal.ModeSandbox, APIBase: run.URL, Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	store := memstore.New()
	t.Cleanup(func() { store.Close() })
	logger := zerolog.New(zerolog.NewTestWriter(t))
	orders := ordersapp.NewService(ordersapp.Deps{
		Repo: &esrepo.Repository{Store: store}, Pricing: fixedQuote{}, Logger: logger,
		Gateways: fakePayPalGateways{gateway},
	})
	return &paypalRefundFixture{
		server: &Server{logger: logger, store: store, orders: orders},
		store:  store, sim: run, gateway: gateway, webhookID: webhookID,
	}
}

type fakePayPalGateways struct{ gateway *paypal.Gateway }

func (g fakePayPalGateways) Gateway(context.Context, string) (payments.Gateway, error) {
	return g.gateway, nil
}

// paidOrder places an order of 10.00 USD, pays it through PayPal at the
// simulator and records the payment; it returns the order and capture ids.
func (f *paypalRefundFixture) paidOrder(t *testing.T) (string, string) {
	t.Helper()
	ctx := context.Background()
	placed, err := f.server.orders.PlaceOrder(ctx, ordersapp.PlaceOrder{PackageID: "pkg-jp", Email: "buyer@example.com"})
	if err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	checkout, err := f.gateway.StartCheckout(ctx, payments.CheckoutRequest{
		OrderID: placed.ID, Amount: money.New(10_000_000, "USD"), Description: "Japan 1 GB",
		ReturnURL: "http://127.0.0.1:1/back", CancelURL: "http://127.0.0.1:1/cancel",
	})
	if err != nil {
		t.Fatalf("StartCheckout: %v", err)
	}
	f.sim.Approve(checkout.Reference)
	payment, err := f.gateway.Capture(ctx, checkout.Reference)
	if err != nil {
		t.Fatalf("Capture: %v", err)
	}
	if err := f.server.orders.RecordPayment(ctx, paypal.Name, payment); err != nil {
		t.Fatalf("RecordPayment: %v", err)
	}
	return placed.ID, payment.Reference
}

// dashboardRefund refunds value USD of the capture as the merchant does in
// PayPal's dashboard.
func (f *paypalRefundFixture) dashboardRefund(t *testing.T, captureID, value string) {
	t.Helper()
	body := `{"amount":{"currency_code":"USD","value":"` + value + `"}}`
	resp, err := http.Post(f.sim.URL+simpaypal.PathControl+"captures/"+captureID+"/refund", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("dashboard refund: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("dashboard refund: status %d, want 201", resp.StatusCode)
	}
}

// deliverRefunded verifies a signed PAYMENT.CAPTURE.REFUNDED of the
// capture's newest refund and applies it, as the webhook route does.
func (f *paypalRefundFixture) deliverRefunded(t *testing.T, captureID string) error {
	t.Helper()
	delivery, err := f.sim.SignedDelivery(f.webhookID, simpaypal.EventCaptureRefunded, f.sim.LastRefundResource(captureID))
	if err != nil {
		t.Fatal(err)
	}
	event, err := f.gateway.VerifyWebhook(context.Background(), delivery.Header, delivery.Body)
	if err != nil {
		t.Fatalf("VerifyWebhook: %v", err)
	}
	return f.server.applyPayPalEvent(context.Background(), f.gateway, event)
}

func (f *paypalRefundFixture) refunds(t *testing.T, orderID string) int {
	t.Helper()
	events, err := f.store.ReadStream(context.Background(), "order-"+orderID, 0)
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, event := range events {
		if event.Type == domain.EventOrderRefunded {
			count++
		}
	}
	return count
}

func (f *paypalRefundFixture) status(t *testing.T, orderID string) string {
	t.Helper()
	status, _, err := f.server.orders.PaymentStatus(context.Background(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	return status
}

func TestApplyPayPalEvent_dashboardRefunds(t *testing.T) {
	f := newPayPalRefundFixture(t)
	orderID, captureID := f.paidOrder(t)

	f.dashboardRefund(t, captureID, "4.00")
	for range 2 {
		if err := f.deliverRefunded(t, captureID); err != nil {
			t.Fatalf("apply the partial refund: %v", err)
		}
	}
	if got := f.refunds(t, orderID); got != 1 {
		t.Fatalf("OrderRefunded events after one refund = %d, want 1", got)
	}
	if status := f.status(t, orderID); status != string(domain.StatusPaid) {
		t.Errorf("status after a partial refund = %s, want paid", status)
	}

	f.dashboardRefund(t, captureID, "6.00")
	if err := f.deliverRefunded(t, captureID); err != nil {
		t.Fatalf("apply the second refund: %v", err)
	}
	if got := f.refunds(t, orderID); got != 2 {
		t.Errorf("OrderRefunded events = %d, want 2", got)
	}
	if status := f.status(t, orderID); status != string(domain.StatusRefunded) {
		t.Errorf("status after refunds of the whole total = %s, want refunded", status)
	}
}

func TestApplyPayPalEvent_adminRefundRecordedOnce(t *testing.T) {
	f := newPayPalRefundFixture(t)
	orderID, captureID := f.paidOrder(t)
	if _, err := f.server.orders.RefundOrder(context.Background(), ordersapp.RefundOrder{OrderID: orderID, Amount: "2.00"}); err != nil {
		t.Fatalf("RefundOrder: %v", err)
	}
	if err := f.deliverRefunded(t, captureID); err != nil {
		t.Fatalf("apply the admin's refund: %v", err)
	}
	if got := f.refunds(t, orderID); got != 1 {
		t.Errorf("OrderRefunded events = %d, want 1", got)
	}
}

func TestApplyPayPalEvent_refundNotRecordable(t *testing.T) {
	f := newPayPalRefundFixture(t)
	orderID, captureID := f.paidOrder(t)

	// The capture cannot be read: the order id stays unknown, so PayPal
	// must deliver again.
	f.dashboardRefund(t, captureID, "1.00")
	f.sim.Fail(simpaypal.Failure{Path: simpaypal.PathCaptures + "/" + captureID, Status: http.StatusNotFound})
	if err := f.deliverRefunded(t, captureID); err == nil {
		t.Error("apply while the capture cannot be read = nil, want an error so PayPal retries")
	}
	if got := f.refunds(t, orderID); got != 0 {
		t.Errorf("OrderRefunded events = %d, want 0", got)
	}
	if err := f.deliverRefunded(t, captureID); err != nil {
		t.Fatalf("apply once the capture can be read: %v", err)
	}

	// A refund the order cannot take is acknowledged without an event.
	ctx := context.Background()
	event := paypal.Event{ID: "WH-too-much", Type: paypal.EventCaptureRefunded, RefundID: "SIMR-too-much",
		CaptureID: captureID, CustomID: orderID, Amount: money.New(9_500_000, "USD")}
	if err := f.server.applyPayPalEvent(ctx, f.gateway, event); err != nil {
		t.Errorf("apply of an over-refund = %v, want nil so PayPal stops retrying", err)
	}
	if got := f.refunds(t, orderID); got != 1 {
		t.Errorf("OrderRefunded events = %d, want 1", got)
	}

	unknown := event
	unknown.RefundID, unknown.CustomID = "SIMR-unknown-order", uuid.NewString()
	if err := f.server.applyPayPalEvent(ctx, f.gateway, unknown); err == nil {
		t.Error("apply of a refund of an order the log lacks = nil, want an error so PayPal retries")
	}
}
