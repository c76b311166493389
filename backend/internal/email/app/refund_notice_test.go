package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"esimscan/backend/internal/email/domain"
	"esimscan/backend/internal/email/mailpittest"
	"esimscan/backend/internal/eventstore"
)

func (f *fixture) refund(t *testing.T, orderID, reference, amount string, at time.Time) {
	t.Helper()
	refunded := `{"order_id":"` + orderID + `","gateway":"stripe","refund_reference":"` + reference +
		`","amount":{"amount":"` + amount + `","currency":"USD"},"refunded_at":"` + at.UTC().Format(time.RFC3339) + `"}`
	_, err := f.store.Append(context.Background(), domain.OrderStream(orderID), eventstore.Any(),
		eventstore.EventData{Type: "OrderRefunded", Data: []byte(refunded)})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRefundNotice_sentOncePerRefund(t *testing.T) {
	mailpit := mailpittest.Start(t, 0)
	f := newFixture(t, 50*time.Millisecond)
	f.configure(t, mailpit.Port)
	orderID, address := f.issueOrder(t)
	f.refund(t, orderID, "re_first", "5.00", time.Now())
	f.refund(t, orderID, "re_second", "7.50", time.Now())
	stop := f.runReactions(t, f.service)

	messages := mailpit.WaitForMessages(t, address, 3, waitTimeout)
	refunds := 0
	for _, message := range messages {
		if !strings.HasPrefix(message.Subject, "Refund of ") {
			continue
		}
		refunds++
		if !strings.Contains(message.Text, orderID) || !strings.Contains(message.Text, "Card (Stripe)") {
			t.Errorf("refund notice lacks the order or the payment method:\n%s", message.Text)
		}
	}
	if refunds != 2 {
		t.Fatalf("%d refund notices, want one per refund", refunds)
	}
	f.waitForEvents(t, orderID, "EmailSent", 3)

	// A second run replays the log, as a restart does, and sends nothing.
	stop()
	again := f.newService(50 * time.Millisecond)
	f.runReactions(t, again)
	f.refund(t, orderID, "re_third", "0.01", time.Now())
	mailpit.WaitForMessages(t, address, 4, waitTimeout)
	f.waitForEvents(t, orderID, "EmailSent", 4)
	if got := len(mailpit.MessagesTo(t, address)); got != 4 {
		t.Errorf("%d emails after the replay and a third refund, want 4", got)
	}
}

func TestRefundNotice_oldRefundsNotMailed(t *testing.T) {
	mailpit := mailpittest.Start(t, 0)
	f := newFixture(t, 50*time.Millisecond)
	f.configure(t, mailpit.Port)
	orderID, address := f.issueOrder(t)
	f.refund(t, orderID, "re_old", "5.00", time.Now().Add(-30*24*time.Hour))
	f.refund(t, orderID, "re_new", "1.00", time.Now())
	f.runReactions(t, f.service)

	mailpit.WaitForMessages(t, address, 2, waitTimeout)
	f.waitForEvents(t, orderID, "EmailSent", 2)
	for _, message := range mailpit.MessagesTo(t, address) {
		if strings.Contains(message.Subject, "5.00") {
			t.Errorf("a refund from 30 days ago was mailed: %q", message.Subject)
		}
	}
}
