package domain

import (
	"errors"
	"fmt"
	"time"
)

// CodeTopUpNotSupported is the code of ErrTopUpNotSupported, stable for API
// clients.
const CodeTopUpNotSupported = "topup_not_supported"

// ErrTopUpNotSupported reports a top-up of an order that is not issued, or
// of an eSIM the order did not issue.
var ErrTopUpNotSupported = errors.New("this order's eSIM cannot be topped up")

// ErrDemoTopUp reports a top-up of a demo eSIM made by the stub driver,
// which no provider knows. It wraps ErrTopUpNotSupported.
var ErrDemoTopUp = fmt.Errorf("%w: demo eSIMs made by the stub driver work on no network", ErrTopUpNotSupported)

// TopUpOf links a top-up order to the eSIM it adds data to: the order that
// issued the eSIM, and the eSIM's ICCID.
type TopUpOf struct {
	OrderID string `json:"order_id"`
	ICCID   string `json:"iccid"`
}

// TopUpApplied records that a top-up order's package was added to its
// eSIM and closes the order as issued. ProviderReference is the provider's
// id of the top-up, empty for the stub and manual drivers.
type TopUpApplied struct {
	OrderID           string    `json:"order_id"`
	ICCID             string    `json:"iccid"`
	ProviderReference string    `json:"provider_reference,omitempty"`
	AppliedAt         time.Time `json:"applied_at"`
}

// EventType returns the type stored in the log.
func (TopUpApplied) EventType() string { return EventTopUpApplied }

func (o *Order) applyTopUp(data []byte) error {
	var event TopUpApplied
	if err := decode(EventTopUpApplied, data, &event); err != nil {
		return err
	}
	o.status, o.topUpApplied = StatusIssued, event
	return nil
}

// TopUpOf returns the eSIM a top-up order adds data to, or nil for an order
// that buys new eSIMs.
func (o *Order) TopUpOf() *TopUpOf { return o.placed.TopUpOf }

// TopUpApplied returns the order's TopUpApplied, whose ICCID is empty
// until the top-up is applied.
func (o *Order) TopUpApplied() TopUpApplied { return o.topUpApplied }

// TopUpTarget returns the eSIM a new top-up of this order adds data to.
// iccid may be empty when the order issued one eSIM. A top-up of a top-up
// order targets the same eSIM and the order that issued it. It returns
// ErrTopUpNotSupported unless the order is issued and issued that eSIM.
func (o *Order) TopUpTarget(iccid string) (TopUpOf, error) {
	if o.status != StatusIssued {
		return TopUpOf{}, ErrTopUpNotSupported
	}
	if parent := o.placed.TopUpOf; parent != nil {
		if iccid != "" && iccid != parent.ICCID {
			return TopUpOf{}, ErrTopUpNotSupported
		}
		return *parent, nil
	}
	for _, esim := range o.esims {
		if (iccid == "" && len(o.esims) == 1) || (iccid != "" && esim.ICCID == iccid) {
			if esim.Demo {
				return TopUpOf{}, ErrDemoTopUp
			}
			return TopUpOf{OrderID: o.placed.OrderID, ICCID: esim.ICCID}, nil
		}
	}
	return TopUpOf{}, ErrTopUpNotSupported
}

// ApplyTopUp decides that a top-up order in provisioning was applied to its
// eSIM, which makes the order issued. An order that is not a top-up, or not
// in provisioning, returns a TransitionError.
func (o *Order) ApplyTopUp(providerReference string, at time.Time) (TopUpApplied, error) {
	switch {
	case o.placed.TopUpOf == nil:
		return TopUpApplied{}, &TransitionError{Code: CodeNotIssuable, Action: "apply a top-up to", Status: o.status}
	case o.status == StatusIssued:
		return TopUpApplied{}, &TransitionError{Code: CodeAlreadyIssued, Action: "apply a top-up to", Status: o.status}
	case o.status != StatusProvisioning:
		return TopUpApplied{}, &TransitionError{Code: CodeNotIssuable, Action: "apply a top-up to", Status: o.status}
	}
	return TopUpApplied{
		OrderID:           o.placed.OrderID,
		ICCID:             o.placed.TopUpOf.ICCID,
		ProviderReference: providerReference,
		AppliedAt:         at.UTC(),
	}, nil
}
