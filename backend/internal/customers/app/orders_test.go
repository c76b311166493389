package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	customersapp "esimscan/backend/internal/customers/app"
	"esimscan/backend/internal/eventstore"
	ordersapp "esimscan/backend/internal/orders/app"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/money"
	customerviews "esimscan/projections/customers"
	orderviews "esimscan/projections/orders"
	"esimscan/projections/projection"
)

type onePackage struct{}

func (onePackage) Quote(context.Context, string) (ordersapp.Quote, error) {
	amount, _ := money.ParseAmount("12.50")
	return ordersapp.Quote{
		PackageID: "pkg-jp", Provider: "esimaccess", ProviderPackageID: "jp-1", Name: "Japan 1GB",
		Countries: []string{"JP"}, ValidityDays: 7, UnitPrice: money.New(amount, "USD"), Sellable: true,
	}, nil
}

// readModels projects the fixture's log into Redis the way the runner
// does, one transaction per event.
type readModels struct {
	store    eventstore.Store
	rdb      redis.UniversalClient
	position eventstore.Position
}

func (r *readModels) catchUp(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	events, err := r.store.ReadAll(ctx, r.position, 10000)
	if err != nil {
		t.Fatal(err)
	}
	for _, event := range events {
		ev := projection.Event{ID: event.ID, Type: event.Type, Stream: event.Stream, Position: uint64(event.Position), Data: event.Data}
		for _, projector := range []projection.Projector{customerviews.NewProjector(), orderviews.NewProjector()} {
			tx := r.rdb.TxPipeline()
			if err := projector.Apply(ctx, r.rdb, tx, ev); err != nil {
				t.Fatalf("%s applies %s: %v", projector.Name(), event.Type, err)
			}
			if _, err := tx.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		r.position = event.Position
	}
}

// withOrders wires the fixture's service to read models and an orders
// service, as the server does.
func (f *fixture) withOrders(t *testing.T) (*ordersapp.Service, *readModels) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	orders := ordersapp.NewService(ordersapp.Deps{Repo: &esrepo.Repository{Store: f.store}, Pricing: onePackage{}, Logger: zerolog.Nop()})
	f.service = customersapp.NewService(f.deps(customerviews.NewQueries(rdb), orderviews.NewQueries(rdb)))
	t.Cleanup(f.service.Wait)
	orders.UseCustomerAccounts(f.service)
	return orders, &readModels{store: f.store, rdb: rdb}
}

func (f *fixture) signIn(t *testing.T) (string, customersapp.Session) {
	t.Helper()
	address, token := f.register(t)
	if err := f.service.Verify(context.Background(), token); err != nil {
		t.Fatal(err)
	}
	session, err := f.service.Login(context.Background(), address, f.password)
	if err != nil {
		t.Fatal(err)
	}
	return address, session
}

func TestCustomer_orders_sealedLinkedAndErased(t *testing.T) {
	f := newFixture(t)
	orders, models := f.withOrders(t)
	ctx := context.Background()
	address, session := f.signIn(t)

	placed, err := orders.PlaceOrder(ctx, ordersapp.PlaceOrder{PackageID: "pkg-jp", Email: address, CustomerID: session.CustomerID})
	if err != nil {
		t.Fatal(err)
	}
	guest, err := orders.PlaceOrder(ctx, ordersapp.PlaceOrder{PackageID: "pkg-jp", Email: "guest@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.service.LinkOrder(ctx, session.CustomerID, placed.ID); err != nil {
		t.Fatalf("link again: %v", err)
	}
	linked := 0
	events, _ := f.store.ReadStream(ctx, "customer-"+session.CustomerID, 0)
	for _, event := range events {
		if event.Type == "CustomerOrderLinked" {
			linked++
		}
	}
	if linked != 1 {
		t.Errorf("CustomerOrderLinked appended %d times, want once", linked)
	}
	f.assertNoPlaintext(t, address)
	models.catchUp(t)

	mine, err := f.service.CustomerOrders(ctx, session.CustomerID)
	if err != nil || len(mine) != 1 || mine[0].ID != placed.ID || mine[0].Email != address {
		t.Fatalf("customer orders = %+v, %v; want the signed-in order with its email", mine, err)
	}
	view, err := orderviews.NewQueries(models.rdb.(*redis.Client)).Order(ctx, placed.ID)
	if err != nil || view.Email != "" || view.EmailSealed == "" || view.CustomerID != session.CustomerID {
		t.Errorf("orders read model holds %+v, %v; want only the sealed email", view, err)
	}
	listed, total, err := f.service.ListCustomers(ctx, 0, 10)
	if err != nil || total != 1 || listed[0].Email != address || listed[0].OrderCount != 1 || !listed[0].Verified {
		t.Fatalf("customer list = %+v (%d), %v", listed, total, err)
	}

	if _, err := f.service.Erase(ctx, session.CustomerID); err != nil {
		t.Fatal(err)
	}
	listed, _, err = f.service.ListCustomers(ctx, 0, 10)
	if err != nil || listed[0].Email != customersapp.ErasedEmail || !listed[0].Erased {
		t.Errorf("list right after erasure = %+v, %v; want erased before the read model catches up", listed, err)
	}
	models.catchUp(t)
	view, err = orderviews.NewQueries(models.rdb.(*redis.Client)).Order(ctx, placed.ID)
	if err != nil || view.Email != orderviews.ErasedEmail || view.EmailSealed != "" {
		t.Errorf("erased customer's order = %+v, %v; want email erased and no sealed copy", view, err)
	}
	guestView, err := orderviews.NewQueries(models.rdb.(*redis.Client)).Order(ctx, guest.ID)
	if err != nil || guestView.Email != "" || guestView.GuestID == "" {
		t.Fatalf("guest order = %+v, %v; want its email sealed with a guest key", guestView, err)
	}
	if email, err := f.service.OpenOrderEmail(ctx, guestView.GuestID, guest.ID, guestView.EmailSealed); err != nil || email != "guest@example.org" {
		t.Errorf("guest order email = %q, %v; erasing a customer must not touch it", email, err)
	}
	if email, err := f.service.OpenOrderEmail(ctx, session.CustomerID, placed.ID, "anything"); err != nil || email != customersapp.ErasedEmail {
		t.Errorf("open after erasure = %q, %v", email, err)
	}
	if _, err := orders.PlaceOrder(ctx, ordersapp.PlaceOrder{PackageID: "pkg-jp", Email: address, CustomerID: session.CustomerID}); err == nil {
		t.Error("an erased customer placed an order")
	}
}

func TestCustomer_SessionCustomer(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, session := f.signIn(t)

	for name, token := range map[string]string{"empty": "", "unknown": "no-such-session"} {
		if id, err := f.service.SessionCustomer(ctx, token, session.CSRFToken); err != nil || id != "" {
			t.Errorf("%s session: %q, %v; want a guest", name, id, err)
		}
	}
	_, err := f.service.SessionCustomer(ctx, session.Token, "wrong")
	if appErr, ok := apperr.As(err); !ok || appErr.Code != "csrf_token_invalid" {
		t.Errorf("wrong CSRF token: %v, want csrf_token_invalid", err)
	}
	if id, err := f.service.SessionCustomer(ctx, session.Token, session.CSRFToken); err != nil || id != session.CustomerID {
		t.Errorf("valid session: %q, %v", id, err)
	}
}

func TestCustomer_OpenOrderEmail_boundToOrder(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	address, session := f.signIn(t)
	sealed, err := f.service.SealOrderEmail(ctx, session.CustomerID, "11111111-1111-4111-8111-111111111111", address)
	if err != nil || strings.Contains(sealed, address) {
		t.Fatalf("seal: %q, %v", sealed, err)
	}
	if email, err := f.service.OpenOrderEmail(ctx, session.CustomerID, "11111111-1111-4111-8111-111111111111", sealed); err != nil || email != address {
		t.Errorf("open: %q, %v", email, err)
	}
	if _, err := f.service.OpenOrderEmail(ctx, session.CustomerID, "22222222-2222-4222-8222-222222222222", sealed); err == nil {
		t.Error("the sealed email of one order opened as another order's")
	}
}

func TestCustomer_Login_throttled(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	address, _ := f.signIn(t)
	for attempt := 0; attempt < customersapp.LoginLimits.PerClient; attempt++ {
		_, _ = f.service.LoginFrom(ctx, address, "wrong password!", "10.1.1.1")
	}
	_, err := f.service.LoginFrom(ctx, address, f.password, "10.1.1.1")
	if appErr, ok := apperr.As(err); !ok || appErr.Code != "too_many_attempts" {
		t.Errorf("sign-in after %d failures: %v, want too_many_attempts", customersapp.LoginLimits.PerClient, err)
	}
	if _, err := f.service.LoginFrom(ctx, address, f.password, "10.1.1.2"); err != nil {
		t.Errorf("another address: %v, want signed in", err)
	}
}
