package app

import (
	"strings"
	"testing"

	"esimscan/backend/internal/email/domain"
	"esimscan/backend/money"
)

func TestESIMMessage_demoAndReceipt(t *testing.T) {
	delivery := domain.Delivery{
		OrderID: "order-1", Email: "buyer@example.com", PackageName: "Japan 3 GB",
		ESIMs: []domain.ESIM{
			{ICCID: "8999000000000000001", LPA: "LPA:1$demo.example$A", SMDPAddress: "demo.example", ActivationCode: "A", Demo: true},
			{ICCID: "8999000000000000002", LPA: "LPA:1$demo.example$B", SMDPAddress: "demo.example", ActivationCode: "B", Demo: true},
		},
		Receipt: domain.Receipt{
			Quantity: 2, UnitPrice: money.New(1500*money.Scale, "JPY"), Total: money.New(3000*money.Scale, "JPY"),
		},
	}
	msg, err := esimMessage(delivery, "Tokyo SIMs")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(msg.Subject, "[DEMO] ") {
		t.Errorf("subject %q does not say the eSIMs are demos", msg.Subject)
	}
	for _, want := range []string{"DEMO:", "eSIM 1 (demo)", "2 x Japan 3 GB at 1500 JPY", "Total: 3000 JPY"} {
		if !strings.Contains(msg.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, msg.Text)
		}
	}
	if strings.Contains(msg.Text, "Paid:") {
		t.Error("text shows a payment for an order without OrderPaid")
	}
	if !strings.Contains(msg.HTML, "<strong>DEMO:</strong>") || !strings.Contains(msg.HTML, "3000 JPY") {
		t.Error("html part lacks the demo notice or the total")
	}
}

func TestESIMMessage_realESIMsCarryNoDemoNotice(t *testing.T) {
	delivery := domain.Delivery{
		OrderID: "order-2", Email: "buyer@example.com", PackageName: "Spain 5 GB",
		ESIMs: []domain.ESIM{{ICCID: "8934000000000000001", LPA: "LPA:1$smdp.example$C", SMDPAddress: "smdp.example", ActivationCode: "C"}},
		Receipt: domain.Receipt{
			Quantity: 1, UnitPrice: money.New(9_990_000, "EUR"), Total: money.New(9_990_000, "EUR"), Gateway: "manual",
		},
	}
	msg, err := esimMessage(delivery, "Shop")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(msg.Subject, "DEMO") || strings.Contains(msg.Text, "DEMO") {
		t.Errorf("a real eSIM email says DEMO: %q", msg.Subject)
	}
	if !strings.Contains(msg.Text, "by Bank transfer") || !strings.Contains(msg.Text, "Total: 9.99 EUR") {
		t.Errorf("receipt lines missing:\n%s", msg.Text)
	}
}
