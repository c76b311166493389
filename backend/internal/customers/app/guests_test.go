package app_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	customersapp "esimscan/backend/internal/customers/app"
	"esimscan/backend/internal/eventstore"
	ordersapp "esimscan/backend/internal/orders/app"
	"esimscan/backend/internal/platform/apperr"
	orderviews "esimscan/projections/orders"
)

func TestGuest_ordersSealedAndErasedByEmail(t *testing.T) {
	f := newFixture(t)
	orders, models := f.withOrders(t)
	ctx := context.Background()
	place := func(email string) ordersapp.PlacedOrder {
		t.Helper()
		placed, err := orders.PlaceOrder(ctx, ordersapp.PlaceOrder{PackageID: "pkg-jp", Email: email})
		if err != nil {
			t.Fatal(err)
		}
		return placed
	}
	first, second := place("traveller@example.org"), place("  Traveller@Example.ORG ")
	other := place("someone-else@example.org")
	f.assertNoPlaintext(t, "traveller@example.org")
	f.assertNoPlaintext(t, "someone-else@example.org")
	models.catchUp(t)

	views := orderviews.NewQueries(models.rdb.(*redis.Client))
	before, _ := f.store.ReadAll(ctx, 0, 10000)
	firstView, _ := views.Order(ctx, first.ID)
	secondView, _ := views.Order(ctx, second.ID)
	if firstView.GuestID == "" || firstView.GuestID != secondView.GuestID {
		t.Fatalf("guest ids %q and %q; want one key for one address in any case", firstView.GuestID, secondView.GuestID)
	}
	if email, err := f.service.OpenOrderEmail(ctx, secondView.GuestID, second.ID, secondView.EmailSealed); err != nil ||
		email != "Traveller@Example.ORG" {
		t.Errorf("second order opens as %q, %v; want the address as typed", email, err)
	}
	if _, err := f.service.OpenOrderEmail(ctx, firstView.GuestID, second.ID, firstView.EmailSealed); err == nil {
		t.Error("the sealed email of one guest order opened as another order's")
	}
	hash, _ := f.service.EmailHash(ctx, "TRAVELLER@example.org")
	listed, total, err := views.List(ctx, orderviews.ListFilter{Email: "traveller@example.org", EmailHash: hash})
	if err != nil || total != 2 || listed[0].ID != second.ID || listed[1].ID != first.ID {
		t.Errorf("orders by email = %v (%d), %v; want both guest orders, newest first", ids(listed), total, err)
	}

	erasure, err := f.service.EraseGuest(ctx, customersapp.EraseGuest{Email: "TRAVELLER@example.org"})
	if err != nil || erasure.Orders != 2 || len(erasure.GuestIDs) != 1 || erasure.GuestIDs[0] != firstView.GuestID {
		t.Fatalf("erase guest = %+v, %v; want one key covering two orders", erasure, err)
	}
	after, _ := f.store.ReadAll(ctx, 0, 10000)
	if len(after) != len(before)+1 || after[len(after)-1].Type != "GuestErased" {
		t.Fatalf("erasure appended %d events, last %s; want one GuestErased", len(after)-len(before), after[len(after)-1].Type)
	}
	for i := range before {
		if string(before[i].Data) != string(after[i].Data) {
			t.Fatalf("erasure changed event %d (%s)", i, before[i].Type)
		}
	}
	models.catchUp(t)
	for _, id := range []string{first.ID, second.ID} {
		view, _ := views.Order(ctx, id)
		if view.Email != orderviews.ErasedEmail || view.EmailSealed != "" {
			t.Errorf("erased guest order %s = email %q sealed %q; want erased", id, view.Email, view.EmailSealed)
		}
		if email, err := f.service.OpenOrderEmail(ctx, firstView.GuestID, id, firstView.EmailSealed); err != nil || email != customersapp.ErasedEmail {
			t.Errorf("open after erasure = %q, %v; want %q", email, err, customersapp.ErasedEmail)
		}
	}
	otherView, _ := views.Order(ctx, other.ID)
	if email, err := f.service.OpenOrderEmail(ctx, otherView.GuestID, other.ID, otherView.EmailSealed); err != nil || email != "someone-else@example.org" {
		t.Errorf("another guest's order = %q, %v; erasure must not touch it", email, err)
	}

	_, err = f.service.EraseGuest(ctx, customersapp.EraseGuest{Email: "traveller@example.org"})
	if appErr, ok := apperr.As(err); !ok || appErr.Code != "already_erased" {
		t.Errorf("erase twice: %v, want already_erased", err)
	}
	again := place("traveller@example.org")
	models.catchUp(t)
	againView, _ := views.Order(ctx, again.ID)
	if againView.GuestID == firstView.GuestID || againView.GuestID == "" {
		t.Fatalf("order after erasure uses key %q; want a new one", againView.GuestID)
	}
	if email, err := f.service.OpenOrderEmail(ctx, againView.GuestID, again.ID, againView.EmailSealed); err != nil || email != "traveller@example.org" {
		t.Errorf("order after erasure = %q, %v; want readable", email, err)
	}
	erasure, err = f.service.EraseGuest(ctx, customersapp.EraseGuest{Email: "traveller@example.org"})
	if err != nil || erasure.Orders != 1 || len(erasure.GuestIDs) != 1 || erasure.GuestIDs[0] != againView.GuestID {
		t.Errorf("second erasure = %+v, %v; want only the new key", erasure, err)
	}
}

func TestEraseGuest_badInputAndUnknownAddress(t *testing.T) {
	f := newFixture(t)
	f.withOrders(t)
	ctx := context.Background()
	before, _ := f.store.ReadAll(ctx, 0, 10000)
	for _, email := range []string{"", "not-an-email", "a@b.c" + string(make([]byte, 300))} {
		_, err := f.service.EraseGuest(ctx, customersapp.EraseGuest{Email: email})
		if appErr, ok := apperr.As(err); !ok || appErr.Field != "email" || appErr.Kind != apperr.KindInvalid {
			t.Errorf("email %.20q: %v, want an invalid error naming email", email, err)
		}
	}
	_, err := f.service.EraseGuest(ctx, customersapp.EraseGuest{Email: "nobody@example.org"})
	if appErr, ok := apperr.As(err); !ok || appErr.Code != "guest_not_found" {
		t.Errorf("unknown address: %v, want guest_not_found", err)
	}
	after, _ := f.store.ReadAll(ctx, 0, 10000)
	// Hashing an address issues the lookup key once; nothing else may be
	// appended.
	for _, event := range after[len(before):] {
		if event.Type != "CustomerLookupKeyIssued" {
			t.Errorf("rejected erasure appended %s", event.Type)
		}
	}
}

func TestGuest_concurrentFirstOrdersOneKey(t *testing.T) {
	f := newFixture(t)
	orders, models := f.withOrders(t)
	ctx := context.Background()
	const buyers = 8
	placed := make([]string, buyers)
	var wg sync.WaitGroup
	for i := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			order, err := orders.PlaceOrder(ctx, ordersapp.PlaceOrder{PackageID: "pkg-jp", Email: "rush@example.org"})
			if err != nil {
				t.Error(err)
				return
			}
			placed[i] = order.ID
		}()
	}
	wg.Wait()
	models.catchUp(t)

	views := orderviews.NewQueries(models.rdb.(*redis.Client))
	keys := map[string]bool{}
	for _, id := range placed {
		view, err := views.Order(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		keys[view.GuestID] = true
	}

	issued := 0
	events, _ := f.store.ReadAll(ctx, 0, 10000)
	for _, event := range events {
		if event.Type == "GuestKeyIssued" {
			issued++
		}
	}
	if len(keys) != 1 || issued != 1 {
		t.Errorf("%d concurrent first orders used %d keys, %d issued; want one", buyers, len(keys), issued)
	}
}

func ids(orders []orderviews.OrderView) []string {
	out := make([]string, 0, len(orders))
	for _, order := range orders {
		out = append(out, order.ID)
	}
	return out
}

func TestEraseGuest_legacyPlainOrdersReported(t *testing.T) {
	f := newFixture(t)
	orders, models := f.withOrders(t)
	ctx := context.Background()
	legacyID := uuid.NewString()
	legacy := `{"order_id":"` + legacyID + `","email":"old@example.org","access_token_hash":"abc",` +
		`"package":{"id":"pkg-jp","provider":"esim-access","name":"Japan 1GB"},` +
		`"unit_price":{"amount":"12.50","currency":"USD"},"quantity":1,"total":{"amount":"12.50","currency":"USD"},` +
		`"placed_at":"2026-12-01T10:00:00Z"}`
	if _, err := f.store.Append(ctx, "order-"+legacyID, eventstore.NoStream(),
		eventstore.EventData{Type: "OrderPlaced", Data: []byte(legacy)}); err != nil {
		t.Fatal(err)
	}
	models.catchUp(t)

	_, err := f.service.EraseGuest(ctx, customersapp.EraseGuest{Email: "Old@example.org"})
	if appErr, ok := apperr.As(err); !ok || appErr.Code != "legacy_orders_not_erasable" {
		t.Fatalf("erase a guest with only a plain order: %v, want legacy_orders_not_erasable", err)
	}

	if _, err := orders.PlaceOrder(ctx, ordersapp.PlaceOrder{PackageID: "pkg-jp", Email: "old@example.org"}); err != nil {
		t.Fatal(err)
	}
	models.catchUp(t)
	erasure, err := f.service.EraseGuest(ctx, customersapp.EraseGuest{Email: "old@example.org"})
	if err != nil || erasure.Orders != 1 || erasure.LegacyOrders != 1 {
		t.Errorf("erase = %+v, %v; want the sealed order erased and the plain one reported", erasure, err)
	}
}
