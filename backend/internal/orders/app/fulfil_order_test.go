package app

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
)

const (
	manualICCID = "89852000000000000011"
	manualLPA   = "LPA:1$smdp.example.com$ACT-CODE-42"
)

func adminContext() context.Context {
	return esrepo.WithActor(context.Background(), "admin-under-test")
}

func TestFulfilManually_paidOrder(t *testing.T) {
	f := newFixture(t)
	placed := f.placeAndPay(t)
	_, err := f.service.FulfilManually(adminContext(), FulfilOrder{OrderID: placed.ID, ICCID: manualICCID, LPA: manualLPA})
	if err != nil {
		t.Fatal(err)
	}
	types := f.typesOf(t, placed.ID)
	want := []string{domain.EventOrderPlaced, domain.EventOrderPaid, domain.EventProvisioningStarted, domain.EventESIMIssued}
	if strings.Join(types, ",") != strings.Join(want, ",") {
		t.Fatalf("events = %v, want %v", types, want)
	}
	var started domain.ProvisioningStarted
	f.lastEvent(t, placed.ID, domain.EventProvisioningStarted, &started)
	if started.Driver != domain.DriverManual {
		t.Errorf("driver = %q, want manual", started.Driver)
	}
	var issued domain.ESIMIssued
	f.lastEvent(t, placed.ID, domain.EventESIMIssued, &issued)
	want0 := domain.ESIM{ICCID: manualICCID, LPA: manualLPA, SMDPAddress: "smdp.example.com", ActivationCode: "ACT-CODE-42"}
	if len(issued.ESIMs) != 1 || issued.ESIMs[0] != want0 {
		t.Errorf("eSIMs = %+v, want %+v", issued.ESIMs, want0)
	}
	for _, event := range f.store.All()[2:] {
		if event.Metadata.ActorID != "admin-under-test" {
			t.Errorf("%s actor = %q, want the admin", event.Type, event.Metadata.ActorID)
		}
	}
}

func TestFulfilManually_provisioningOrderKeepsGivenFields(t *testing.T) {
	f := newFixture(t)
	placed := f.placeAndPay(t)
	if err := f.service.startProvisioning(context.Background(), placed.ID); err != nil {
		t.Fatal(err)
	}
	_, err := f.service.FulfilManually(adminContext(), FulfilOrder{
		OrderID: placed.ID, ICCID: manualICCID, LPA: manualLPA,
		SMDPAddress: "other.example.com", ActivationCode: "OTHER",
	})
	if err != nil {
		t.Fatal(err)
	}
	types := f.typesOf(t, placed.ID)
	if countType(types, domain.EventProvisioningStarted) != 1 || countType(types, domain.EventESIMIssued) != 1 {
		t.Errorf("events = %v, want one ProvisioningStarted and one ESIMIssued", types)
	}
	var issued domain.ESIMIssued
	f.lastEvent(t, placed.ID, domain.EventESIMIssued, &issued)
	if issued.ESIMs[0].SMDPAddress != "other.example.com" || issued.ESIMs[0].ActivationCode != "OTHER" {
		t.Errorf("eSIM = %+v, want the given SM-DP+ address and code", issued.ESIMs[0])
	}
}

func TestFulfilManually_rejectsInvalidFields(t *testing.T) {
	cases := []struct {
		name        string
		iccid, lpa  string
		field, code string
	}{
		{"missing iccid", "", manualLPA, "iccid", "invalid_required"},
		{"letters in iccid", "8985200000000000001X", manualLPA, "iccid", "invalid_numeric"},
		{"short iccid", "89852000000000001", manualLPA, "iccid", "invalid_min"},
		{"long iccid", "89852000000000000000011", manualLPA, "iccid", "invalid_max"},
		{"missing lpa", manualICCID, "", "lpa", "invalid_required"},
		{"lpa without prefix", manualICCID, "smdp.example.com$CODE", "lpa", "invalid_startswith"},
		{"lpa too long", manualICCID, "LPA:1$" + strings.Repeat("a", 507), "lpa", "invalid_max"},
		{"lpa without address", manualICCID, "LPA:1$$CODE", "lpa", "invalid_lpa"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			placed := f.placeAndPay(t)
			_, err := f.service.FulfilManually(adminContext(), FulfilOrder{OrderID: placed.ID, ICCID: c.iccid, LPA: c.lpa})
			wantAppError(t, err, apperr.KindInvalid, c.code, c.field)
			if got := f.typesOf(t, placed.ID); len(got) != 2 {
				t.Errorf("events = %v, want nothing appended", got)
			}
		})
	}
}

func TestFulfilManually_wrongStatus(t *testing.T) {
	f := newFixture(t)
	pending := f.place(t)
	_, err := f.service.FulfilManually(adminContext(), FulfilOrder{OrderID: pending.ID, ICCID: manualICCID, LPA: manualLPA})
	wantAppError(t, err, apperr.KindConflict, domain.CodeNotIssuable, "")

	issued := f.placeAndPay(t)
	if _, err := f.service.FulfilManually(adminContext(), FulfilOrder{OrderID: issued.ID, ICCID: manualICCID, LPA: manualLPA}); err != nil {
		t.Fatal(err)
	}
	_, err = f.service.FulfilManually(adminContext(), FulfilOrder{OrderID: issued.ID, ICCID: manualICCID, LPA: manualLPA})
	wantAppError(t, err, apperr.KindConflict, domain.CodeAlreadyIssued, "")

	failed := f.placeAndPay(t)
	if _, err := f.service.FailOrder(context.Background(), failed.ID, "out of stock"); err != nil {
		t.Fatal(err)
	}
	_, err = f.service.FulfilManually(adminContext(), FulfilOrder{OrderID: failed.ID, ICCID: manualICCID, LPA: manualLPA})
	wantAppError(t, err, apperr.KindConflict, domain.CodeNotIssuable, "")

	_, err = f.service.FulfilManually(adminContext(), FulfilOrder{OrderID: uuid.NewString(), ICCID: manualICCID, LPA: manualLPA})
	wantAppError(t, err, apperr.KindNotFound, "order_not_found", "")
}

func TestFulfilManually_orderOfTwoESIMs(t *testing.T) {
	f := newFixture(t)
	placed, err := f.service.PlaceOrder(context.Background(), PlaceOrder{PackageID: japanQuote().PackageID, Email: "a@example.com", Quantity: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.service.PayWithTestGateway(context.Background(), placed.ID, placed.AccessToken); err != nil {
		t.Fatal(err)
	}
	_, err = f.service.FulfilManually(adminContext(), FulfilOrder{OrderID: placed.ID, ICCID: manualICCID, LPA: manualLPA})
	wantAppError(t, err, apperr.KindConflict, "esim_count_mismatch", "")
	if got := f.typesOf(t, placed.ID); len(got) != 2 {
		t.Errorf("events = %v, want nothing appended", got)
	}
}

func TestFailOrder(t *testing.T) {
	f := newFixture(t)
	placed := f.placeAndPay(t)
	_, err := f.service.FailOrder(context.Background(), placed.ID, "")
	wantAppError(t, err, apperr.KindInvalid, "invalid_required", "reason")
	if _, err := f.service.FailOrder(context.Background(), placed.ID, "provider out of stock"); err != nil {
		t.Fatal(err)
	}
	var failed domain.OrderFailed
	f.lastEvent(t, placed.ID, domain.EventOrderFailed, &failed)
	if failed.Reason != "provider out of stock" {
		t.Errorf("reason = %q", failed.Reason)
	}
	_, err = f.service.FailOrder(context.Background(), placed.ID, "again")
	wantAppError(t, err, apperr.KindConflict, domain.CodeNotFailable, "")

	pending := f.place(t)
	_, err = f.service.FailOrder(context.Background(), pending.ID, "never paid")
	wantAppError(t, err, apperr.KindConflict, domain.CodeNotFailable, "")
}

func TestFulfilManually_iccidOfAnotherOrder(t *testing.T) {
	f := newFixture(t)
	first := f.placeAndPay(t)
	second := f.placeAndPay(t)
	if _, err := f.service.FulfilManually(adminContext(), FulfilOrder{OrderID: first.ID, ICCID: manualICCID, LPA: manualLPA}); err != nil {
		t.Fatal(err)
	}
	_, err := f.service.FulfilManually(adminContext(), FulfilOrder{OrderID: second.ID, ICCID: manualICCID, LPA: manualLPA})
	appErr, ok := apperr.As(err)
	if !ok || appErr.Kind != apperr.KindConflict || appErr.Field != "iccid" {
		t.Fatalf("second delivery of one ICCID: %v, want a conflict naming iccid", err)
	}
	if types := f.typesOf(t, second.ID); len(types) != 2 {
		t.Errorf("second order events = %v, want only placed and paid", types)
	}
}

func TestFulfilManually_wrongStatusKeepsICCIDFree(t *testing.T) {
	f := newFixture(t)
	pending := f.place(t)
	if _, err := f.service.FulfilManually(adminContext(), FulfilOrder{OrderID: pending.ID, ICCID: manualICCID, LPA: manualLPA}); err == nil {
		t.Fatal("fulfilling an unpaid order succeeded")
	}
	paid := f.placeAndPay(t)
	if _, err := f.service.FulfilManually(adminContext(), FulfilOrder{OrderID: paid.ID, ICCID: manualICCID, LPA: manualLPA}); err != nil {
		t.Errorf("the ICCID stayed reserved by a rejected delivery: %v", err)
	}
}
