package esimgo

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"esimscan/backend/money"
)

// smdpAddress is the fake SM-DP+ of every generated eSIM. The .invalid
// top-level domain is reserved by RFC 2606 and never resolves.
const smdpAddress = "rsp.esimscan.invalid"

// DefaultOrderLimit is the page size of GET /orders without limit.
const DefaultOrderLimit = 10

// Order is one charged order ("transaction") the simulator accepted.
type Order struct {
	OrderReference string      `json:"orderReference"`
	Status         string      `json:"status"` // "Processing" until the eSIMs exist, then "Completed"
	Assign         bool        `json:"assign"`
	Lines          []OrderLine `json:"lines"`
	Total          string      `json:"total"` // decimal, in Currency
	Currency       string      `json:"currency"`
	CreatedAt      time.Time   `json:"createdAt"`
	Polls          int         `json:"polls"` // assignment queries served so far
	ESIMs          []ESIM      `json:"esims"` // empty until assigned
}

// OrderLine is one bundle of an order.
type OrderLine struct {
	Item         string   `json:"item"`
	Quantity     int      `json:"quantity"`
	PricePerUnit string   `json:"pricePerUnit"`
	SubTotal     string   `json:"subTotal"`
	ICCIDs       []string `json:"iccids,omitempty"` // the eSIMs a top-up line applies the bundle to
}

// ESIM is one generated eSIM with the bundle assigned to it.
type ESIM struct {
	ICCID       string `json:"iccid"`
	MatchingID  string `json:"matchingId"`
	SMDPAddress string `json:"smdpAddress"`
	Item        string `json:"item"`
}

type orderRequest struct {
	Type   string `json:"type"`
	Assign bool   `json:"assign"`
	Order  []struct {
		Type          string   `json:"type"`
		Quantity      int      `json:"quantity"`
		Item          string   `json:"item"`
		ICCIDs        []string `json:"iccids"`
		AllowReassign bool     `json:"allowReassign"`
	} `json:"order"`
}

type pricedLine struct {
	OrderLine
	unit, subTotal money.Amount
}

// messageInsufficientBalance refuses a transaction that the balance does
// not cover. eSIM Go lists an insufficient balance among the errors of
// POST /orders but publishes no text, so this wording is our reading.
const messageInsufficientBalance = "Insufficient balance to complete this order"

// serveOrder prices an order ("validate") or charges the balance and
// creates it ("transaction"). Like eSIM Go, it has no idempotency key: a
// repeated transaction buys again.
func (s *Server) serveOrder(w http.ResponseWriter, r *http.Request) {
	var req orderRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeMessage(w, http.StatusBadRequest, "Request body is not valid JSON")
		return
	}
	if req.Type != "validate" && req.Type != "transaction" {
		writeMessage(w, http.StatusBadRequest, "type must be validate or transaction")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	lines, total, message := s.priceOrder(req)
	if message != "" {
		writeMessage(w, http.StatusBadRequest, message)
		return
	}
	if req.Type == "validate" {
		s.validated++
		writeJSON(w, http.StatusOK, s.validateView(lines, total))
		return
	}
	if total > s.balance {
		writeMessage(w, http.StatusBadRequest, messageInsufficientBalance)
		return
	}

	s.balance -= total
	placed := &Order{
		OrderReference: uuid.NewString(),
		Status:         "Processing",
		Assign:         req.Assign,
		Total:          total.String(),
		Currency:       s.opts.Currency,
		CreatedAt:      s.opts.Now().UTC(),
	}
	for _, line := range lines {
		placed.Lines = append(placed.Lines, line.OrderLine)
	}
	// A top-up is assigned at once, as eSIM Go usually does, even with
	// AsyncOrders.
	if !s.opts.AsyncOrders || placed.isTopUp() {
		s.assign(placed)
	}
	s.orders = append(s.orders, placed)
	s.byRef[placed.OrderReference] = placed
	writeJSON(w, http.StatusOK, s.orderView(placed, true))
}

// priceOrder checks each line and returns the lines with prices, the
// total, or the message of a 400. The caller holds s.mu.
func (s *Server) priceOrder(req orderRequest) ([]pricedLine, money.Amount, string) {
	if len(req.Order) == 0 {
		return nil, 0, "order must contain at least one bundle"
	}
	var (
		lines []pricedLine
		total money.Amount
	)
	for _, item := range req.Order {
		switch {
		case item.Type != "bundle":
			return nil, 0, "order item type must be bundle"
		case item.Quantity < 1 || item.Quantity > 1000:
			return nil, 0, "quantity must be between 1 and 1000"
		}
		if len(item.ICCIDs) > 0 {
			if message := s.checkTopUpLine(req.Assign, item.Item, item.Quantity, item.ICCIDs, item.AllowReassign); message != "" {
				return nil, 0, message
			}
		}
		bundle, ok := s.catalog.lookup(item.Item)
		if !ok {
			return nil, 0, "Bundle " + item.Item + " not found in catalogue"
		}
		unit, err := money.ParseAmount(bundle.Price.String())
		if err != nil {
			return nil, 0, "Bundle " + item.Item + " has no valid price"
		}
		subTotal := unit * money.Amount(item.Quantity)
		total += subTotal
		lines = append(lines, pricedLine{
			OrderLine: OrderLine{
				Item: bundle.Name, Quantity: item.Quantity, PricePerUnit: unit.String(), SubTotal: subTotal.String(),
				ICCIDs: append([]string(nil), item.ICCIDs...),
			},
			unit:     unit,
			subTotal: subTotal,
		})
	}
	return lines, total, ""
}

// assign generates the order's eSIMs, one per bundle when assign is true.
// The caller holds s.mu.
func (s *Server) assign(placed *Order) {
	placed.Status = "Completed"
	if !placed.Assign {
		return
	}
	for _, line := range placed.Lines {
		if len(line.ICCIDs) > 0 {
			placed.ESIMs = append(placed.ESIMs, s.toppedUp(line)...)
			continue
		}
		for range line.Quantity {
			s.sequence++
			placed.ESIMs = append(placed.ESIMs, ESIM{
				ICCID:       fmt.Sprintf("8999%015d", s.sequence),
				MatchingID:  randomMatchingID(),
				SMDPAddress: smdpAddress,
				Item:        line.Item,
			})
		}
	}
}

func (s *Server) validateView(lines []pricedLine, total money.Amount) map[string]any {
	items := make([]map[string]any, 0, len(lines))
	for _, line := range lines {
		item := map[string]any{
			"type": "bundle", "item": line.Item, "quantity": line.Quantity,
			"subTotal": json.Number(line.SubTotal), "pricePerUnit": json.Number(line.PricePerUnit),
		}
		if len(line.ICCIDs) > 0 {
			item["iccids"] = line.ICCIDs
		}
		items = append(items, item)
	}
	return map[string]any{
		"order": items, "total": json.Number(total.String()), "valid": true, "currency": s.opts.Currency,
		"createdDate": s.opts.Now().UTC().Format(time.RFC3339Nano), "assigned": false,
	}
}

// orderView is an order as POST /orders and GET /orders return it; the
// eSIMs are included when withESIMs is true.
func (s *Server) orderView(placed *Order, withESIMs bool) map[string]any {
	items := make([]map[string]any, 0, len(placed.Lines))
	for _, line := range placed.Lines {
		item := map[string]any{
			"type": "bundle", "item": line.Item, "quantity": line.Quantity, "allowReassign": false,
			"subTotal": json.Number(line.SubTotal), "pricePerUnit": json.Number(line.PricePerUnit),
			"iccids": nonNil(line.ICCIDs),
		}
		if withESIMs {
			esims := []map[string]string{}
			iccids := []string{}
			for _, esim := range placed.ESIMs {
				if esim.Item == line.Item {
					esims = append(esims, map[string]string{
						"iccid": esim.ICCID, "matchingId": esim.MatchingID, "smdpAddress": esim.SMDPAddress,
					})
					iccids = append(iccids, esim.ICCID)
				}
			}
			item["esims"], item["iccids"] = esims, iccids
		}
		items = append(items, item)
	}
	return map[string]any{
		"order": items, "total": json.Number(placed.Total), "currency": placed.Currency,
		"status": placed.Status, "statusMessage": statusMessage(placed),
		"orderReference": placed.OrderReference, "createdDate": placed.CreatedAt.Format(time.RFC3339Nano),
		"assigned": placed.Assign && len(placed.ESIMs) > 0, "sourceIP": "127.0.0.1",
	}
}

func statusMessage(placed *Order) string {
	if placed.Status != "Completed" {
		return "Order processing"
	}
	return fmt.Sprintf("Order completed: %d eSIMs assigned", len(placed.ESIMs))
}

func randomMatchingID() string {
	var id [8]byte
	_, _ = rand.Read(id[:])
	text := strings.ToUpper(hex.EncodeToString(id[:]))
	return text[0:4] + "-" + text[4:8] + "-" + text[8:12] + "-" + text[12:16]
}

// Orders returns copies of the charged orders, oldest first.
func (s *Server) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	orders := make([]Order, 0, len(s.orders))
	for _, placed := range s.orders {
		copied := *placed
		copied.Lines = make([]OrderLine, 0, len(placed.Lines))
		for _, line := range placed.Lines {
			line.ICCIDs = append([]string(nil), line.ICCIDs...)
			copied.Lines = append(copied.Lines, line)
		}
		copied.ESIMs = append([]ESIM(nil), placed.ESIMs...)
		orders = append(orders, copied)
	}
	return orders
}

// Validations returns how many orders were priced with type "validate".
func (s *Server) Validations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.validated
}
