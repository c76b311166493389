package paypal

import (
	"encoding/json"
	"io"
	"net/http"

	"esimscan/backend/money"
)

// PathControl prefixes the test controls, which PayPal's own API does not
// have. They let a black-box test running the simulator as a separate
// process obtain signed webhook deliveries and read the simulator's
// orders:
//
//	POST /_sim/webhook      {"webhook_id", "event_type", "order_id"?, "capture_id"?}
//	                        → {"headers": {...}, "body": "..."}, a signed delivery
//	GET  /_sim/orders/{id}  an order, its captures and what they refunded
//	POST /_sim/captures/{id}/refund  {"amount"?: {"currency_code", "value"}}
//	                        → the refund, made as in PayPal's dashboard:
//	                        no PayPal-Request-Id and no custom_id
//	POST /_sim/orders/{id}/decline  every later capture of the order
//	                        answers 422 INSTRUMENT_DECLINED
const PathControl = "/_sim/"

// maxControlBody bounds the control request bodies the simulator reads.
const maxControlBody = 1 << 20

// webhookControl is the body of POST /_sim/webhook. OrderID names the
// order of CHECKOUT.ORDER.APPROVED; CaptureID names the capture of
// PAYMENT.CAPTURE.COMPLETED and PAYMENT.CAPTURE.REFUNDED (its newest
// refund).
type webhookControl struct {
	WebhookID string `json:"webhook_id"`
	EventType string `json:"event_type"`
	OrderID   string `json:"order_id"`
	CaptureID string `json:"capture_id"`
}

// deliveryJSON is a Delivery as POST /_sim/webhook returns it. Body is
// the exact bytes to post, as a JSON string.
type deliveryJSON struct {
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// orderControlView is an order as GET /_sim/orders/{id} returns it.
type orderControlView struct {
	ID       string               `json:"id"`
	Status   string               `json:"status"`
	CustomID string               `json:"custom_id"`
	Amount   amount               `json:"amount"`
	Captures []captureControlView `json:"captures"`
}

type captureControlView struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Amount   amount `json:"amount"`
	Refunded string `json:"refunded"`
	Refunds  int    `json:"refunds"`
}

func (s *Server) controlRoutes() {
	s.mux.HandleFunc("POST "+PathControl+"webhook", s.serveWebhookControl)
	s.mux.HandleFunc("GET "+PathControl+"orders/{id}", s.serveOrderControl)
	s.mux.HandleFunc("POST "+PathControl+"captures/{id}/refund", s.serveDashboardRefund)
	s.mux.HandleFunc("POST "+PathControl+"orders/{id}/decline", s.serveDeclineControl)
}

func (s *Server) serveDeclineControl(w http.ResponseWriter, r *http.Request) {
	if !s.Decline(r.PathValue("id")) {
		writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "The specified resource does not exist.")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// serveDashboardRefund refunds a capture as a merchant does in PayPal's
// dashboard, without the store's API call, so the store learns of it only
// through the PAYMENT.CAPTURE.REFUNDED webhook.
func (s *Server) serveDashboardRefund(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Amount *amount `json:"amount"`
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxControlBody+1))
	if err != nil || len(data) > maxControlBody || (len(data) > 0 && json.Unmarshal(data, &req) != nil) {
		writeInvalidRequest(w, "/", "MALFORMED_REQUEST_JSON", "The request JSON is not well formed.")
		return
	}
	s.refund(w, r, refundRequest{Amount: req.Amount})
}

func (s *Server) serveWebhookControl(w http.ResponseWriter, r *http.Request) {
	var req webhookControl
	data, err := io.ReadAll(io.LimitReader(r.Body, maxControlBody+1))
	if err != nil || len(data) > maxControlBody || json.Unmarshal(data, &req) != nil {
		writeInvalidRequest(w, "/", "MALFORMED_REQUEST_JSON", "The request JSON is not well formed.")
		return
	}

	if req.WebhookID == "" {
		writeInvalidRequest(w, "/webhook_id", "MISSING_REQUIRED_PARAMETER", "webhook_id is required")
		return
	}
	var resource any
	switch req.EventType {
	case EventOrderApproved:
		resource = s.OrderResource(req.OrderID)
	case EventCaptureCompleted:
		resource = s.CaptureResource(req.CaptureID)
	case EventCaptureRefunded:
		resource = s.LastRefundResource(req.CaptureID)
	default:
		writeInvalidRequest(w, "/event_type", "INVALID_PARAMETER_VALUE",
			"event_type must be "+EventOrderApproved+", "+EventCaptureCompleted+" or "+EventCaptureRefunded)
		return
	}
	if resource == nil {
		writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND",
			"The simulator has no order, capture or refund for this event.")
		return
	}

	delivery, err := s.SignedDelivery(req.WebhookID, req.EventType, resource)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", err.Error())
		return
	}
	headers := map[string]string{}
	for key := range delivery.Header {
		headers[key] = delivery.Header.Get(key)
	}
	writeJSON(w, http.StatusOK, deliveryJSON{Headers: headers, Body: string(delivery.Body)})
}

func (s *Server) serveOrderControl(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	o, ok := s.orders[r.PathValue("id")]
	var view orderControlView
	if ok {
		unit := o.PurchaseUnits[0]
		view = orderControlView{ID: o.ID, Status: o.Status, CustomID: unit.CustomID, Amount: *unit.Amount,
			Captures: []captureControlView{}}
		if unit.Payments != nil {
			for _, c := range unit.Payments.Captures {
				view.Captures = append(view.Captures, captureControlView{
					ID: c.ID, Status: c.Status, Amount: *c.Amount, Refunds: len(c.refunds),
					Refunded: c.refunded.Format(money.MinorUnitDigits(c.Amount.CurrencyCode)),
				})
			}
		}
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "The specified resource does not exist.")
		return
	}
	writeJSON(w, http.StatusOK, view)
}
