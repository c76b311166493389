package domain

import "testing"

func TestOrder_Apply_ignoresProviderOrderRequested(t *testing.T) {
	requested := ProviderOrderRequested{
		OrderID: "order-under-test", Provider: "esim-go", Reference: "order-under-test", RequestedAt: testTime,
	}
	opened := requested
	opened.ProviderOrderID = "customer-1"

	order := given(t, placed(t, 1), paidEvent("ref"), startedEvent, requested, opened)

	if order.Status() != StatusProvisioning {
		t.Errorf("status = %s, want provisioning", order.Status())
	}
	if id := order.ProviderOrder().ProviderOrderID; id != "" {
		t.Errorf("provider order = %q, want none: a request records no provider order", id)
	}
}
