package domain

// EventICCIDReserved is the event type that ties an eSIM entered by hand to
// one order.
const EventICCIDReserved = "ICCIDReserved"

// ICCIDReserved records that an admin delivered the eSIM with this ICCID to
// an order, so the same eSIM cannot be delivered to a second customer. It is
// the only event of the stream ICCIDStream(iccid), appended with "no stream"
// as the expected revision, which makes the reservation atomic.
type ICCIDReserved struct {
	ICCID   string `json:"iccid"`
	OrderID string `json:"order_id"`
}

func (ICCIDReserved) EventType() string { return EventICCIDReserved }

// ICCIDStream names the reservation stream of an ICCID.
func ICCIDStream(iccid string) string { return "iccid-" + iccid }
