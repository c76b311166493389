package app

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/providers/adapters"
)

// topUpClient is a fakeClient that sells one top-up package per eSIM and
// records the top-ups bought.
type topUpClient struct {
	*fakeClient
	mu      sync.Mutex
	listed  []string // ICCIDs listed
	topUps  []adapters.TopUpRequest
	failing error
}

const topUpPackageID = "moshi-moshi-7days-1gb-topup"

func (c *topUpClient) ListTopUps(ctx context.Context, iccid string) ([]adapters.Package, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listed = append(c.listed, iccid)
	return []adapters.Package{{
		ProviderPackageID: topUpPackageID,
		Name:              "Japan 1 GB top-up",
		DataMB:            1024,
		ValidityDays:      7,
		Wholesale:         usd("3.00"),
	}}, nil
}

func (c *topUpClient) TopUp(ctx context.Context, req adapters.TopUpRequest) (adapters.TopUpResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failing != nil {
		return adapters.TopUpResult{}, c.failing
	}
	c.topUps = append(c.topUps, req)
	return adapters.TopUpResult{ProviderReference: "topup-" + req.Reference[:8], ICCID: req.ICCID}, nil
}

func (c *topUpClient) requests() []adapters.TopUpRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]adapters.TopUpRequest(nil), c.topUps...)
}

// anyClientProviders hands out one adapters.Client for every slug.
type anyClientProviders struct{ client adapters.Client }

func (p anyClientProviders) ClientFor(ctx context.Context, slug string) (adapters.Client, error) {
	return p.client, nil
}

func withProviderClient(client adapters.Client) option {
	return func(d *Deps) { d.Providers = anyClientProviders{client: client} }
}

// marginSet is the providers context's ProviderMarginSet, as the log holds it.
type marginSet struct {
	Slug       string  `json:"slug"`
	OldPercent *string `json:"old_percent"`
	NewPercent string  `json:"new_percent"`
}

func (marginSet) EventType() string { return "ProviderMarginSet" }

func (f *fixture) setMargin(t *testing.T, slug, percent string) {
	t.Helper()
	repo := &esrepo.Repository{Store: f.store}
	if _, err := repo.Append(context.Background(), "provider-"+slug, eventstore.NoStream(),
		marginSet{Slug: slug, NewPercent: "10"}, marginSet{Slug: slug, NewPercent: percent}); err != nil {
		t.Fatal(err)
	}
}

// issuedOrder places, pays and issues an order with one eSIM by hand.
func (f *fixture) issuedOrder(t *testing.T) PlacedOrder {
	t.Helper()
	placed := f.placeAndPay(t)
	_, err := f.service.FulfilManually(context.Background(), FulfilOrder{
		OrderID: placed.ID, ICCID: liveESIM.ICCID, LPA: liveESIM.LPA,
	})
	if err != nil {
		t.Fatalf("FulfilManually: %v", err)
	}
	return placed
}

func TestTopUp_listPricesWithProviderMargin(t *testing.T) {
	client := &topUpClient{fakeClient: &fakeClient{}}
	f := newFixture(t, withProviderClient(client))
	f.setMargin(t, "airalo", "20")
	parent := f.issuedOrder(t)

	topUps, err := f.service.ListTopUps(context.Background(), parent.ID, Access{Token: parent.AccessToken}, "")

	if err != nil {
		t.Fatalf("ListTopUps: %v", err)
	}
	if topUps.Target != (domain.TopUpOf{OrderID: parent.ID, ICCID: liveESIM.ICCID}) {
		t.Errorf("target = %+v", topUps.Target)
	}
	if len(topUps.Options) != 1 || topUps.Options[0].Price != usd("3.60") {
		t.Fatalf("options = %+v, want one at 3.60 USD (3.00 + 20 %%)", topUps.Options)
	}
	if client.listed[0] != liveESIM.ICCID {
		t.Errorf("listed ICCID %s, want %s", client.listed[0], liveESIM.ICCID)
	}
}

func TestTopUp_placeFixesPriceAndLinksESIM(t *testing.T) {
	client := &topUpClient{fakeClient: &fakeClient{}}
	f := newFixture(t, withProviderClient(client))
	f.setMargin(t, "airalo", "20")
	parent := f.issuedOrder(t)

	placed, err := f.service.PlaceTopUp(context.Background(), PlaceTopUp{
		OrderID: parent.ID, AccessToken: parent.AccessToken, PackageID: topUpPackageID,
	})

	if err != nil {
		t.Fatalf("PlaceTopUp: %v", err)
	}
	if placed.Total != usd("3.60") || placed.AccessToken == "" || placed.AccessToken == parent.AccessToken {
		t.Errorf("placed = %+v, want total 3.60 USD and a new token", placed)
	}
	var event domain.OrderPlaced
	f.lastEvent(t, placed.ID, domain.EventOrderPlaced, &event)
	if event.TopUpOf == nil || *event.TopUpOf != (domain.TopUpOf{OrderID: parent.ID, ICCID: liveESIM.ICCID}) {
		t.Errorf("topup_of = %+v", event.TopUpOf)
	}
	if event.Email != "buyer@example.com" || event.Package.ProviderPackageID != topUpPackageID || event.Package.Provider != "airalo" {
		t.Errorf("OrderPlaced = %+v", event)
	}
}

func TestTopUp_refused(t *testing.T) {
	plain := &fakeClient{}
	topUps := &topUpClient{fakeClient: &fakeClient{}}
	cases := []struct {
		name   string
		client adapters.Client
		issue  bool
		token  string
		pkg    string
		kind   apperr.Kind
		code   string
		field  string
	}{
		{"provider without top-ups", plain, true, "", topUpPackageID, apperr.KindConflict, domain.CodeTopUpNotSupported, ""},
		{"order not issued", topUps, false, "", topUpPackageID, apperr.KindConflict, domain.CodeTopUpNotSupported, ""},
		{"wrong token", topUps, true, "wrong", topUpPackageID, apperr.KindNotFound, "order_not_found", ""},
		{"unknown package", topUps, true, "", "no-such-topup", apperr.KindInvalid, "package_unavailable", "package_id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, withProviderClient(tc.client))
			parent := f.placeAndPay(t)
			if tc.issue {
				parent = f.issuedOrder(t)
			}
			token := parent.AccessToken
			if tc.token != "" {
				token = tc.token
			}

			before := len(f.store.All())

			_, err := f.service.PlaceTopUp(context.Background(), PlaceTopUp{OrderID: parent.ID, AccessToken: token, PackageID: tc.pkg})

			wantAppError(t, err, tc.kind, tc.code, tc.field)
			if after := len(f.store.All()); after != before {
				t.Errorf("%d events appended, want none", after-before)
			}
		})
	}
}

func TestTopUp_stubDriverAppliesAtOnce(t *testing.T) {
	client := &topUpClient{fakeClient: &fakeClient{}}
	f := newFixture(t, withProviderClient(client), withDriver(domain.DriverStub))
	// The parent carries a real eSIM, filled in by hand before the stub
	// driver runs: demo eSIMs cannot be topped up.
	parent := f.issuedOrder(t)
	startReactor(t, f.store, f.service)
	iccid := f.esimsOf(t, parent.ID)[0].ICCID

	placed := f.placeAndPayTopUp(t, parent)
	f.waitStatus(t, placed.ID, domain.StatusIssued)

	want := "OrderPlaced,OrderPaid,ProvisioningStarted,TopUpApplied"
	if got := strings.Join(f.typesOf(t, placed.ID), ","); got != want {
		t.Errorf("events = %s, want %s", got, want)
	}
	var applied domain.TopUpApplied
	f.lastEvent(t, placed.ID, domain.EventTopUpApplied, &applied)
	if applied.ICCID != iccid {
		t.Errorf("applied to %s, want %s", applied.ICCID, iccid)
	}
	if len(client.requests()) != 0 {
		t.Errorf("the stub driver called the provider: %+v", client.requests())
	}
}

func TestTopUp_demoESIMRefused(t *testing.T) {
	client := &topUpClient{fakeClient: &fakeClient{}}
	f := newFixture(t, withProviderClient(client), withDriver(domain.DriverStub))
	startReactor(t, f.store, f.service)
	parent := f.placeAndPay(t)
	f.waitStatus(t, parent.ID, domain.StatusIssued)

	_, err := f.service.ListTopUps(context.Background(), parent.ID, Access{Token: parent.AccessToken}, "")

	if appErr, ok := apperr.As(err); !ok || appErr.Code != domain.CodeTopUpNotSupported {
		t.Errorf("top-ups of a demo eSIM: %v, want %s", err, domain.CodeTopUpNotSupported)
	}
	if len(client.listed) != 0 {
		t.Errorf("the provider was asked about a demo eSIM: %v", client.listed)
	}
}

func TestTopUp_liveDriverTopsUpOnceByOrderID(t *testing.T) {
	client := &topUpClient{fakeClient: &fakeClient{order: issuedAtOnce}}
	f := newFixture(t, withLive(client.fakeClient, time.Minute), withProviderClient(client))
	startReactor(t, f.store, f.service)
	parent := f.placeAndPay(t)
	f.waitStatus(t, parent.ID, domain.StatusIssued)

	placed := f.placeAndPayTopUp(t, parent)
	f.waitStatus(t, placed.ID, domain.StatusIssued)

	want := "OrderPlaced,OrderPaid,ProvisioningStarted,ProviderOrderRequested,TopUpApplied"
	if got := strings.Join(f.typesOf(t, placed.ID), ","); got != want {
		t.Errorf("events = %s, want %s", got, want)
	}
	requests := client.requests()
	if len(requests) != 1 || requests[0].Reference != placed.ID || requests[0].ICCID != liveESIM.ICCID ||
		requests[0].ProviderPackageID != topUpPackageID {
		t.Fatalf("top-ups = %+v, want one for %s on %s", requests, placed.ID, liveESIM.ICCID)
	}
	var applied domain.TopUpApplied
	f.lastEvent(t, placed.ID, domain.EventTopUpApplied, &applied)
	if applied.ProviderReference == "" {
		t.Errorf("TopUpApplied = %+v, want the provider's reference", applied)
	}
	if orders, _ := client.counts(); orders != 1 {
		t.Errorf("%d provider orders, want 1: a top-up buys no new eSIM", orders)
	}
}

func TestTopUp_liveFinalErrorFailsOrder(t *testing.T) {
	client := &topUpClient{fakeClient: &fakeClient{order: issuedAtOnce}}
	f := newFixture(t, withLive(client.fakeClient, time.Minute), withProviderClient(client))
	startReactor(t, f.store, f.service)
	parent := f.placeAndPay(t)
	f.waitStatus(t, parent.ID, domain.StatusIssued)
	client.mu.Lock()
	client.failing = &adapters.Error{Cause: adapters.CauseCredentials, Message: "rejected"}
	client.mu.Unlock()

	placed := f.placeAndPayTopUp(t, parent)

	f.waitStatus(t, placed.ID, domain.StatusFailed)
	if reason := f.failureReason(t, placed.ID); !strings.Contains(reason, "credentials") {
		t.Errorf("failure reason = %q", reason)
	}
}

func (f *fixture) placeAndPayTopUp(t *testing.T, parent PlacedOrder) PlacedOrder {
	t.Helper()
	placed, err := f.service.PlaceTopUp(context.Background(), PlaceTopUp{
		OrderID: parent.ID, AccessToken: parent.AccessToken, PackageID: topUpPackageID,
	})
	if err != nil {
		t.Fatalf("PlaceTopUp: %v", err)
	}
	if _, err := f.service.PayWithTestGateway(context.Background(), placed.ID, placed.AccessToken); err != nil {
		t.Fatalf("PayWithTestGateway: %v", err)
	}
	return placed
}

func (f *fixture) esimsOf(t *testing.T, orderID string) []domain.ESIM {
	t.Helper()
	var issued domain.ESIMIssued
	f.lastEvent(t, orderID, domain.EventESIMIssued, &issued)
	return issued.ESIMs
}
