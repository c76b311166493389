package app_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	emailapp "esimscan/backend/internal/email/app"
	"esimscan/backend/internal/email/domain"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/apperr"
)

// erasedBook is an address book whose buyers are all erased, as the
// customers service returns them.
type erasedBook struct{}

func (erasedBook) OpenOrderEmail(context.Context, string, string, string) (string, error) {
	return "erased", nil
}

// issueSealedOrder appends an issued order whose address is sealed for
// customerID, and returns the order id.
func (f *fixture) issueSealedOrder(t *testing.T, customerID string) string {
	t.Helper()
	orderID := uuid.NewString()
	placed := `{"order_id":"` + orderID + `","customer_id":"` + customerID + `","email_sealed":"c2VhbGVk",` +
		`"package":{"name":"Japan 5 GB"},"quantity":1,"unit_price":{"amount":"12.50","currency":"USD"},` +
		`"total":{"amount":"12.50","currency":"USD"}}`
	issued := `{"order_id":"` + orderID + `","esims":[{"iccid":"8981000000000000002","lpa":"LPA:1$smdp.example.com$ACT-2",` +
		`"smdp_address":"smdp.example.com","activation_code":"ACT-2"}]}`
	_, err := f.store.Append(context.Background(), domain.OrderStream(orderID), eventstore.NoStream(),
		eventstore.EventData{Type: "OrderPlaced", Data: []byte(placed)},
		eventstore.EventData{Type: "ESIMIssued", Data: []byte(issued)})
	if err != nil {
		t.Fatal(err)
	}
	return orderID
}

func TestResendOrderEmail_erasedBuyerRejected(t *testing.T) {
	f := newFixture(t, 0)
	f.service.UseAddressBook(erasedBook{})
	orderID := f.issueSealedOrder(t, uuid.NewString())
	head, err := f.store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	_, err = f.service.ResendOrderEmail(context.Background(), orderID)
	appErr, ok := apperr.As(err)
	if !ok || appErr.Kind != apperr.KindConflict || appErr.Code != "buyer_erased" {
		t.Fatalf("resend for an erased buyer: error = %v; want a conflict with code buyer_erased", err)
	}
	if !errors.Is(err, emailapp.ErrBuyerErased) {
		t.Errorf("error %v does not wrap ErrBuyerErased", err)
	}
	after, err := f.store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if after != head {
		t.Errorf("the log moved from position %d to %d; a rejected resend appends nothing", head, after)
	}
}
