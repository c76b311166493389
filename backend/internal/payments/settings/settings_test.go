package settings

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/eventstore/filestore"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/platform/secrets"
)

func newTestService(t *testing.T) (*Service, eventstore.Store) {
	t.Helper()
	store, err := filestore.Open(t.TempDir(), filestore.Options{NoSync: true})
	if err != nil {
		t.Fatalf("open store: %v", err)
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
	service := NewService(Deps{Repo: &esrepo.Repository{Store: store}, Keys: keys, Logger: zerolog.New(zerolog.NewTestWriter(t))})
	return service, store
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	appErr, ok := apperr.As(err)
	if !ok || appErr.Kind != apperr.KindInvalid || appErr.Field != field {
		t.Fatalf("error = %v, want an invalid %s", err, field)
	}
}

func TestService_ConfigureStripe_sealsAndAudits(t *testing.T) {
	service, store := newTestService(t)
	ctx := esrepo.WithActor(context.Background(), "admin-1")
	input := StripeInput{SecretKey: "sk_test_first", WebhookSecret: "whsec_first", Enabled: true}
	if _, err := service.ConfigureStripe(ctx, input); err != nil {
		t.Fatalf("ConfigureStripe: %v", err)
	}
	// A blank secret keeps the stored one; a new one replaces it.
	if _, err := service.ConfigureStripe(ctx, StripeInput{SecretKey: "sk_test_second", Enabled: true}); err != nil {
		t.Fatalf("ConfigureStripe again: %v", err)
	}
	credentials, err := service.Stripe(ctx)
	if err != nil {
		t.Fatalf("Stripe: %v", err)
	}
	if credentials.SecretKey != "sk_test_second" || credentials.WebhookSecret != "whsec_first" || !credentials.Enabled {
		t.Errorf("credentials enabled=%v, secret key or webhook secret differs from what was saved", credentials.Enabled)
	}
	view, err := service.Views(ctx)
	if err != nil {
		t.Fatalf("Views: %v", err)
	}
	if view.Stripe.SecretKey != SecretSet || view.Stripe.WebhookSecret != SecretSet || view.PayPal.ClientSecret != SecretMissing {
		t.Errorf("view = %+v", view)
	}

	events, err := store.ReadStream(ctx, Stream, 0)
	if err != nil {
		t.Fatal(err)
	}
	var credentialEvents []PaymentCredentialSet
	for _, event := range events {
		if strings.Contains(string(event.Data), "sk_test") || strings.Contains(string(event.Data), "whsec_first") {
			t.Errorf("%s stores a secret in clear", event.Type)
		}
		if event.Metadata.ActorID != "admin-1" {
			t.Errorf("%s actor = %q", event.Type, event.Metadata.ActorID)
		}
		if event.Type == EventPaymentCredentialSet {
			var set PaymentCredentialSet
			if err := json.Unmarshal(event.Data, &set); err != nil {
				t.Fatal(err)
			}
			credentialEvents = append(credentialEvents, set)
		}
	}
	if len(credentialEvents) != 3 {
		t.Fatalf("PaymentCredentialSet events = %d, want 3", len(credentialEvents))
	}
	last := credentialEvents[2]
	if last.Field != FieldSecretKey || last.OldFingerprint == nil || *last.OldFingerprint != credentialEvents[0].Fingerprint {
		t.Errorf("last credential event = %+v, want the old fingerprint of the first secret key", last)
	}
}

func TestService_ConfigureStripe_unchangedAppendsNothing(t *testing.T) {
	service, store := newTestService(t)
	ctx := context.Background()
	input := StripeInput{SecretKey: "sk_test_same", WebhookSecret: "whsec_same", Enabled: true}
	for range 2 {
		if _, err := service.ConfigureStripe(ctx, input); err != nil {
			t.Fatalf("ConfigureStripe: %v", err)
		}
	}
	events, err := store.ReadStream(ctx, Stream, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 {
		t.Errorf("events = %d, want 3 (two secrets and one configuration)", len(events))
	}
}

func TestService_Configure_validationNamesField(t *testing.T) {
	service, store := newTestService(t)
	ctx := context.Background()
	_, err := service.ConfigureStripe(ctx, StripeInput{Enabled: true})
	wantField(t, err, FieldSecretKey)
	_, err = service.ConfigureStripe(ctx, StripeInput{SecretKey: "pk_live_public"})
	wantField(t, err, FieldSecretKey)
	_, err = service.ConfigureStripe(ctx, StripeInput{SecretKey: "sk_test_x", Enabled: true})
	wantField(t, err, FieldWebhookSecret)
	_, err = service.ConfigurePayPal(ctx, PayPalInput{Mode: "production"})
	wantField(t, err, "mode")
	_, err = service.ConfigurePayPal(ctx, PayPalInput{ClientID: "id", ClientSecret: "secret", Enabled: true})
	wantField(t, err, "webhook_id")
	_, err = service.ConfigureManual(ctx, ManualInput{Enabled: true, Instructions: "  "})
	wantField(t, err, "instructions")
	if _, err := store.ReadStream(ctx, Stream, 0); err == nil {
		t.Error("a rejected save appended events")
	}
}

func TestService_ConfigureManualAndPayPal(t *testing.T) {
	service, _ := newTestService(t)
	ctx := context.Background()
	if _, err := service.ConfigureManual(ctx, ManualInput{Enabled: true, Instructions: "IBAN DE00 0000"}); err != nil {
		t.Fatalf("ConfigureManual: %v", err)
	}
	paypal := PayPalInput{ClientID: "client", ClientSecret: "paypal-secret", WebhookID: "WH-1", Mode: "live", Enabled: true}
	if _, err := service.ConfigurePayPal(ctx, paypal); err != nil {
		t.Fatalf("ConfigurePayPal: %v", err)
	}
	view, err := service.Views(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !view.Manual.Enabled || view.Manual.Instructions != "IBAN DE00 0000" {
		t.Errorf("manual view = %+v", view.Manual)
	}
	if view.PayPal.Mode != "live" || view.PayPal.ClientSecret != SecretSet || view.PayPal.WebhookID != "WH-1" {
		t.Errorf("paypal view = %+v", view.PayPal)
	}
	credentials, err := service.PayPal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if credentials.ClientSecret != "paypal-secret" {
		t.Error("PayPal returned another client secret than saved")
	}
}
