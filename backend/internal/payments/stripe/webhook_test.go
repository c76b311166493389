package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/eventstore/filestore"
	ordersapp "esimscan/backend/internal/orders/app"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/money"
)

const testWebhookSecret = "whsec_webhook_test"

type fixedPricing struct{ price money.Money }

func (p fixedPricing) Quote(_ context.Context, packageID string) (ordersapp.Quote, error) {
	return ordersapp.Quote{PackageID: packageID, Provider: "airalo", Name: "Japan 1 GB", UnitPrice: p.price, Sellable: true}, nil
}

type webhookFixture struct {
	store   eventstore.Store
	orders  *ordersapp.Service
	webhook *Webhook
	now     time.Time
	gateway *refundingGateway
}

// refundingGateway plays the Stripe gateway for the refunds of payments an
// order cannot take: a repeated idempotency key returns the first refund.
// While fail is set every refund fails.
type refundingGateway struct {
	mu      sync.Mutex
	fail    bool
	refunds map[string]payments.Refund // by idempotency key
}

func (g *refundingGateway) Name() string { return Name }

func (g *refundingGateway) StartCheckout(context.Context, payments.CheckoutRequest) (payments.Checkout, error) {
	return payments.Checkout{}, payments.ErrNotConfigured
}

func (g *refundingGateway) Refund(ctx context.Context, req payments.RefundRequest) (payments.Refund, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.fail {
		return payments.Refund{}, errors.New("stripe answered 500")
	}
	key := payments.IdempotencyKeyFrom(ctx, "")
	if refund, ok := g.refunds[key]; ok {
		return refund, nil
	}
	refund := payments.Refund{Reference: fmt.Sprintf("re_%d", len(g.refunds)+1), Amount: req.Amount}
	g.refunds[key] = refund
	return refund, nil
}

func (g *refundingGateway) setFail(fail bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fail = fail
}

func (g *refundingGateway) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.refunds)
}

type stripeOnly struct{ gateway *refundingGateway }

func (g stripeOnly) Gateway(_ context.Context, name string) (payments.Gateway, error) {
	if name == Name {
		return g.gateway, nil
	}
	return nil, payments.ErrNotConfigured
}

func newWebhookFixture(t *testing.T, price money.Money) *webhookFixture {
	t.Helper()
	store, err := filestore.Open(t.TempDir(), filestore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	repo := &esrepo.Repository{Store: store}
	logger := zerolog.New(zerolog.NewTestWriter(t))
	gateway := &refundingGateway{refunds: map[string]payments.Refund{}}
	orders := ordersapp.NewService(ordersapp.Deps{
		Repo: repo, Pricing: fixedPricing{price}, Logger: logger, Gateways: stripeOnly{gateway},
		TestPayments: true,
	})
	now := time.Now()
	webhook := &Webhook{
		Secret:   func(context.Context) (string, error) { return testWebhookSecret, nil },
		Payments: orders,
		Repo:     repo,
		Logger:   logger,
		Now:      func() time.Time { return now },
	}
	return &webhookFixture{store: store, orders: orders, webhook: webhook, now: now, gateway: gateway}
}

func (f *webhookFixture) place(t *testing.T) string {
	t.Helper()
	placed, err := f.orders.PlaceOrder(context.Background(), ordersapp.PlaceOrder{PackageID: "pkg-jp", Email: "buyer@example.com"})
	if err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	return placed.ID
}

func completedEvent(eventID, orderID string, amountTotal int64, currency string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"object":"event","api_version":"2019-02-19","type":"checkout.session.completed",
		"data":{"object":{"id":"cs_%s","object":"checkout.session","client_reference_id":%q,
		"metadata":{"order_id":%q},"payment_status":"paid","payment_intent":"pi_%s",
		"amount_total":%d,"currency":%q}}}`, eventID, eventID, orderID, orderID, eventID, amountTotal, currency)
}

func (f *webhookFixture) deliver(payload []byte) error {
	return f.webhook.Handle(context.Background(), payload, SignatureHeader(payload, testWebhookSecret, f.now))
}

func (f *webhookFixture) paidEvents(t *testing.T, orderID string) []domain.OrderPaid {
	t.Helper()
	events, err := f.store.ReadStream(context.Background(), "order-"+orderID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var paid []domain.OrderPaid
	for _, event := range events {
		if event.Type != domain.EventOrderPaid {
			continue
		}
		var decoded domain.OrderPaid
		if err := json.Unmarshal(event.Data, &decoded); err != nil {
			t.Fatal(err)
		}
		paid = append(paid, decoded)
	}
	return paid
}

func newEventID() string { return "evt_" + uuid.NewString()[:8] }

func TestWebhook_Handle_recordsPaymentOnce(t *testing.T) {
	f := newWebhookFixture(t, money.New(4_500_000, "USD"))
	orderID := f.place(t)
	eventID := newEventID()
	payload := completedEvent(eventID, orderID, 450, "usd")
	for range 2 {
		if err := f.deliver(payload); err != nil {
			t.Fatalf("Handle: %v", err)
		}
	}
	paid := f.paidEvents(t, orderID)
	if len(paid) != 1 {
		t.Fatalf("OrderPaid events = %d, want 1", len(paid))
	}
	if paid[0].Gateway != "stripe" || paid[0].PaymentReference != "pi_"+eventID || paid[0].Amount.String() != "4.50 USD" {
		t.Errorf("OrderPaid = %+v", paid[0])
	}
	if _, err := f.store.ReadStream(context.Background(), "stripe-event-"+eventID, 0); err != nil {
		t.Errorf("reservation stream: %v", err)
	}
}

func TestWebhook_Handle_rejectsBadSignatures(t *testing.T) {
	f := newWebhookFixture(t, money.New(4_500_000, "USD"))
	orderID := f.place(t)
	payload := completedEvent(newEventID(), orderID, 450, "usd")
	tampered := completedEvent(newEventID(), orderID, 1, "usd")
	cases := map[string]struct {
		payload []byte
		header  string
	}{
		"wrong secret":  {payload, SignatureHeader(payload, "whsec_other", f.now)},
		"tampered body": {tampered, SignatureHeader(payload, testWebhookSecret, f.now)},
		"old timestamp": {payload, SignatureHeader(payload, testWebhookSecret, f.now.Add(-6*time.Minute))},
		"no header":     {payload, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := f.webhook.Handle(context.Background(), tc.payload, tc.header)
			if !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("error = %v, want ErrInvalidSignature", err)
			}
		})
	}
	if paid := f.paidEvents(t, orderID); len(paid) != 0 {
		t.Fatalf("OrderPaid events = %d after rejected deliveries", len(paid))
	}
}

func TestWebhook_Handle_unknownOrderIsRetried(t *testing.T) {
	f := newWebhookFixture(t, money.New(4_500_000, "USD"))
	eventID := newEventID()
	err := f.deliver(completedEvent(eventID, uuid.NewString(), 450, "usd"))
	if err == nil || errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("error = %v, want a retryable error", err)
	}
	if _, err := f.store.ReadStream(context.Background(), "stripe-event-"+eventID, 0); !errors.Is(err, eventstore.ErrStreamNotFound) {
		t.Fatalf("an unrecorded event was reserved: %v", err)
	}
}

// The orders read model is never consulted: an order only in the event
// store, with no projector running, is paid at once.
func TestWebhook_Handle_beforeReadModel(t *testing.T) {
	f := newWebhookFixture(t, money.New(4_500_000, "USD"))
	orderID := f.place(t)
	if err := f.deliver(completedEvent(newEventID(), orderID, 450, "usd")); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if paid := f.paidEvents(t, orderID); len(paid) != 1 {
		t.Fatalf("OrderPaid events = %d, want 1", len(paid))
	}
}

func TestWebhook_Handle_concurrentDuplicates(t *testing.T) {
	f := newWebhookFixture(t, money.New(4_500_000, "USD"))
	orderID := f.place(t)
	payload := completedEvent(newEventID(), orderID, 450, "usd")
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Go(func() { errs <- f.deliver(payload) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Handle: %v", err)
		}
	}
	if paid := f.paidEvents(t, orderID); len(paid) != 1 {
		t.Fatalf("OrderPaid events = %d, want 1", len(paid))
	}
}

func TestWebhook_Handle_zeroAndThreeDecimalCurrencies(t *testing.T) {
	cases := []struct {
		price       money.Money
		amountTotal int64
		currency    string
		want        string
	}{
		{money.New(1500*money.Scale, "JPY"), 1500, "jpy", "1500 JPY"},
		{money.New(1_250_000, "KWD"), 1250, "kwd", "1.250 KWD"},
	}
	for _, tc := range cases {
		t.Run(tc.currency, func(t *testing.T) {
			f := newWebhookFixture(t, tc.price)
			orderID := f.place(t)
			if err := f.deliver(completedEvent(newEventID(), orderID, tc.amountTotal, tc.currency)); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			paid := f.paidEvents(t, orderID)
			if len(paid) != 1 {
				t.Fatalf("OrderPaid events = %d, want 1", len(paid))
			}
			if paid[0].Amount.String() != tc.want {
				t.Errorf("amount = %s, want %s", paid[0].Amount, tc.want)
			}
		})
	}
}

func TestWebhook_Handle_unpaidSessionIgnored(t *testing.T) {
	f := newWebhookFixture(t, money.New(4_500_000, "USD"))
	orderID := f.place(t)
	payload := fmt.Appendf(nil, `{"id":%q,"type":"checkout.session.completed","data":{"object":{"id":"cs_1",
		"client_reference_id":%q,"payment_status":"unpaid","payment_intent":null,"amount_total":450,"currency":"usd"}}}`,
		newEventID(), orderID)
	if err := f.deliver(payload); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if paid := f.paidEvents(t, orderID); len(paid) != 0 {
		t.Fatalf("OrderPaid events = %d for an unpaid session", len(paid))
	}
}
