package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"esimscan/backend/internal/email/domain"
	"esimscan/backend/internal/email/mailpittest"
	"esimscan/backend/internal/eventstore"
)

// topUpOrder appends a paid top-up order's events up to TopUpApplied, as
// the orders context writes them, and returns its id and buyer address.
func (f *fixture) topUpOrder(t *testing.T, appliedAt time.Time) (string, string) {
	t.Helper()
	orderID := uuid.NewString()
	email := "topup-" + orderID[:8] + "@example.com"
	placed := `{"order_id":"` + orderID + `","email":"` + email + `","package":{"name":"Japan 3 GB top-up"},` +
		`"quantity":1,"unit_price":{"amount":"6.00","currency":"USD"},"total":{"amount":"6.00","currency":"USD"},` +
		`"topup_of":{"order_id":"parent","iccid":"8981000000000000009"}}`
	paid := `{"order_id":"` + orderID + `","gateway":"paypal","payment_reference":"CAPTURE-9","paid_at":"` +
		appliedAt.UTC().Format(time.RFC3339) + `"}`
	applied := `{"order_id":"` + orderID + `","iccid":"8981000000000000009","applied_at":"` + appliedAt.UTC().Format(time.RFC3339) + `"}`
	_, err := f.store.Append(context.Background(), domain.OrderStream(orderID), eventstore.NoStream(),
		eventstore.EventData{Type: "OrderPlaced", Data: []byte(placed)},
		eventstore.EventData{Type: "OrderPaid", Data: []byte(paid)},
		eventstore.EventData{Type: "TopUpApplied", Data: []byte(applied)})
	if err != nil {
		t.Fatal(err)
	}
	return orderID, email
}

func TestTopUpEmail_confirmsWithReceipt(t *testing.T) {
	mailpit := mailpittest.Start(t, 0)
	f := newFixture(t, 50*time.Millisecond)
	f.configure(t, mailpit.Port)
	orderID, address := f.topUpOrder(t, time.Now())
	f.runReactions(t, f.service)

	message := mailpit.WaitForMessages(t, address, 1, waitTimeout)[0]
	for _, want := range []string{"8981000000000000009", "Japan 3 GB top-up", "Total: 6.00 USD", "by PayPal (reference CAPTURE-9)"} {
		if !strings.Contains(message.Text, want) {
			t.Errorf("top-up email lacks %q:\n%s", want, message.Text)
		}
	}
	if strings.Contains(message.Text, "LPA") || len(message.Inline) != 0 {
		t.Error("top-up email carries install details for an eSIM the buyer already has")
	}
	f.waitForEvents(t, orderID, "EmailSent", 1)
}

func TestTopUpEmail_oldTopUpsNotMailed(t *testing.T) {
	mailpit := mailpittest.Start(t, 0)
	f := newFixture(t, 50*time.Millisecond)
	f.configure(t, mailpit.Port)
	_, oldAddress := f.topUpOrder(t, time.Now().Add(-30*24*time.Hour))
	newID, newAddress := f.topUpOrder(t, time.Now())
	f.runReactions(t, f.service)

	mailpit.WaitForMessages(t, newAddress, 1, waitTimeout)
	f.waitForEvents(t, newID, "EmailSent", 1)
	if got := len(mailpit.MessagesTo(t, oldAddress)); got != 0 {
		t.Errorf("a top-up from 30 days ago was mailed %d times", got)
	}
}
