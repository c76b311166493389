package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	emailapp "esimscan/backend/internal/email/app"
	"esimscan/backend/internal/email/domain"
	"esimscan/backend/internal/email/mailpittest"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/eventstore/filestore"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/platform/reactor"
	"esimscan/backend/internal/platform/secrets"
)

const waitTimeout = 20 * time.Second

type fixture struct {
	store   eventstore.Store
	repo    *esrepo.Repository
	keys    *secrets.Keyring
	service *emailapp.Service
}

func newFixture(t *testing.T, retryDelay time.Duration) *fixture {
	t.Helper()
	store, err := filestore.Open(t.TempDir(), filestore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	appKey, err := secrets.GenerateAppKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secrets.ParseAppKey(appKey)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: store, repo: &esrepo.Repository{Store: store}, keys: keys}
	f.service = f.newService(retryDelay)
	return f
}

func (f *fixture) newService(retryDelay time.Duration) *emailapp.Service {
	return emailapp.NewService(emailapp.Deps{
		Repo:        f.repo,
		Keys:        f.keys,
		Logger:      zerolog.Nop(),
		StoreName:   "Tokyo SIMs",
		RetryDelay:  retryDelay,
		MaxAttempts: 100,
	})
}

// runReactions runs the service's reactions until the test ends or the
// returned stop is called.
func (f *fixture) runReactions(t *testing.T, service *emailapp.Service) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = reactor.Run(ctx, f.store, zerolog.Nop(), service.Reactions()...)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
			service.Wait()
		})
	}
	t.Cleanup(stop)
	return stop
}

func (f *fixture) configure(t *testing.T, port int) {
	t.Helper()
	_, err := f.service.ConfigureSMTP(context.Background(), emailapp.ConfigureSMTP{
		Host: "127.0.0.1", Port: port, Username: "shop", Password: "smtp-secret-1",
		From: "Tokyo SIMs <shop@example.com>", Security: "none",
	})
	if err != nil {
		t.Fatalf("configure smtp: %v", err)
	}
}

// issueOrder appends an order's OrderPlaced and ESIMIssued as the orders
// context writes them, and returns the order id and buyer address.
func (f *fixture) issueOrder(t *testing.T) (string, string) {
	t.Helper()
	orderID := uuid.NewString()
	email := "buyer-" + orderID[:8] + "@example.com"
	placed := `{"order_id":"` + orderID + `","email":"` + email + `","package":{"name":"Japan 5 GB"},` +
		`"quantity":1,"unit_price":{"amount":"12.50","currency":"USD"},"total":{"amount":"12.50","currency":"USD"}}`
	paid := `{"order_id":"` + orderID + `","gateway":"stripe","payment_reference":"pi_test_1","paid_at":"2026-12-04T10:00:00Z"}`
	issued := `{"order_id":"` + orderID + `","esims":[{"iccid":"8981000000000000001","lpa":"LPA:1$smdp.example.com$ACT-` +
		orderID[:8] + `","smdp_address":"smdp.example.com","activation_code":"ACT-` + orderID[:8] + `"}]}`
	_, err := f.store.Append(context.Background(), domain.OrderStream(orderID), eventstore.NoStream(),
		eventstore.EventData{Type: "OrderPlaced", Data: []byte(placed)},
		eventstore.EventData{Type: "OrderPaid", Data: []byte(paid)},
		eventstore.EventData{Type: "ESIMIssued", Data: []byte(issued)})
	if err != nil {
		t.Fatal(err)
	}
	return orderID, email
}

func (f *fixture) countEvents(t *testing.T, orderID, eventType string) int {
	t.Helper()
	events, err := f.store.ReadStream(context.Background(), domain.OrderStream(orderID), 0)
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, event := range events {
		if event.Type == eventType {
			count++
		}
	}
	return count
}

func (f *fixture) waitForEvents(t *testing.T, orderID, eventType string, count int) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for f.countEvents(t, orderID, eventType) < count {
		if time.Now().After(deadline) {
			t.Fatalf("order %s has %d %s events after %s, want %d", orderID, f.countEvents(t, orderID, eventType), waitTimeout, eventType, count)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDelivery_sendsESIMEmailWithQRCode(t *testing.T) {
	mailpit := mailpittest.Start(t, 0)
	f := newFixture(t, 50*time.Millisecond)
	f.configure(t, mailpit.Port)
	f.runReactions(t, f.service)
	orderID, address := f.issueOrder(t)

	messages := mailpit.WaitForMessages(t, address, 1, waitTimeout)
	message := messages[0]
	wantCode := "ACT-" + orderID[:8]
	for _, want := range []string{"LPA:1$smdp.example.com$" + wantCode, "smdp.example.com", wantCode, "iPhone", "Android", "Japan 5 GB",
		"Total: 12.50 USD", "Paid: 4 December 2026 10:00 UTC by Card (Stripe) (reference pi_test_1)"} {
		if !strings.Contains(message.Text, want) {
			t.Errorf("text part lacks %q", want)
		}
	}
	if !strings.Contains(message.HTML, "cid:esim-1@esimscan") {
		t.Error("html part does not show the inline QR code")
	}
	if len(message.Inline) != 1 {
		t.Fatalf("inline parts = %d, want 1 QR code", len(message.Inline))
	}
	if message.Inline[0].ContentType != "image/png" {
		t.Errorf("inline content type = %q, want image/png", message.Inline[0].ContentType)
	}
	image := mailpit.PartBytes(t, message.ID, message.Inline[0].PartID)
	if _, err := png.Decode(bytes.NewReader(image)); err != nil {
		t.Errorf("inline QR code is not a PNG: %v", err)
	}
	f.waitForEvents(t, orderID, domain.EventEmailSent, 1)
}

func TestDelivery_idempotentAcrossRestart(t *testing.T) {
	mailpit := mailpittest.Start(t, 0)
	f := newFixture(t, 50*time.Millisecond)
	f.configure(t, mailpit.Port)
	orderID, address := f.issueOrder(t)

	first := f.newService(50 * time.Millisecond)
	f.runReactions(t, first)
	mailpit.WaitForMessages(t, address, 1, waitTimeout)
	f.waitForEvents(t, orderID, domain.EventEmailSent, 1)

	// A second process replays the log from the start, and EmailSent decides.
	restarted := f.newService(50 * time.Millisecond)
	f.runReactions(t, restarted)
	// Another issued order shows that the replay got past this one.
	otherID, otherAddress := f.issueOrder(t)
	mailpit.WaitForMessages(t, otherAddress, 1, waitTimeout)
	f.waitForEvents(t, otherID, domain.EventEmailSent, 1)
	restarted.Wait()

	if got := len(mailpit.MessagesTo(t, address)); got != 1 {
		t.Errorf("emails to the buyer after a restart = %d, want 1", got)
	}
	if got := f.countEvents(t, orderID, domain.EventEmailSent); got != 1 {
		t.Errorf("EmailSent events = %d, want 1", got)
	}
}

func TestDelivery_resendSendsOneMore(t *testing.T) {
	mailpit := mailpittest.Start(t, 0)
	f := newFixture(t, 50*time.Millisecond)
	f.configure(t, mailpit.Port)
	f.runReactions(t, f.service)
	orderID, address := f.issueOrder(t)
	f.waitForEvents(t, orderID, domain.EventEmailSent, 1)

	if _, err := f.service.ResendOrderEmail(context.Background(), orderID); err != nil {
		t.Fatal(err)
	}
	mailpit.WaitForMessages(t, address, 2, waitTimeout)
	f.waitForEvents(t, orderID, domain.EventEmailSent, 2)

	_, err := f.service.ResendOrderEmail(context.Background(), uuid.NewString())
	if appErr, ok := apperr.As(err); !ok || appErr.Kind != apperr.KindNotFound {
		t.Errorf("resend of an unknown order: error = %v, want NotFound", err)
	}
}

func TestDelivery_smtpDownFailsThenRetries(t *testing.T) {
	port := mailpittest.FreePort(t)
	f := newFixture(t, 100*time.Millisecond)
	f.configure(t, port)
	f.runReactions(t, f.service)
	orderID, address := f.issueOrder(t)

	f.waitForEvents(t, orderID, domain.EventEmailFailed, 1)
	failed := f.lastFailure(t, orderID)
	if failed.RetryAt == nil || !strings.Contains(failed.Message, "connect") {
		t.Errorf("EmailFailed = %+v, want a retry time and the connection error", failed)
	}
	if strings.Contains(failed.Message, "smtp-secret-1") {
		t.Error("EmailFailed contains the SMTP password")
	}

	mailpit := mailpittest.Start(t, port)
	mailpit.WaitForMessages(t, address, 1, waitTimeout)
	f.waitForEvents(t, orderID, domain.EventEmailSent, 1)
	f.service.Wait()
	if got := f.countEvents(t, orderID, domain.EventEmailSent); got != 1 {
		t.Errorf("EmailSent events = %d, want 1", got)
	}
	if got := len(mailpit.MessagesTo(t, address)); got != 1 {
		t.Errorf("emails received = %d, want 1", got)
	}
}

func (f *fixture) lastFailure(t *testing.T, orderID string) domain.EmailFailed {
	t.Helper()
	events, err := f.store.ReadStream(context.Background(), domain.OrderStream(orderID), 0)
	if err != nil {
		t.Fatal(err)
	}
	var failed domain.EmailFailed
	for _, event := range events {
		if event.Type == domain.EventEmailFailed {
			if err := json.Unmarshal(event.Data, &failed); err != nil {
				t.Fatal(err)
			}
		}
	}
	return failed
}
