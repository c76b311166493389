package app

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/platform/apperr"
)

func TestPlaceOrder_appendsOrderPlaced(t *testing.T) {
	f := newFixture(t)
	placed, err := f.service.PlaceOrder(context.Background(), PlaceOrder{
		PackageID: japanQuote().PackageID, Email: " buyer@example.com ", Quantity: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	if placed.Total != usd("9.00") {
		t.Errorf("total = %s, want 9.00 USD", placed.Total)
	}
	if placed.Result.Position == 0 {
		t.Error("result has no log position")
	}
	var event domain.OrderPlaced
	f.lastEvent(t, placed.ID, domain.EventOrderPlaced, &event)
	if event.OrderID != placed.ID || event.Email != "buyer@example.com" || event.Quantity != 2 {
		t.Errorf("event = %+v", event)
	}
	if event.UnitPrice != usd("4.50") || event.Total != usd("9.00") {
		t.Errorf("prices = %s × %d = %s", event.UnitPrice, event.Quantity, event.Total)
	}
	if event.Package.ProviderPackageID != "moshi-moshi-7days-1gb" || event.Package.DataMB == nil || *event.Package.DataMB != 1024 {
		t.Errorf("package = %+v", event.Package)
	}
	if event.AccessTokenHash != HashToken(placed.AccessToken) {
		t.Error("access_token_hash is not the SHA-256 of the token")
	}
}

func TestPlaceOrder_quantityDefaultsToOne(t *testing.T) {
	f := newFixture(t)
	placed := f.place(t)
	if placed.Total != usd("4.50") {
		t.Errorf("total = %s, want 4.50 USD", placed.Total)
	}
}

func TestPlaceOrder_tokenIsRandomBase64URL(t *testing.T) {
	f := newFixture(t)
	first, second := f.place(t), f.place(t)
	if len(first.AccessToken) != 43 || strings.ContainsAny(first.AccessToken, "+/=") {
		t.Errorf("token %q is not 32 bytes of unpadded base64url", first.AccessToken)
	}
	if first.AccessToken == second.AccessToken || first.ID == second.ID {
		t.Error("two orders share an id or a token")
	}
}

func TestPlaceOrder_logHoldsNoToken(t *testing.T) {
	f := newFixture(t)
	placed := f.placeAndPay(t)
	for _, event := range f.store.All() {
		if bytes.Contains(event.Data, []byte(placed.AccessToken)) {
			t.Errorf("%s contains the access token", event.Type)
		}
	}
}

func TestPlaceOrder_rejectsInvalidFields(t *testing.T) {
	cases := []struct {
		name  string
		cmd   PlaceOrder
		field string
	}{
		{"missing package", PlaceOrder{Email: "a@example.com"}, "package_id"},
		{"long package id", PlaceOrder{PackageID: strings.Repeat("p", 65), Email: "a@example.com"}, "package_id"},
		{"missing email", PlaceOrder{PackageID: "pkgjapan1gb00001"}, "email"},
		{"bad email", PlaceOrder{PackageID: "pkgjapan1gb00001", Email: "not-an-address"}, "email"},
		{"quantity too high", PlaceOrder{PackageID: "pkgjapan1gb00001", Email: "a@example.com", Quantity: 11}, "quantity"},
		{"negative quantity", PlaceOrder{PackageID: "pkgjapan1gb00001", Email: "a@example.com", Quantity: -1}, "quantity"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.service.PlaceOrder(context.Background(), c.cmd)
			appErr, ok := apperr.As(err)
			if !ok {
				t.Fatalf("error = %v, want an apperr.Error", err)
			}
			if appErr.Kind != apperr.KindInvalid || appErr.Field != c.field {
				t.Errorf("kind %d field %q, want invalid %q", appErr.Kind, appErr.Field, c.field)
			}
			if n := len(f.store.All()); n != 0 {
				t.Errorf("%d events appended, want none", n)
			}
		})
	}
}

func TestPlaceOrder_rejectsUnavailablePackage(t *testing.T) {
	f := newFixture(t)
	withdrawn := japanQuote()
	withdrawn.PackageID = "pkgwithdrawn0001"
	withdrawn.Sellable = false
	f.pricing.set(withdrawn)
	for _, packageID := range []string{"pkgunknown000001", withdrawn.PackageID} {
		_, err := f.service.PlaceOrder(context.Background(), PlaceOrder{PackageID: packageID, Email: "a@example.com"})
		wantAppError(t, err, apperr.KindInvalid, "package_unavailable", "package_id")
	}
	if n := len(f.store.All()); n != 0 {
		t.Errorf("%d events appended, want none", n)
	}
}

func TestPlaceOrder_pricingFailureIsNotInvalid(t *testing.T) {
	f := newFixture(t)
	f.pricing.err = errors.New("redis: connection refused")
	_, err := f.service.PlaceOrder(context.Background(), PlaceOrder{PackageID: "pkgjapan1gb00001", Email: "a@example.com"})
	if err == nil {
		t.Fatal("PlaceOrder succeeded, want an error")
	}
	if _, ok := apperr.As(err); ok {
		t.Errorf("error = %v, want a server fault, not an apperr.Error", err)
	}
}

func TestPlaceOrder_priceFixedAtPlacement(t *testing.T) {
	f := newFixture(t)
	placed := f.place(t)
	raised := japanQuote()
	raised.UnitPrice = usd("9.99")
	f.pricing.set(raised)

	if _, err := f.service.PayWithTestGateway(context.Background(), placed.ID, placed.AccessToken); err != nil {
		t.Fatal(err)
	}
	var paid domain.OrderPaid
	f.lastEvent(t, placed.ID, domain.EventOrderPaid, &paid)
	if paid.Amount != usd("4.50") {
		t.Errorf("paid %s, want the placed total 4.50 USD", paid.Amount)
	}
	var event domain.OrderPlaced
	f.lastEvent(t, placed.ID, domain.EventOrderPlaced, &event)
	if event.Total != usd("4.50") {
		t.Errorf("placed total = %s, want 4.50 USD", event.Total)
	}
}

func TestTokenMatches(t *testing.T) {
	hash := HashToken("secret-token")
	if len(hash) != 64 {
		t.Errorf("hash length = %d, want 64 hex digits", len(hash))
	}
	if !TokenMatches(hash, "secret-token") {
		t.Error("the right token does not match")
	}
	if TokenMatches(hash, "other-token") {
		t.Error("a wrong token matches")
	}
	if TokenMatches(HashToken(""), "") {
		t.Error("an empty token matches")
	}
}
