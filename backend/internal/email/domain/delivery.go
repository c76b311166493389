package domain

import (
	"encoding/json"
	"fmt"
	"time"

	"esimscan/backend/money"
)

// ESIM is an issued eSIM profile as the delivery email shows it, decoded
// from the orders context's ESIMIssued event.
type ESIM struct {
	ICCID          string `json:"iccid"`
	LPA            string `json:"lpa"`
	SMDPAddress    string `json:"smdp_address"`
	ActivationCode string `json:"activation_code"`
	Demo           bool   `json:"demo"`
}

// TopUp is the data a top-up order added to an eSIM of an earlier order.
type TopUp struct {
	ICCID     string
	AppliedAt time.Time
}

// Refund is one refund of the order and whether its notice was sent.
type Refund struct {
	Reference  string
	Amount     money.Money
	RefundedAt time.Time
	Notified   bool
}

// Receipt is what the buyer paid for an order, as the eSIM email shows
// it. Gateway is empty until OrderPaid.
type Receipt struct {
	Quantity         int
	UnitPrice        money.Money
	Total            money.Money
	Gateway          string
	PaymentReference string
	PaidAt           time.Time
}

// Delivery is the eSIM email state of one order, rebuilt from the order's
// stream. Pending is true after ESIMIssued or EmailResendRequested until an
// EmailSent follows. Attempts counts EmailSent and EmailFailed events.
type Delivery struct {
	OrderID     string
	Email       string
	PackageName string
	CustomerID  string
	GuestID     string // the guest whose key sealed the address of a guest order
	EmailSealed string // the address sealed with the customer's or guest's key; Email is then empty
	ESIMs       []ESIM
	Receipt     Receipt
	Refunds     []Refund
	TopUp       *TopUp // set once a top-up order added its data; it has no eSIMs of its own
	Issued      bool
	Pending     bool
	Sent        int
	Attempts    int
}

// Apply folds one event of an order stream into the delivery. Types that do
// not concern delivery are skipped.
func (d *Delivery) Apply(eventType string, data []byte) error {
	switch eventType {
	case "OrderPlaced":
		var event struct {
			OrderID     string `json:"order_id"`
			Email       string `json:"email"`
			CustomerID  string `json:"customer_id"`
			GuestID     string `json:"guest_id"`
			EmailSealed string `json:"email_sealed"`
			Package     struct {
				Name string `json:"name"`
			} `json:"package"`
			Quantity  int         `json:"quantity"`
			UnitPrice money.Money `json:"unit_price"`
			Total     money.Money `json:"total"`
		}
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		d.Receipt.Quantity, d.Receipt.UnitPrice, d.Receipt.Total = event.Quantity, event.UnitPrice, event.Total
		d.OrderID, d.Email, d.PackageName, d.CustomerID = event.OrderID, event.Email, event.Package.Name, event.CustomerID
		d.EmailSealed, d.GuestID = event.EmailSealed, event.GuestID
	case "OrderPaid":
		var event struct {
			Gateway          string    `json:"gateway"`
			PaymentReference string    `json:"payment_reference"`
			PaidAt           time.Time `json:"paid_at"`
		}
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		d.Receipt.Gateway, d.Receipt.PaymentReference, d.Receipt.PaidAt = event.Gateway, event.PaymentReference, event.PaidAt
	case "ESIMIssued":
		var event struct {
			ESIMs []ESIM `json:"esims"`
		}
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		d.ESIMs, d.Issued, d.Pending = event.ESIMs, true, true
	case "TopUpApplied":
		var event struct {
			ICCID     string    `json:"iccid"`
			AppliedAt time.Time `json:"applied_at"`
		}
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		d.TopUp = &TopUp{ICCID: event.ICCID, AppliedAt: event.AppliedAt}
		d.Issued, d.Pending = true, true
	case EventEmailResendRequested:
		d.Pending = d.Issued
	case "OrderRefunded":
		var event struct {
			RefundReference string      `json:"refund_reference"`
			Amount          money.Money `json:"amount"`
			RefundedAt      time.Time   `json:"refunded_at"`
		}
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		d.Refunds = append(d.Refunds, Refund{Reference: event.RefundReference, Amount: event.Amount, RefundedAt: event.RefundedAt})
	case EventEmailSent:
		var event struct {
			Kind            string `json:"kind"`
			RefundReference string `json:"refund_reference"`
		}
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		if event.Kind == KindRefundNotice {
			d.markNotified(event.RefundReference)
			return nil
		}
		d.Pending = false
		d.Sent++
		d.Attempts++
	case EventEmailFailed:
		var event struct {
			Kind    string     `json:"kind"`
			RetryAt *time.Time `json:"retry_at"`
		}
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		if event.Kind == KindRefundNotice {
			return nil
		}
		d.Attempts++
		// A failure with no retry time was the last attempt: only a resend
		// request makes the email pending again, so a restart does not
		// send mail for orders given up on long ago.
		if event.RetryAt == nil {
			d.Pending = false
		}
	}
	return nil
}

func (d *Delivery) markNotified(reference string) {
	for i := range d.Refunds {
		if d.Refunds[i].Reference == reference {
			d.Refunds[i].Notified = true
		}
	}
}

// PendingRefundNotices returns the refunds whose notice was not sent.
func (d *Delivery) PendingRefundNotices() []Refund {
	var pending []Refund
	for _, refund := range d.Refunds {
		if !refund.Notified {
			pending = append(pending, refund)
		}
	}
	return pending
}

func decode(eventType string, data []byte, into any) error {
	if err := json.Unmarshal(data, into); err != nil {
		return fmt.Errorf("decode %s: %w", eventType, err)
	}
	return nil
}
