package domain

import (
	"errors"
	"testing"
)

func topUpPlaced(t *testing.T) OrderPlaced {
	t.Helper()
	event, err := Place(Placement{
		OrderID:         "order-under-test",
		Email:           "buyer@example.com",
		AccessTokenHash: "abc123",
		Package:         Package{ID: "esim-access:TOPUP_P1", Provider: "esim-access", Name: "Japan 1 GB Top-up"},
		UnitPrice:       usd("2.00"),
		Quantity:        1,
		At:              testTime,
		TopUpOf:         &TopUpOf{OrderID: "parent-order", ICCID: "8999000000000000001"},
	})
	if err != nil {
		t.Fatalf("Place: %v", err)
	}
	return event
}

func issuedWith(iccids ...string) ESIMIssued {
	event := ESIMIssued{OrderID: "order-under-test", IssuedAt: testTime}
	for _, iccid := range iccids {
		event.ESIMs = append(event.ESIMs, ESIM{ICCID: iccid, LPA: "LPA:1$smdp$" + iccid})
	}
	return event
}

func TestPlace_topUpNeedsTargetAndOneUnit(t *testing.T) {
	cases := map[string]Placement{
		"no ICCID":  {TopUpOf: &TopUpOf{OrderID: "parent"}, Quantity: 1},
		"no order":  {TopUpOf: &TopUpOf{ICCID: "8999"}, Quantity: 1},
		"two units": {TopUpOf: &TopUpOf{OrderID: "parent", ICCID: "8999"}, Quantity: 2},
	}
	for name, placement := range cases {
		t.Run(name, func(t *testing.T) {
			placement.OrderID, placement.Email, placement.AccessTokenHash = "o", "b@example.com", "h"
			placement.Package, placement.UnitPrice = Package{ID: "p"}, usd("1.00")
			if _, err := Place(placement); !errors.Is(err, ErrInvalidPlacement) {
				t.Fatalf("Place = %v, want ErrInvalidPlacement", err)
			}
		})
	}
}

func TestOrder_TopUpTarget(t *testing.T) {
	one := given(t, placed(t, 1), paidEvent("r"), ProvisioningStarted{Driver: DriverStub}, issuedWith("8999001"))
	two := given(t, placed(t, 2), paidEvent("r2"), ProvisioningStarted{Driver: DriverStub}, issuedWith("8999001", "8999002"))
	pending := given(t, placed(t, 1))
	demoIssued := issuedWith("8999003")
	demoIssued.ESIMs[0].Demo = true
	demo := given(t, placed(t, 1), paidEvent("r4"), ProvisioningStarted{Driver: DriverStub}, demoIssued)
	topUp := given(t, topUpPlaced(t), paidEvent("r3"), ProvisioningStarted{Driver: DriverStub},
		TopUpApplied{OrderID: "order-under-test", ICCID: "8999000000000000001"})

	cases := []struct {
		name  string
		order *Order
		iccid string
		want  TopUpOf
		err   error
	}{
		{"the only eSIM", one, "", TopUpOf{OrderID: "order-under-test", ICCID: "8999001"}, nil},
		{"a named eSIM", two, "8999002", TopUpOf{OrderID: "order-under-test", ICCID: "8999002"}, nil},
		{"several eSIMs, none named", two, "", TopUpOf{}, ErrTopUpNotSupported},
		{"another order's eSIM", one, "8999009", TopUpOf{}, ErrTopUpNotSupported},
		{"not issued", pending, "", TopUpOf{}, ErrTopUpNotSupported},
		{"a demo eSIM", demo, "", TopUpOf{}, ErrDemoTopUp},
		{"a demo eSIM by ICCID", demo, "8999003", TopUpOf{}, ErrDemoTopUp},
		{"a top-up targets its eSIM", topUp, "", TopUpOf{OrderID: "parent-order", ICCID: "8999000000000000001"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.order.TopUpTarget(tc.iccid)
			if !errors.Is(err, tc.err) || got != tc.want {
				t.Fatalf("TopUpTarget(%q) = %v, %v; want %v, %v", tc.iccid, got, err, tc.want, tc.err)
			}
		})
	}
}

func TestOrder_ApplyTopUp(t *testing.T) {
	order := given(t, topUpPlaced(t), paidEvent("r"), ProvisioningStarted{Driver: DriverLive})

	event, err := order.ApplyTopUp("provider-ref", testTime)

	if err != nil {
		t.Fatalf("ApplyTopUp: %v", err)
	}
	want := TopUpApplied{OrderID: "order-under-test", ICCID: "8999000000000000001", ProviderReference: "provider-ref", AppliedAt: testTime}
	if event != want {
		t.Fatalf("event = %+v, want %+v", event, want)
	}
	applied := given(t, topUpPlaced(t), paidEvent("r"), ProvisioningStarted{Driver: DriverLive}, event)
	if applied.Status() != StatusIssued || applied.TopUpApplied().ICCID != want.ICCID {
		t.Fatalf("after TopUpApplied: status %s, applied %+v", applied.Status(), applied.TopUpApplied())
	}
	var transition *TransitionError
	if _, err := applied.ApplyTopUp("again", testTime); !errors.As(err, &transition) || transition.Code != CodeAlreadyIssued {
		t.Fatalf("second ApplyTopUp = %v, want %s", err, CodeAlreadyIssued)
	}
}

func TestOrder_ApplyTopUp_refused(t *testing.T) {
	cases := map[string]*Order{
		"not a top-up": given(t, placed(t, 1), paidEvent("r"), ProvisioningStarted{Driver: DriverLive}),
		"not paid":     given(t, topUpPlaced(t)),
	}
	for name, order := range cases {
		t.Run(name, func(t *testing.T) {
			var transition *TransitionError
			if _, err := order.ApplyTopUp("", testTime); !errors.As(err, &transition) || transition.Code != CodeNotIssuable {
				t.Fatalf("ApplyTopUp = %v, want %s", err, CodeNotIssuable)
			}
		})
	}
}

func TestOrder_Issue_refusesTopUp(t *testing.T) {
	order := given(t, topUpPlaced(t), paidEvent("r"), ProvisioningStarted{Driver: DriverManual})

	_, err := order.Issue([]ESIM{{ICCID: "8999", LPA: "LPA:1$a$b"}}, testTime)

	var transition *TransitionError
	if !errors.As(err, &transition) || transition.Code != CodeNotIssuable {
		t.Fatalf("Issue = %v, want %s", err, CodeNotIssuable)
	}
}
