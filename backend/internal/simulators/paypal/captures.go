package paypal

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"esimscan/backend/money"
)

// Capture statuses of Payments v2.
const (
	CaptureCompleted          = "COMPLETED"
	CapturePartiallyRefunded  = "PARTIALLY_REFUNDED"
	CaptureRefunded           = "REFUNDED"
	refundCompleted           = "COMPLETED"
	issueOrderNotApproved     = "ORDER_NOT_APPROVED"
	issueOrderAlreadyCaptured = "ORDER_ALREADY_CAPTURED"
	issueInstrumentDeclined   = "INSTRUMENT_DECLINED"
)

type capture struct {
	ID                string             `json:"id"`
	Status            string             `json:"status"`
	Amount            *amount            `json:"amount"`
	CustomID          string             `json:"custom_id,omitempty"`
	FinalCapture      bool               `json:"final_capture"`
	SupplementaryData *supplementaryData `json:"supplementary_data"`
	CreateTime        string             `json:"create_time"`
	Links             []link             `json:"links"`

	refunded money.Amount
	refunds  []*refund
}

type supplementaryData struct {
	RelatedIDs struct {
		OrderID string `json:"order_id"`
	} `json:"related_ids"`
}

type refund struct {
	ID         string  `json:"id"`
	Status     string  `json:"status"`
	Amount     *amount `json:"amount"`
	CustomID   string  `json:"custom_id,omitempty"`
	CreateTime string  `json:"create_time"`
	Links      []link  `json:"links"`
}

// serveCapture captures an approved order in full. An order captured
// before answers 422 ORDER_ALREADY_CAPTURED, as PayPal does for a request
// with a new PayPal-Request-Id.
func (s *Server) serveCapture(w http.ResponseWriter, r *http.Request) {
	root := "http://" + r.Host
	s.mu.Lock()
	o, ok := s.orders[r.PathValue("id")]
	var status string
	if ok {
		status = o.Status
	}
	switch {
	case !ok:
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "The specified resource does not exist.",
			errorDetail{Field: "order_id", Issue: "INVALID_RESOURCE_ID", Description: "Specified resource ID does not exist."})
		return
	case status == StatusCreated:
		s.mu.Unlock()
		writeUnprocessable(w, issueOrderNotApproved, "Payer has not yet approved the Order for payment.")
		return
	case status == StatusCompleted:
		s.mu.Unlock()
		writeUnprocessable(w, issueOrderAlreadyCaptured, "Order already captured.")
		return
	case o.decline:
		s.mu.Unlock()
		writeUnprocessable(w, issueInstrumentDeclined, "The instrument presented was either declined by the processor or bank, or it can't be used for this payment.")
		return
	}

	unit := &o.PurchaseUnits[0]
	c := &capture{
		ID:           s.nextID("SIMC"),
		Status:       CaptureCompleted,
		Amount:       unit.Amount,
		CustomID:     unit.CustomID,
		FinalCapture: true,
		CreateTime:   time.Now().UTC().Format(time.RFC3339),
	}
	c.SupplementaryData = &supplementaryData{}
	c.SupplementaryData.RelatedIDs.OrderID = o.ID
	c.Links = []link{
		{Href: root + PathCaptures + "/" + c.ID, Rel: "self", Method: "GET"},
		{Href: root + PathCaptures + "/" + c.ID + "/refund", Rel: "refund", Method: "POST"},
		{Href: root + PathOrders + "/" + o.ID, Rel: "up", Method: "GET"},
	}
	unit.Payments = &payments{Captures: []*capture{c}}
	o.Status = StatusCompleted
	s.captures[c.ID] = c
	body := s.marshalLocked(o)
	s.mu.Unlock()
	writeRaw(w, http.StatusCreated, body)
}

// refundRequest is the body of a capture refund. CustomID is the caller's
// own id of the refund, which PayPal copies to the refund resource; a
// refund made in PayPal's dashboard has none.
type refundRequest struct {
	Amount   *amount `json:"amount"`
	CustomID string  `json:"custom_id,omitempty"`
}

// serveRefund refunds a capture in full (no amount) or in part.
func (s *Server) serveRefund(w http.ResponseWriter, r *http.Request) {
	var req refundRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		writeInvalidRequest(w, "/", "MALFORMED_REQUEST_JSON", "The request JSON is not well formed.")
		return
	}
	s.refund(w, r, req)
}

// refund refunds the capture named in the request path by req.Amount, or
// in full, for the API and for the dashboard test control.
func (s *Server) refund(w http.ResponseWriter, r *http.Request, req refundRequest) {
	if req.Amount != nil {
		if field, issue := checkAmount(req.Amount); issue != "" {
			writeInvalidRequest(w, "/amount/"+field, issue,
				"the amount must be positive with exactly the currency's decimal digits")
			return
		}
	}

	root := "http://" + r.Host
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.captures[r.PathValue("id")]
	if !ok {
		writeCaptureNotFound(w)
		return
	}
	captured, _ := money.ParseAmount(c.Amount.Value)
	remaining := captured - c.refunded
	if remaining <= 0 {
		writeUnprocessable(w, "CAPTURE_FULLY_REFUNDED", "The capture has already been fully refunded.")
		return
	}
	refundAmount := remaining
	if req.Amount != nil {
		if req.Amount.CurrencyCode != c.Amount.CurrencyCode {
			writeUnprocessable(w, "REFUND_CURRENCY_MISMATCH", "Refund must be in the same currency as the capture.")
			return
		}
		refundAmount, _ = money.ParseAmount(req.Amount.Value)
		if refundAmount > remaining {
			writeUnprocessable(w, "REFUND_AMOUNT_EXCEEDED", "The refund amount must be less than or equal to the capture amount that has not yet been refunded.")
			return
		}
	}

	digits := money.MinorUnitDigits(c.Amount.CurrencyCode)
	rf := &refund{
		ID:         s.nextID("SIMR"),
		Status:     refundCompleted,
		Amount:     &amount{CurrencyCode: c.Amount.CurrencyCode, Value: refundAmount.Format(digits)},
		CustomID:   req.CustomID,
		CreateTime: time.Now().UTC().Format(time.RFC3339),
	}
	rf.Links = []link{
		{Href: root + "/v2/payments/refunds/" + rf.ID, Rel: "self", Method: "GET"},
		{Href: root + PathCaptures + "/" + c.ID, Rel: "up", Method: "GET"},
	}
	c.refunded += refundAmount
	c.refunds = append(c.refunds, rf)
	c.Status = CapturePartiallyRefunded
	if c.refunded == captured {
		c.Status = CaptureRefunded
	}
	writeRaw(w, http.StatusCreated, s.marshalLocked(rf))
}

// serveGetCapture returns a capture with its custom_id, as
// GET /v2/payments/captures/{id} does.
func (s *Server) serveGetCapture(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	c, ok := s.captures[r.PathValue("id")]
	var body []byte
	if ok {
		body = s.marshalLocked(c)
	}
	s.mu.Unlock()
	if !ok {
		writeCaptureNotFound(w)
		return
	}
	writeRaw(w, http.StatusOK, body)
}

func writeCaptureNotFound(w http.ResponseWriter) {
	writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "The specified resource does not exist.",
		errorDetail{Field: "capture_id", Issue: "INVALID_RESOURCE_ID", Description: "Specified resource ID does not exist."})
}

// CaptureStatus returns the status of the capture with id, such as
// PARTIALLY_REFUNDED, and the amount refunded so far.
func (s *Server) CaptureStatus(id string) (status string, refunded string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.captures[id]
	if !ok {
		return "", "", false
	}
	return c.Status, c.refunded.Format(money.MinorUnitDigits(c.Amount.CurrencyCode)), true
}
