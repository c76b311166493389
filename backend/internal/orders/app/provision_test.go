package app

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"esimscan/backend/internal/orders/domain"
)

var (
	demoICCIDPattern = regexp.MustCompile(`^8999[0-9]{15}$`)
	demoLPAPattern   = regexp.MustCompile(`^LPA:1\$demo\.esimscan\.invalid\$DEMO-[0-9a-f]{16}$`)
)

func (f *fixture) countAll(eventType string) int {
	count := 0
	for _, event := range f.store.All() {
		if event.Type == eventType {
			count++
		}
	}
	return count
}

func (f *fixture) orderStatus(t *testing.T, orderID string) domain.Status {
	t.Helper()
	loaded, err := f.service.loadOrder(context.Background(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	return loaded.order.Status()
}

func TestProvision_stubIssuesDemoESIMs(t *testing.T) {
	f := newFixture(t, withDriver(domain.DriverStub))
	running := startReactor(t, f.store, f.service)
	placed, err := f.service.PlaceOrder(context.Background(), PlaceOrder{PackageID: japanQuote().PackageID, Email: "a@example.com", Quantity: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.service.PayWithTestGateway(context.Background(), placed.ID, placed.AccessToken); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the order to be issued", func() bool { return countType(f.typesOf(t, placed.ID), domain.EventESIMIssued) == 1 })
	running.waitCaughtUp(t)

	want := []string{domain.EventOrderPlaced, domain.EventOrderPaid, domain.EventProvisioningStarted, domain.EventESIMIssued}
	if got := f.typesOf(t, placed.ID); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("events = %v, want %v", got, want)
	}
	var started domain.ProvisioningStarted
	f.lastEvent(t, placed.ID, domain.EventProvisioningStarted, &started)
	if started.Driver != domain.DriverStub {
		t.Errorf("driver = %q, want stub", started.Driver)
	}
	var issued domain.ESIMIssued
	f.lastEvent(t, placed.ID, domain.EventESIMIssued, &issued)
	if len(issued.ESIMs) != 2 {
		t.Fatalf("%d eSIMs, want 2", len(issued.ESIMs))
	}
	for _, esim := range issued.ESIMs {
		if !demoICCIDPattern.MatchString(esim.ICCID) {
			t.Errorf("ICCID %q is not 19 digits starting 8999", esim.ICCID)
		}
		if !demoLPAPattern.MatchString(esim.LPA) {
			t.Errorf("LPA %q is not a demo LPA", esim.LPA)
		}
		if !esim.Demo || esim.SMDPAddress != "demo.esimscan.invalid" || !strings.HasSuffix(esim.LPA, "$"+esim.ActivationCode) {
			t.Errorf("eSIM = %+v", esim)
		}
	}
	if issued.ESIMs[0].ICCID == issued.ESIMs[1].ICCID {
		t.Error("two demo eSIMs share an ICCID")
	}
	events := f.store.All()
	last := events[len(events)-1]
	if last.Metadata.ActorID != "system" || last.Metadata.CausationID == "" {
		t.Errorf("metadata = %+v, want actor system and a causation id", last.Metadata)
	}
}

func TestProvision_manualWaitsForAdmin(t *testing.T) {
	f := newFixture(t, withDriver(domain.DriverManual))
	running := startReactor(t, f.store, f.service)
	placed := f.placeAndPay(t)
	eventually(t, "provisioning to start", func() bool {
		return countType(f.typesOf(t, placed.ID), domain.EventProvisioningStarted) == 1
	})
	running.waitCaughtUp(t)
	if status := f.orderStatus(t, placed.ID); status != domain.StatusProvisioning {
		t.Errorf("status = %s, want provisioning", status)
	}
	if _, err := f.service.FulfilManually(adminContext(), FulfilOrder{OrderID: placed.ID, ICCID: manualICCID, LPA: manualLPA}); err != nil {
		t.Fatal(err)
	}
	if status := f.orderStatus(t, placed.ID); status != domain.StatusIssued {
		t.Errorf("status = %s, want issued", status)
	}
}

func TestProvision_liveStaysInProvisioning(t *testing.T) {
	f := newFixture(t, withDriver(domain.DriverLive))
	running := startReactor(t, f.store, f.service)
	first, second := f.placeAndPay(t), f.placeAndPay(t)
	eventually(t, "provisioning to start", func() bool {
		return f.countAll(domain.EventProvisioningStarted) == 2
	})
	running.waitCaughtUp(t)
	for _, placed := range []PlacedOrder{first, second} {
		if status := f.orderStatus(t, placed.ID); status != domain.StatusProvisioning {
			t.Errorf("status = %s, want provisioning", status)
		}
	}
	if n := f.countAll(domain.EventESIMIssued); n != 0 {
		t.Errorf("%d ESIMIssued events, want none", n)
	}
}

func TestProvision_pendingOrderIsLeftAlone(t *testing.T) {
	f := newFixture(t, withDriver(domain.DriverStub))
	running := startReactor(t, f.store, f.service)
	pending := f.place(t)
	paid := f.placeAndPay(t)
	eventually(t, "the paid order to be issued", func() bool { return f.orderStatus(t, paid.ID) == domain.StatusIssued })
	running.waitCaughtUp(t)
	if status := f.orderStatus(t, pending.ID); status != domain.StatusPendingPayment {
		t.Errorf("unpaid order status = %s, want pending_payment", status)
	}
}

func TestProvision_restartAfterPaymentIssuesOnce(t *testing.T) {
	f := newFixture(t, withDriver(domain.DriverStub))
	// The process stopped right after the payment: no reaction ran.
	placed := f.placeAndPay(t)

	first := startReactor(t, f.store, f.service)
	eventually(t, "the order to be issued", func() bool { return f.orderStatus(t, placed.ID) == domain.StatusIssued })
	first.waitCaughtUp(t)
	first.stop()

	// The next start replays the whole log on the same store.
	restarted := newService(t, f.store, f.pricing, withDriver(domain.DriverStub))
	second := startReactor(t, f.store, restarted)
	second.waitCaughtUp(t)
	second.stop()

	types := f.typesOf(t, placed.ID)
	if n := countType(types, domain.EventProvisioningStarted); n != 1 {
		t.Errorf("%d ProvisioningStarted events, want 1", n)
	}
	if n := countType(types, domain.EventESIMIssued); n != 1 {
		t.Errorf("%d ESIMIssued events, want 1", n)
	}
}

func TestProvision_restartAfterProvisioningStartedIssuesOnce(t *testing.T) {
	f := newFixture(t, withDriver(domain.DriverStub))
	placed := f.placeAndPay(t)
	// The process stopped after ProvisioningStarted, before the driver ran.
	if err := f.service.startProvisioning(context.Background(), placed.ID); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		running := startReactor(t, f.store, newService(t, f.store, f.pricing, withDriver(domain.DriverStub)))
		eventually(t, "the order to be issued", func() bool { return f.orderStatus(t, placed.ID) == domain.StatusIssued })
		running.waitCaughtUp(t)
		running.stop()
	}
	types := f.typesOf(t, placed.ID)
	if countType(types, domain.EventProvisioningStarted) != 1 || countType(types, domain.EventESIMIssued) != 1 {
		t.Errorf("events = %v, want one ProvisioningStarted and one ESIMIssued", types)
	}
}

func TestProvision_twoProcessesIssueOnce(t *testing.T) {
	f := newFixture(t, withDriver(domain.DriverStub))
	var orders []PlacedOrder
	for range 5 {
		orders = append(orders, f.placeAndPay(t))
	}
	first := startReactor(t, f.store, f.service)
	second := startReactor(t, f.store, newService(t, f.store, f.pricing, withDriver(domain.DriverStub)))
	for _, placed := range orders {
		eventually(t, "the order to be issued", func() bool { return f.orderStatus(t, placed.ID) == domain.StatusIssued })
	}
	first.waitCaughtUp(t)
	second.waitCaughtUp(t)
	for _, placed := range orders {
		types := f.typesOf(t, placed.ID)
		if countType(types, domain.EventProvisioningStarted) != 1 || countType(types, domain.EventESIMIssued) != 1 {
			t.Errorf("order %s events = %v, want one ProvisioningStarted and one ESIMIssued", placed.ID, types)
		}
	}
}

func TestProvision_adminFulfilmentWinsOverStub(t *testing.T) {
	f := newFixture(t, withDriver(domain.DriverStub))
	placed := f.placeAndPay(t)
	if _, err := f.service.FulfilManually(adminContext(), FulfilOrder{OrderID: placed.ID, ICCID: manualICCID, LPA: manualLPA}); err != nil {
		t.Fatal(err)
	}
	running := startReactor(t, f.store, f.service)
	running.waitCaughtUp(t)
	var issued domain.ESIMIssued
	f.lastEvent(t, placed.ID, domain.EventESIMIssued, &issued)
	if n := countType(f.typesOf(t, placed.ID), domain.EventESIMIssued); n != 1 || issued.ESIMs[0].ICCID != manualICCID {
		t.Errorf("%d ESIMIssued events, first ICCID %s; want only the admin's", n, issued.ESIMs[0].ICCID)
	}
}

func TestProvision_handlerRejectsUndecodableEvent(t *testing.T) {
	f := newFixture(t, withDriver(domain.DriverStub))
	bad := json.RawMessage(`{"order_id": 5}`)
	err := f.service.Reactions()[0].Handle(context.Background(), recordedOf(domain.EventOrderPaid, bad))
	if err == nil {
		t.Error("Handle succeeded on an undecodable event, want an error")
	}
}
