package esimaccess

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// smdpAddress is the fake SM-DP+ of every generated eSIM. The .invalid
// top-level domain is reserved by RFC 2606 and never resolves.
const smdpAddress = "sim.esimscan.invalid"

// maxTransactionID is the longest transactionId the API accepts.
const maxTransactionID = 50

// Order is one order the simulator accepted.
type Order struct {
	OrderNo       string      `json:"orderNo"`
	TransactionID string      `json:"transactionId"`
	Lines         []OrderLine `json:"lines"`
	Amount        int64       `json:"amount"` // 1/10,000 USD charged
	PlacedAt      time.Time   `json:"placedAt"`
	Polls         int         `json:"polls"` // queries responded to so far
	ESIMs         []ESIM      `json:"esims"` // empty until allocated
}

// OrderLine is one package of an order.
type OrderLine struct {
	PackageCode string `json:"packageCode"`
	Count       int    `json:"count"`
	PeriodNum   int    `json:"periodNum,omitempty"`
	Price       int64  `json:"price"` // per eSIM, 1/10,000 USD
}

// ESIM is one allocated profile.
type ESIM struct {
	ESIMTranNo  string `json:"esimTranNo"`
	ICCID       string `json:"iccid"`
	AC          string `json:"ac"`
	PackageCode string `json:"packageCode"`
}

type order = Order

type orderRequest struct {
	TransactionID   string `json:"transactionId"`
	Amount          *int64 `json:"amount"`
	PackageInfoList []struct {
		PackageCode string `json:"packageCode"`
		Slug        string `json:"slug"`
		Count       int    `json:"count"`
		Price       *int64 `json:"price"`
		PeriodNum   int    `json:"periodNum"`
	} `json:"packageInfoList"`
}

// serveOrder places an order. A repeated transactionId returns the first
// order and charges nothing, as eSIM Access documents.
func (s *Server) serveOrder(w http.ResponseWriter, r *http.Request) {
	var req orderRequest
	body, _ := bodyOf(r)
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, "000104", "Request body is not valid JSON")
		return
	}
	switch {
	case req.TransactionID == "":
		writeError(w, "000105", "Mandatory parameter [transactionId] is missing")
		return
	case len(req.TransactionID) > maxTransactionID:
		writeError(w, "000107", "Parameter [transactionId] length is wrong")
		return
	case len(req.PackageInfoList) == 0:
		writeError(w, "000105", "Mandatory parameter [packageInfoList] is missing")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if existing, ok := s.byTxn[req.TransactionID]; ok {
		writeObj(w, map[string]string{"orderNo": existing.OrderNo, "transactionId": existing.TransactionID})
		return
	}
	lines, total, code, message := s.priceOrder(req)
	if code != "" {
		writeError(w, code, message)
		return
	}
	if total > s.balance {
		writeError(w, "200007", "Insufficient account balance")
		return
	}
	s.balance -= total
	s.sequence++
	placed := &Order{
		OrderNo:       fmt.Sprintf("B%s%04d", s.opts.Now().UTC().Format("060102150405"), s.sequence%10000),
		TransactionID: req.TransactionID,
		Lines:         lines,
		Amount:        total,
		PlacedAt:      s.opts.Now(),
	}
	s.orders[placed.OrderNo] = placed
	s.byTxn[placed.TransactionID] = placed
	writeObj(w, map[string]string{"orderNo": placed.OrderNo, "transactionId": placed.TransactionID})
}

// priceOrder checks each line's price and the total, in 1/10,000 USD. A
// day pass costs its daily price times periodNum. The caller holds s.mu.
func (s *Server) priceOrder(req orderRequest) ([]OrderLine, int64, string, string) {
	var (
		lines []OrderLine
		total int64
	)
	for _, item := range req.PackageInfoList {
		code := item.PackageCode
		if code == "" {
			code = item.Slug
		}
		pkg, ok := s.catalog.lookup(code)
		if !ok {
			return nil, 0, "310241", "Package code [" + code + "] does not exist"
		}
		count := max(item.Count, 1)
		period := 1
		if pkg.isDaily() {
			if item.PeriodNum < 0 || item.PeriodNum > 365 {
				return nil, 0, "200008", "Parameter [periodNum] must be 1 to 365"
			}
			period = max(item.PeriodNum, 1)
		}
		unit := pkg.Price * int64(period)
		if item.Price != nil && *item.Price != unit {
			return nil, 0, "200005", "Package price is wrong"
		}
		lines = append(lines, OrderLine{PackageCode: pkg.PackageCode, Count: count, PeriodNum: item.PeriodNum, Price: unit})
		total += unit * int64(count)
	}
	if req.Amount != nil && *req.Amount != total {
		return nil, 0, "200006", "Order amount is wrong"
	}
	return lines, total, "", ""
}

type queryRequest struct {
	OrderNo string `json:"orderNo"`
	ICCID   string `json:"iccid"`
	Pager   *struct {
		PageNum  int `json:"pageNum"`
		PageSize int `json:"pageSize"`
	} `json:"pager"`
}

// serveQuery responses 200010 until the order's profiles are allocated,
// then pages through them.
func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request) {
	var req queryRequest
	body, _ := bodyOf(r)
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, "000104", "Request body is not valid JSON")
		return
	}
	if req.Pager == nil {
		writeError(w, "000105", "Mandatory parameter [pager] is missing")
		return
	}
	if req.Pager.PageSize < 5 || req.Pager.PageSize > 500 || req.Pager.PageNum < 1 || req.Pager.PageNum > 10000 {
		writeError(w, "000107", "Parameter [pager] is out of range")
		return
	}

	if req.OrderNo == "" && req.ICCID != "" {
		s.serveQueryByICCID(w, req.ICCID)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	placed, ok := s.orders[req.OrderNo]
	if !ok {
		writeError(w, "310272", "Order number does not exist")
		return
	}
	if !s.allocated(placed) {
		writeError(w, "200010", "Profile is being downloaded for the order.")
		return
	}
	list := make([]map[string]any, 0, req.Pager.PageSize)
	start := (req.Pager.PageNum - 1) * req.Pager.PageSize
	for i := start; i < len(placed.ESIMs) && i < start+req.Pager.PageSize; i++ {
		list = append(list, esimView(placed, placed.ESIMs[i]))
	}
	writeObj(w, map[string]any{
		"esimList": list,
		"pager":    map[string]int{"pageSize": req.Pager.PageSize, "pageNum": req.Pager.PageNum, "total": len(placed.ESIMs)},
	})
}

// allocated counts a poll and generates the profiles once the order has
// waited the configured polls and delay. The caller holds s.mu.
func (s *Server) allocated(placed *Order) bool {
	if placed.ESIMs != nil {
		return true
	}
	placed.Polls++
	if placed.Polls <= s.opts.AllocationPolls || s.opts.Now().Sub(placed.PlacedAt) < s.opts.AllocationDelay {
		return false
	}
	for _, line := range placed.Lines {
		for range line.Count {
			s.sequence++
			placed.ESIMs = append(placed.ESIMs, ESIM{
				ESIMTranNo:  fmt.Sprintf("%s%06d", placed.PlacedAt.UTC().Format("060102150405"), s.sequence%1_000_000),
				ICCID:       fmt.Sprintf("8999%015d", s.sequence),
				AC:          "LPA:1$" + smdpAddress + "$" + randomMatchingID(),
				PackageCode: line.PackageCode,
			})
		}
	}
	return true
}

func esimView(placed *Order, esim ESIM) map[string]any {
	return map[string]any{
		"esimTranNo":    esim.ESIMTranNo,
		"orderNo":       placed.OrderNo,
		"transactionId": placed.TransactionID,
		"iccid":         esim.ICCID,
		"ac":            esim.AC,
		"qrCodeUrl":     "",
		"smdpStatus":    "RELEASED",
		"esimStatus":    "GOT_RESOURCE",
		"packageList":   []map[string]string{{"packageCode": esim.PackageCode}},
	}
}

func randomMatchingID() string {
	var id [16]byte
	_, _ = rand.Read(id[:])
	return strings.ToUpper(hex.EncodeToString(id[:]))
}

// Orders returns the accepted orders, in no particular order.
func (s *Server) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	orders := make([]Order, 0, len(s.orders))
	for _, placed := range s.orders {
		copied := *placed
		copied.Lines = append([]OrderLine(nil), placed.Lines...)
		copied.ESIMs = append([]ESIM(nil), placed.ESIMs...)
		orders = append(orders, copied)
	}
	return orders
}
