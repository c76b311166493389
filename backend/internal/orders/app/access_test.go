package app

import (
	"context"
	"testing"

	"esimscan/backend/internal/platform/apperr"
)

// fakeAccounts replaces the customers application: it "seals" an
// email by prefixing it, so the tests can tell sealed from plain.
type fakeAccounts struct{}

func (fakeAccounts) SealOrderEmail(_ context.Context, customerID, _, email string) (string, error) {
	return "sealed:" + customerID + ":" + email, nil
}

func (fakeAccounts) LinkOrder(context.Context, string, string) error { return nil }

func (fakeAccounts) SealGuestOrderEmail(_ context.Context, _, email string) (string, string, error) {
	return "guest-1-test", "sealed:guest:" + email, nil
}

func (fakeAccounts) EmailHash(_ context.Context, email string) (string, error) {
	return "hash:" + email, nil
}

func (fakeAccounts) SessionCustomer(context.Context, string, string) (string, error) { return "", nil }

func (fakeAccounts) OpenOrderEmail(_ context.Context, _, _, sealed string) (string, error) {
	return sealed[len("sealed:"):], nil
}

const (
	owner    = "11111111-1111-4111-8111-111111111111"
	stranger = "22222222-2222-4222-8222-222222222222"
)

// accountOrder places and issues an order for the account owner.
func (f *fixture) accountOrder(t *testing.T) PlacedOrder {
	t.Helper()
	f.service.UseCustomerAccounts(fakeAccounts{})
	placed, err := f.service.PlaceOrder(context.Background(), PlaceOrder{
		PackageID: japanQuote().PackageID, Email: "owner@example.com", CustomerID: owner,
	})
	if err != nil {
		t.Fatalf("PlaceOrder: %v", err)
	}
	return placed
}

func wantOrderNotFound(t *testing.T, err error, request string) {
	t.Helper()
	if appErr, ok := apperr.As(err); !ok || appErr.Code != "order_not_found" {
		t.Errorf("%s: %v, want order_not_found", request, err)
	}
}

func TestAccess_checkoutByOwnerWithoutToken(t *testing.T) {
	f := newFixture(t, withGateways(fakeGateways{"stripe": &fakeGateway{name: "stripe"}}))
	placed := f.accountOrder(t)
	ctx := context.Background()

	if _, err := f.service.StartCheckout(ctx, StartCheckout{OrderID: placed.ID, CustomerID: owner, Gateway: "stripe"}); err != nil {
		t.Errorf("owner's checkout: %v", err)
	}
	_, err := f.service.StartCheckout(ctx, StartCheckout{OrderID: placed.ID, CustomerID: stranger, Gateway: "stripe"})
	wantOrderNotFound(t, err, "another customer's checkout")
	_, err = f.service.StartCheckout(ctx, StartCheckout{OrderID: placed.ID, Gateway: "stripe"})
	wantOrderNotFound(t, err, "checkout with neither token nor customer")

	guest := f.place(t)
	_, err = f.service.StartCheckout(ctx, StartCheckout{OrderID: guest.ID, CustomerID: owner, Gateway: "stripe"})
	wantOrderNotFound(t, err, "a customer's checkout of a guest order")
}

func TestAccess_topUpsByOwnerWithoutToken(t *testing.T) {
	client := &topUpClient{fakeClient: &fakeClient{}}
	f := newFixture(t, withProviderClient(client))
	f.setMargin(t, "airalo", "20")
	placed := f.accountOrder(t)
	ctx := context.Background()
	if _, err := f.service.PayWithTestGateway(ctx, placed.ID, placed.AccessToken); err != nil {
		t.Fatal(err)
	}
	if _, err := f.service.FulfilManually(ctx, FulfilOrder{OrderID: placed.ID, ICCID: liveESIM.ICCID, LPA: liveESIM.LPA}); err != nil {
		t.Fatal(err)
	}

	if _, err := f.service.ListTopUps(ctx, placed.ID, Access{CustomerID: owner}, ""); err != nil {
		t.Errorf("owner lists top-ups: %v", err)
	}
	_, err := f.service.ListTopUps(ctx, placed.ID, Access{CustomerID: stranger}, "")
	wantOrderNotFound(t, err, "another customer lists top-ups")
	_, err = f.service.PlaceTopUp(ctx, PlaceTopUp{OrderID: placed.ID, CustomerID: stranger, PackageID: topUpPackageID})
	wantOrderNotFound(t, err, "another customer buys a top-up")

	topUp, err := f.service.PlaceTopUp(ctx, PlaceTopUp{OrderID: placed.ID, CustomerID: owner, PackageID: topUpPackageID})
	if err != nil {
		t.Fatalf("owner buys a top-up: %v", err)
	}
	if topUp.AccessToken == "" || topUp.TopUpOf == nil || topUp.TopUpOf.OrderID != placed.ID {
		t.Errorf("top-up = %+v, want a new order with its token, linked to %s", topUp, placed.ID)
	}
}

func TestAccess_opens(t *testing.T) {
	hash := HashToken("the-token")
	cases := []struct {
		name     string
		access   Access
		customer string
		want     bool
	}{
		{"token of the order", Access{Token: "the-token"}, "", true},
		{"wrong token", Access{Token: "other"}, "", false},
		{"owner of an account order", Access{CustomerID: owner}, owner, true},
		{"another customer", Access{CustomerID: stranger}, owner, false},
		{"customer on a guest order", Access{CustomerID: owner}, "", false},
		{"nothing shown", Access{}, "", false},
	}
	for _, c := range cases {
		if got := c.access.opens(hash, c.customer); got != c.want {
			t.Errorf("%s: opens = %v, want %v", c.name, got, c.want)
		}
	}
}
