package domain

import (
	"encoding/json"
	"fmt"
	"time"
)

// ESIM is an issued eSIM profile as the delivery email shows it, decoded
// from the orders context's ESIMIssued event.
type ESIM struct {
	ICCID          string `json:"iccid"`
	LPA            string `json:"lpa"`
	SMDPAddress    string `json:"smdp_address"`
	ActivationCode string `json:"activation_code"`
}

// Delivery is the eSIM email state of one order, rebuilt from the order's
// stream. Pending is true after ESIMIssued or EmailResendRequested until an
// EmailSent follows. Attempts counts EmailSent and EmailFailed events.
type Delivery struct {
	OrderID     string
	Email       string
	PackageName string
	CustomerID  string
	EmailSealed string // a signed-in customer's address, sealed; Email is then empty
	ESIMs       []ESIM
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
			EmailSealed string `json:"email_sealed"`
			Package     struct {
				Name string `json:"name"`
			} `json:"package"`
		}
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		d.OrderID, d.Email, d.PackageName, d.CustomerID = event.OrderID, event.Email, event.Package.Name, event.CustomerID
		d.EmailSealed = event.EmailSealed
	case "ESIMIssued":
		var event struct {
			ESIMs []ESIM `json:"esims"`
		}
		if err := decode(eventType, data, &event); err != nil {
			return err
		}
		d.ESIMs, d.Issued, d.Pending = event.ESIMs, true, true
	case EventEmailResendRequested:
		d.Pending = d.Issued
	case EventEmailSent:
		d.Pending = false
		d.Sent++
		d.Attempts++
	case EventEmailFailed:
		var event struct {
			RetryAt *time.Time `json:"retry_at"`
		}
		if err := decode(eventType, data, &event); err != nil {
			return err
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

func decode(eventType string, data []byte, into any) error {
	if err := json.Unmarshal(data, into); err != nil {
		return fmt.Errorf("decode %s: %w", eventType, err)
	}
	return nil
}
