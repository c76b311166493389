package maya

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// smdpAddress is the fake SM-DP+ of every generated eSIM. The .invalid
// top-level domain is reserved by RFC 2606 and never resolves.
const smdpAddress = "rsp.esimscan.invalid"

// maxQuantity bounds the eSIMs of one create call.
const maxQuantity = 100

// ESIM is one issued eSIM, with the fields Maya sends.
type ESIM struct {
	UID            string `json:"uid"`
	ICCID          string `json:"iccid"`
	ActivationCode string `json:"activation_code"` // full LPA string
	ManualCode     string `json:"manual_code"`
	SMDPAddress    string `json:"smdp_address"`
	AutoAPN        int    `json:"auto_apn"`
	APN            string `json:"apn"`
	State          string `json:"state"`
	ServiceStatus  string `json:"service_status"`
	NetworkStatus  string `json:"network_status"`
	Tag            string `json:"tag"`
	DateAssigned   string `json:"date_assigned"` // "YYYY-MM-DD HH:MM:SS"
	CustomerID     string `json:"customer_id"`

	// plan is the data plan the eSIM was issued with, served by
	// GET /esim/{iccid}/plans.
	plan plan
}

// Order is one accepted POST /esim call: what the account was charged for.
type Order struct {
	PlanTypeID string    `json:"plan_type_id"`
	CustomerID string    `json:"customer_id"`
	Tag        string    `json:"tag"`
	PlacedAt   time.Time `json:"placed_at"`
	ICCIDs     []string  `json:"iccids"`
}

// customer is a Maya customer: the owner of eSIMs, and the only place
// where the public integrations look eSIMs up by something other than
// their ICCID.
type customer struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	FirstName string    `json:"first_name"`
	LastName  string    `json:"last_name"`
	Country   string    `json:"country"`
	Tag       string    `json:"tag"`
	CreatedAt time.Time `json:"-"`
	ICCIDs    []string  `json:"-"`
}

// serveCreateCustomer creates a customer. Which fields Maya requires is
// not public, so none is required here.
func (s *Server) serveCreateCustomer(w http.ResponseWriter, r *http.Request) {
	var req customer
	if !decodeAPI(w, r, &req) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	created := &customer{
		ID:        randomID(),
		Email:     req.Email,
		FirstName: req.FirstName,
		LastName:  req.LastName,
		Country:   req.Country,
		Tag:       req.Tag,
		CreatedAt: s.opts.Now(),
	}
	s.customers[created.ID] = created
	writeOK(w, http.StatusCreated, map[string]any{"customer": s.customerView(created)})
}

// serveCustomer serves GET /customer/{id} with the customer and its eSIMs.
func (s *Server) serveCustomer(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, PathCustomer+"/")
	if strings.Contains(id, "/") {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	found, ok := s.customers[id]
	if !ok {
		writeError(w, http.StatusNotFound, "Customer not found", "No customer with id "+id+" exists on this account.")
		return
	}
	writeOK(w, http.StatusOK, map[string]any{"customer": s.customerView(found)})
}

// customerView is the customer with its eSIMs. The caller holds s.mu.
func (s *Server) customerView(c *customer) map[string]any {
	esims := make([]ESIM, 0, len(c.ICCIDs))
	for _, iccid := range c.ICCIDs {
		esims = append(esims, *s.esims[iccid])
	}
	return map[string]any{
		"id":         c.ID,
		"email":      c.Email,
		"first_name": c.FirstName,
		"last_name":  c.LastName,
		"country":    c.Country,
		"tag":        c.Tag,
		"created_at": c.CreatedAt.UTC().Format(time.DateTime),
		"esims":      esims,
	}
}

type createESIMRequest struct {
	PlanTypeID string `json:"plan_type_id"`
	CustomerID string `json:"customer_id"`
	Tag        string `json:"tag"`
	Quantity   int    `json:"quantity"`
}

// serveCreateESIM issues eSIMs at once: Maya has no allocation step. The
// response carries the first eSIM as esim, and all of them as esims when
// more than one was asked for.
func (s *Server) serveCreateESIM(w http.ResponseWriter, r *http.Request) {
	var req createESIMRequest
	if !decodeAPI(w, r, &req) {
		return
	}
	switch {
	case req.PlanTypeID == "":
		writeError(w, http.StatusBadRequest, "plan_type_id is required", "The request has no plan_type_id.")
		return
	case req.Quantity < 0 || req.Quantity > maxQuantity:
		writeError(w, http.StatusBadRequest, "Invalid quantity", fmt.Sprintf("quantity must be 1 to %d.", maxQuantity))
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	product, ok := s.catalog.lookup(req.PlanTypeID)
	if !ok {
		writeError(w, http.StatusNotFound, "Plan type not found",
			"No plan type with uid "+req.PlanTypeID+" is available to this account.")
		return
	}
	var owner *customer
	if req.CustomerID != "" {
		found, ok := s.customers[req.CustomerID]
		if !ok {
			writeError(w, http.StatusNotFound, "Customer not found", "No customer with id "+req.CustomerID+" exists on this account.")
			return
		}
		owner = found
	}

	order := Order{PlanTypeID: req.PlanTypeID, CustomerID: req.CustomerID, Tag: req.Tag, PlacedAt: s.opts.Now()}
	issued := make([]ESIM, 0, max(req.Quantity, 1))
	for range max(req.Quantity, 1) {
		esim := s.issue(req)
		esim.plan = newPlan(product, s.opts.Now())
		s.esims[esim.ICCID] = &esim
		if owner != nil {
			owner.ICCIDs = append(owner.ICCIDs, esim.ICCID)
		}
		order.ICCIDs = append(order.ICCIDs, esim.ICCID)
		issued = append(issued, esim)
	}
	s.orders = append(s.orders, order)

	payload := map[string]any{"esim": issued[0]}
	if len(issued) > 1 {
		payload["esims"] = issued
	}
	writeOK(w, http.StatusCreated, payload)
}

// issue generates one fake eSIM. The caller holds s.mu.
func (s *Server) issue(req createESIMRequest) ESIM {
	s.sequence++
	matchingID := randomID() + randomID()
	lpa := "LPA:1$" + smdpAddress + "$" + matchingID
	return ESIM{
		UID:            randomID(),
		ICCID:          fmt.Sprintf("8999%015d", s.sequence),
		ActivationCode: lpa,
		ManualCode:     lpa,
		SMDPAddress:    smdpAddress,
		AutoAPN:        1,
		APN:            "globaldata",
		State:          "RELEASED",
		ServiceStatus:  "active",
		NetworkStatus:  "ENABLED",
		Tag:            req.Tag,
		DateAssigned:   s.opts.Now().UTC().Format(time.DateTime),
		CustomerID:     req.CustomerID,
	}
}

// serveESIM serves GET /esim/{iccid}.
func (s *Server) serveESIM(w http.ResponseWriter, r *http.Request) {
	iccid := strings.TrimPrefix(r.URL.Path, PathESIM+"/")
	if strings.Contains(iccid, "/") {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	esim, ok := s.esims[iccid]
	if !ok {
		writeError(w, http.StatusNotFound, "eSIM not found", "No eSIM with ICCID "+iccid+" exists on this account.")
		return
	}
	writeOK(w, http.StatusOK, map[string]any{"esim": *esim})
}

// decodeAPI reads a JSON request body, answering 400 in the error
// envelope when it is unreadable.
func decodeAPI(w http.ResponseWriter, r *http.Request, v any) bool {
	body, ok := bodyOf(r)
	if ok && json.Unmarshal(body, v) == nil {
		return true
	}
	writeError(w, http.StatusBadRequest, "Invalid request", "The request body is not valid JSON.")
	return false
}

// randomID returns 12 upper-case letters and digits, the shape of Maya's
// uids and customer ids.
func randomID() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
	var raw [12]byte
	_, _ = rand.Read(raw[:])
	for i, b := range raw {
		raw[i] = alphabet[int(b)%len(alphabet)]
	}
	return string(raw[:])
}

// Orders returns the accepted eSIM orders, oldest first.
func (s *Server) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	orders := make([]Order, 0, len(s.orders))
	for _, order := range s.orders {
		order.ICCIDs = append([]string(nil), order.ICCIDs...)
		orders = append(orders, order)
	}
	return orders
}

// ESIMCount returns the number of eSIMs issued so far.
func (s *Server) ESIMCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.esims)
}
