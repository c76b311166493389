package domain

import (
	"errors"
	"testing"
)

// TestOrder_transitionMatrix runs every command against an order in every
// status: each command either succeeds or fails with a TransitionError, as
// the table lists, so that no transition is allowed by accident.
func TestOrder_transitionMatrix(t *testing.T) {
	histories := map[Status][]typedEvent{
		StatusPendingPayment: {placed(t, 1)},
		StatusPaid:           {placed(t, 1), paidEvent("pay-1")},
		StatusProvisioning:   {placed(t, 1), paidEvent("pay-1"), startedEvent},
		StatusIssued:         {placed(t, 1), paidEvent("pay-1"), startedEvent, issuedEvent},
		StatusFailed:         {placed(t, 1), paidEvent("pay-1"), startedEvent, failedEvent},
		StatusCancelled:      {placed(t, 1), cancelledEvent()},
		StatusRefunded:       {placed(t, 1), paidEvent("pay-1"), refundedEvent("4.50")},
	}
	commands := map[string]func(*Order) error{
		"pay": func(o *Order) error {
			_, err := o.Pay("test", "pay-2", usd("4.50"), testTime)
			return err
		},
		"start provisioning": func(o *Order) error {
			_, err := o.StartProvisioning(DriverStub, testTime)
			return err
		},
		"issue": func(o *Order) error {
			_, err := o.Issue([]ESIM{demoESIM}, testTime)
			return err
		},
		"fail": func(o *Order) error {
			_, err := o.Fail("out of stock", testTime)
			return err
		},
		"retry provisioning": func(o *Order) error {
			_, err := o.RetryProvisioning(DriverStub, testTime)
			return err
		},
		"cancel": func(o *Order) error {
			_, err := o.Cancel(testTime)
			return err
		},
		"refund": func(o *Order) error {
			_, err := o.Refund("re-matrix", usd("1.00"), testTime)
			return err
		},
	}
	allowed := map[string][]Status{
		"pay":                {StatusPendingPayment},
		"start provisioning": {StatusPaid},
		"issue":              {StatusProvisioning},
		"fail":               {StatusPaid, StatusProvisioning},
		"retry provisioning": {StatusFailed},
		"cancel":             {StatusPendingPayment},
		"refund":             {StatusPaid, StatusProvisioning, StatusIssued, StatusFailed},
	}
	for name, command := range commands {
		for status, history := range histories {
			order := given(t, history...)
			if order.Status() != status {
				t.Fatalf("history for %s built an order that is %s", status, order.Status())
			}
			err := command(order)
			want := contains(allowed[name], status)
			var transition *TransitionError
			switch {
			case want && err != nil:
				t.Errorf("%s a %s order: %v, want allowed", name, status, err)
			case !want && err == nil:
				t.Errorf("%s a %s order succeeded, want a transition error", name, status)
			case !want && !errors.As(err, &transition):
				t.Errorf("%s a %s order: %v, want a TransitionError", name, status, err)
			}
		}
	}
}

func contains(statuses []Status, status Status) bool {
	for _, candidate := range statuses {
		if candidate == status {
			return true
		}
	}
	return false
}
