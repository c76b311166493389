package paypal

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"esimscan/backend/money"
)

// Order statuses of Orders v2.
const (
	StatusCreated   = "CREATED"
	StatusApproved  = "APPROVED"
	StatusCompleted = "COMPLETED"
)

type amount struct {
	CurrencyCode string `json:"currency_code"`
	Value        string `json:"value"`
}

type link struct {
	Href   string `json:"href"`
	Rel    string `json:"rel"`
	Method string `json:"method"`
}

type purchaseUnit struct {
	ReferenceID string    `json:"reference_id,omitempty"`
	CustomID    string    `json:"custom_id,omitempty"`
	Description string    `json:"description,omitempty"`
	Amount      *amount   `json:"amount"`
	Payments    *payments `json:"payments,omitempty"`
}

type payments struct {
	Captures []*capture `json:"captures"`
}

type experienceContext struct {
	ReturnURL string `json:"return_url"`
	CancelURL string `json:"cancel_url"`
}

type createOrderRequest struct {
	Intent             string             `json:"intent"`
	PurchaseUnits      []purchaseUnit     `json:"purchase_units"`
	ApplicationContext *experienceContext `json:"application_context"`
	PaymentSource      *struct {
		PayPal *struct {
			ExperienceContext *experienceContext `json:"experience_context"`
		} `json:"paypal"`
	} `json:"payment_source"`
}

// order is an Orders v2 order as this server returns it.
type order struct {
	ID            string         `json:"id"`
	Intent        string         `json:"intent"`
	Status        string         `json:"status"`
	PurchaseUnits []purchaseUnit `json:"purchase_units"`
	Payer         *payer         `json:"payer,omitempty"`
	CreateTime    string         `json:"create_time"`
	Links         []link         `json:"links"`

	returnURL string
	cancelURL string
	// decline makes every capture answer 422 INSTRUMENT_DECLINED, as
	// PayPal does when the payer's funding source is refused.
	decline bool
}

type payer struct {
	PayerID string `json:"payer_id"`
}

// Order returns a copy of the order with id as JSON would show it, and
// whether it exists.
func (s *Server) Order(id string) (OrderView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return OrderView{}, false
	}
	view := OrderView{ID: o.ID, Status: o.Status, ReturnURL: o.returnURL, CancelURL: o.cancelURL}
	unit := o.PurchaseUnits[0]
	view.ReferenceID, view.CustomID = unit.ReferenceID, unit.CustomID
	view.Currency, view.Value = unit.Amount.CurrencyCode, unit.Amount.Value
	if unit.Payments != nil {
		for _, c := range unit.Payments.Captures {
			view.CaptureIDs = append(view.CaptureIDs, c.ID)
		}
	}
	return view, true
}

// OrderView is a test's view of one simulated order.
type OrderView struct {
	ID, Status            string
	ReferenceID, CustomID string
	Currency, Value       string
	ReturnURL, CancelURL  string
	CaptureIDs            []string
}

func (s *Server) serveCreateOrder(w http.ResponseWriter, r *http.Request) {
	var req createOrderRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeInvalidRequest(w, "/", "MALFORMED_REQUEST_JSON", "The request JSON is not well formed.")
		return
	}
	if req.Intent != "CAPTURE" && req.Intent != "AUTHORIZE" {
		writeInvalidRequest(w, "/intent", "INVALID_PARAMETER_VALUE", "intent must be CAPTURE or AUTHORIZE")
		return
	}
	if len(req.PurchaseUnits) != 1 {
		writeInvalidRequest(w, "/purchase_units", "INVALID_ARRAY_MAX_ITEMS",
			"this simulator supports exactly one purchase unit")
		return
	}
	unit := req.PurchaseUnits[0]
	if field, issue := checkAmount(unit.Amount); issue != "" {
		writeInvalidRequest(w, "/purchase_units/@reference_id=='"+unit.ReferenceID+"'/amount/"+field, issue,
			"the amount must be positive with exactly the currency's decimal digits")
		return
	}
	context := req.ApplicationContext
	if req.PaymentSource != nil && req.PaymentSource.PayPal != nil && req.PaymentSource.PayPal.ExperienceContext != nil {
		context = req.PaymentSource.PayPal.ExperienceContext
	}
	if context == nil || context.ReturnURL == "" {
		writeInvalidRequest(w, "/application_context/return_url", "MISSING_REQUIRED_PARAMETER",
			"this simulator needs a return_url to redirect the approved payer to")
		return
	}

	s.mu.Lock()
	o := &order{
		ID:            s.nextID("SIMO"),
		Intent:        req.Intent,
		Status:        StatusCreated,
		PurchaseUnits: []purchaseUnit{{ReferenceID: unit.ReferenceID, CustomID: unit.CustomID, Description: unit.Description, Amount: unit.Amount}},
		CreateTime:    time.Now().UTC().Format(time.RFC3339),
		returnURL:     context.ReturnURL,
		cancelURL:     context.CancelURL,
	}
	if o.PurchaseUnits[0].ReferenceID == "" {
		o.PurchaseUnits[0].ReferenceID = "default"
	}
	approveRel := "approve"
	if context != req.ApplicationContext {
		approveRel = "payer-action"
	}
	root := "http://" + r.Host
	o.Links = []link{
		{Href: root + PathOrders + "/" + o.ID, Rel: "self", Method: "GET"},
		{Href: root + PathApprove + "?token=" + o.ID, Rel: approveRel, Method: "GET"},
		{Href: root + PathOrders + "/" + o.ID + "/capture", Rel: "capture", Method: "POST"},
	}
	s.orders[o.ID] = o
	body := s.marshalLocked(o)
	s.mu.Unlock()
	writeRaw(w, http.StatusCreated, body)
}

// checkAmount returns the invalid field and PayPal's issue code for an
// amount that is missing, not positive, or written with another number of
// decimals than its currency has (PayPal rejects "1500.00" JPY).
func checkAmount(a *amount) (field, issue string) {
	if a == nil {
		return "", "MISSING_REQUIRED_PARAMETER"
	}
	if len(a.CurrencyCode) != 3 || strings.ToUpper(a.CurrencyCode) != a.CurrencyCode {
		return "currency_code", "INVALID_CURRENCY_CODE"
	}
	value, err := money.ParseAmount(a.Value)
	if err != nil || value <= 0 {
		return "value", "INVALID_PARAMETER_VALUE"
	}
	_, frac, _ := strings.Cut(a.Value, ".")
	if len(frac) != money.MinorUnitDigits(a.CurrencyCode) {
		return "value", "DECIMAL_PRECISION"
	}
	return "", ""
}

func (s *Server) serveGetOrder(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	o, ok := s.orders[r.PathValue("id")]
	var body []byte
	if ok {
		body = s.marshalLocked(o)
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "The specified resource does not exist.",
			errorDetail{Field: "order_id", Issue: "INVALID_RESOURCE_ID", Description: "Specified resource ID does not exist."})
		return
	}
	writeRaw(w, http.StatusOK, body)
}

// serveApprove plays the payer approving the order on PayPal's page: the
// order becomes APPROVED and the browser goes to the return URL with the
// token and PayerID query parameters, as PayPal sends it.
func (s *Server) serveApprove(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("token")
	s.mu.Lock()
	o, ok := s.orders[id]
	if ok && o.Status == StatusCreated {
		o.Status = StatusApproved
		o.Payer = &payer{PayerID: s.nextID("SIMPAYER")}
	}
	var target string
	if ok && o.Payer != nil {
		target = withQuery(o.returnURL, url.Values{"token": {o.ID}, "PayerID": {o.Payer.PayerID}})
	}
	s.mu.Unlock()
	if !ok {
		http.Error(w, "unknown checkout token", http.StatusNotFound)
		return
	}
	http.Redirect(w, r, target, http.StatusFound)
}

// Approve marks the order approved without a browser, as if the payer had
// approved it on PayPal's page.
func (s *Server) Approve(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok || o.Status != StatusCreated {
		return false
	}
	o.Status = StatusApproved
	o.Payer = &payer{PayerID: s.nextID("SIMPAYER")}
	return true
}

// Decline makes every later capture of the order with id fail with 422
// INSTRUMENT_DECLINED, and reports whether the order exists.
func (s *Server) Decline(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if ok {
		o.decline = true
	}
	return ok
}

func withQuery(raw string, values url.Values) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	query := u.Query()
	for key, v := range values {
		query[key] = v
	}
	u.RawQuery = query.Encode()
	return u.String()
}

// marshalLocked encodes v while the caller holds s.mu, so that the JSON is
// a consistent snapshot.
func (s *Server) marshalLocked(v any) []byte {
	body, _ := json.Marshal(v)
	return body
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
