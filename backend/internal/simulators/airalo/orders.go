package airalo

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"esimscan/backend/money"
)

// smdpAddress is the fake SM-DP+ of every generated eSIM. The .invalid
// top-level domain is reserved by RFC 2606 and never resolves.
const smdpAddress = "lpa.esimscan.invalid"

// maxQuantity is the most eSIMs one order may buy.
const maxQuantity = 50

// maxFormBytes bounds the order form the simulator reads.
const maxFormBytes = 1 << 20

// createdAtLayout is Airalo's timestamp format, without a zone.
const createdAtLayout = "2006-01-02 15:04:05"

// Order is one order the simulator accepted.
type Order struct {
	ID          int64        `json:"id"`
	Code        string       `json:"code"`
	PackageID   string       `json:"package_id"`
	PackageName string       `json:"package"`
	Data        string       `json:"data"`
	Validity    int          `json:"validity"`
	Quantity    int          `json:"quantity"`
	Description string       `json:"description"`
	UnitPrice   money.Amount `json:"unit_price"`     // USD, retail
	UnitNet     money.Amount `json:"unit_net_price"` // USD, charged to the partner
	CreatedAt   time.Time    `json:"created_at"`
	SIMs        []SIM        `json:"sims"`
}

// SIM is one issued eSIM profile.
type SIM struct {
	ID         int64     `json:"id"`
	ICCID      string    `json:"iccid"`
	LPA        string    `json:"lpa"` // the SM-DP+ address
	MatchingID string    `json:"matching_id"`
	CreatedAt  time.Time `json:"created_at"`
}

// serveOrder buys eSIMs synchronously from form fields, as POST /v2/orders
// does: every call buys again, whatever its description.
func (s *Server) serveOrder(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(maxFormBytes); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		writeInvalid(w, "package_id", "The request body could not be read.")
		return
	}
	form := r.PostForm
	packageID := form.Get("package_id")
	quantity, quantityErr := strconv.Atoi(form.Get("quantity"))
	switch {
	case packageID == "":
		writeInvalid(w, "package_id", "The package id field is required.")
		return
	case form.Get("quantity") == "":
		writeInvalid(w, "quantity", "The quantity field is required.")
		return
	case quantityErr != nil || quantity < 1:
		writeInvalid(w, "quantity", "The quantity must be at least 1.")
		return
	case quantity > maxQuantity:
		writeInvalid(w, "quantity", "The quantity may not be greater than 50.")
		return
	case form.Get("type") != "sim":
		writeInvalid(w, "type", "The selected type is invalid.")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	pkg, operator, ok := s.catalog.lookup(packageID)
	if !ok || pkg.Type != "sim" {
		writeInvalid(w, "package_id", "The selected package is invalid.")
		return
	}
	unitNet, err1 := money.ParseAmount(pkg.NetPrice.String())
	unitPrice, err2 := money.ParseAmount(pkg.Price.String())
	if err1 != nil || err2 != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"code": 34, "reason": "Package is invalid or out of stock."})
		return
	}
	total := unitNet * money.Amount(quantity)
	if total > s.balance {
		writeInsufficientCredit(w)
		return
	}
	s.balance -= total
	placed := s.newOrder(pkg, operator, quantity, form.Get("description"), unitPrice, unitNet)
	s.orders = append(s.orders, placed)
	writeJSON(w, http.StatusOK, map[string]any{"data": orderView(placed, true), "meta": map[string]string{"message": "success"}})
}

// newOrder records an order with its eSIMs. The caller holds s.mu.
func (s *Server) newOrder(pkg Package, operator Operator, quantity int, description string, unitPrice, unitNet money.Amount) *Order {
	now := s.opts.Now().UTC()
	s.sequence++
	placed := &Order{
		ID:          700_000 + s.sequence,
		PackageID:   pkg.ID,
		PackageName: operator.Title + "-" + pkg.Title,
		Data:        pkg.Data,
		Validity:    pkg.Day,
		Quantity:    quantity,
		Description: description,
		UnitPrice:   unitPrice,
		UnitNet:     unitNet,
		CreatedAt:   now,
	}
	placed.Code = fmt.Sprintf("%s-%06d", now.Format("20060102"), placed.ID)
	for range quantity {
		s.sequence++
		placed.SIMs = append(placed.SIMs, SIM{
			ID:         900_000 + s.sequence,
			ICCID:      fmt.Sprintf("8999%015d", s.sequence),
			LPA:        smdpAddress,
			MatchingID: randomMatchingID(),
			CreatedAt:  now,
		})
	}
	return placed
}

// orderView is the order as Airalo returns it, with sims when the request
// includes them.
func orderView(placed *Order, withSIMs bool) map[string]any {
	view := map[string]any{
		"id":                  placed.ID,
		"code":                placed.Code,
		"currency":            "USD",
		"package_id":          placed.PackageID,
		"quantity":            placed.Quantity,
		"type":                "sim",
		"description":         placed.Description,
		"esim_type":           "Prepaid",
		"validity":            placed.Validity,
		"package":             placed.PackageName,
		"data":                placed.Data,
		"price":               json.Number((placed.UnitPrice * money.Amount(placed.Quantity)).String()),
		"net_price":           json.Number((placed.UnitNet * money.Amount(placed.Quantity)).String()),
		"pricing_model":       "net_pricing",
		"created_at":          placed.CreatedAt.Format(createdAtLayout),
		"manual_installation": "<p>Settings &gt; Cellular &gt; Add eSIM.</p>",
		"qrcode_installation": "<p>Settings &gt; Cellular &gt; Add eSIM.</p>",
		"installation_guides": map[string]string{"en": "https://esimscan.invalid/help"},
		"text":                nil,
		"voice":               nil,
		"brand_settings_name": nil,
	}
	if !withSIMs {
		return view
	}
	sims := make([]map[string]any, 0, len(placed.SIMs))
	for _, sim := range placed.SIMs {
		qrcode := "LPA:1$" + sim.LPA + "$" + sim.MatchingID
		sims = append(sims, map[string]any{
			"id":                            sim.ID,
			"created_at":                    sim.CreatedAt.Format(createdAtLayout),
			"iccid":                         sim.ICCID,
			"lpa":                           sim.LPA,
			"imsis":                         nil,
			"matching_id":                   sim.MatchingID,
			"qrcode":                        qrcode,
			"qrcode_url":                    "https://esimscan.invalid/qr/" + sim.ICCID,
			"direct_apple_installation_url": "https://esimsetup.apple.com/esim_qrcode_provisioning?carddata=" + qrcode,
			"airalo_code":                   nil,
			"apn_type":                      "automatic",
			"apn_value":                     nil,
			"is_roaming":                    true,
			"confirmation_code":             nil,
			"msisdn":                        nil,
		})
	}
	view["sims"] = sims
	return view
}

// serveOrderList lists orders and top-up orders, newest first. filter[description] matches
// part of the description, case-insensitively, like a SQL LIKE, so a client
// must compare the description itself.
func (s *Server) serveOrderList(w http.ResponseWriter, r *http.Request) {
	values := r.URL.Query()
	limit, page := 25, 1
	if raw := values.Get("limit"); raw != "" {
		parsed, err := strconv.Atoi(raw)
		if err != nil || parsed < 1 {
			writeInvalid(w, "limit", "The limit must be an integer greater than 0.")
			return
		}
		limit = parsed
	}
	if raw := values.Get("page"); raw != "" {
		parsed, err := strconv.Atoi(raw)
		if err != nil || parsed < 1 {
			writeInvalid(w, "page", "The page must be an integer greater than 0.")
			return
		}
		page = parsed
	}
	filter := strings.ToLower(values.Get("filter[description]"))
	withSIMs := strings.Contains(values.Get("include"), "sims")

	s.mu.Lock()
	defer s.mu.Unlock()
	var matching []listedOrder
	for _, listed := range s.listedOrders() {
		if strings.Contains(strings.ToLower(listed.description), filter) {
			matching = append(matching, listed)
		}
	}
	lastPage := max((len(matching)+limit-1)/limit, 1)
	views := []map[string]any{}
	for i := (page - 1) * limit; i < len(matching) && i < page*limit; i++ {
		views = append(views, matching[i].view(withSIMs))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"data": views,
		"meta": map[string]any{
			"message": "success", "current_page": page, "last_page": lastPage,
			"per_page": strconv.Itoa(limit), "total": len(matching),
		},
	})
}

// listedOrder is an order or a top-up order in GET /v2/orders.
type listedOrder struct {
	id          int64
	description string
	view        func(withSIMs bool) map[string]any
}

// listedOrders returns the orders and top-up orders, newest first. The
// caller holds s.mu.
func (s *Server) listedOrders() []listedOrder {
	listed := make([]listedOrder, 0, len(s.orders)+len(s.topUps))
	for _, placed := range s.orders {
		listed = append(listed, listedOrder{
			id:          placed.ID,
			description: placed.Description,
			view:        func(withSIMs bool) map[string]any { return orderView(placed, withSIMs) },
		})
	}
	for _, sold := range s.topUps {
		listed = append(listed, listedOrder{
			id:          sold.ID,
			description: sold.Description,
			view:        func(bool) map[string]any { return topUpView(sold) },
		})
	}
	sort.Slice(listed, func(i, j int) bool { return listed[i].id > listed[j].id })
	return listed
}

// serveOrderByID returns one order or top-up order; an unknown id is HTTP
// 404.
func (s *Server) serveOrderByID(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, PathOrders+"/"), 10, 64)
	withSIMs := strings.Contains(r.URL.Query().Get("include"), "sims")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, listed := range s.listedOrders() {
		if err == nil && listed.id == id {
			writeJSON(w, http.StatusOK, map[string]any{"data": listed.view(withSIMs), "meta": map[string]string{"message": "success"}})
			return
		}
	}
	writeJSON(w, http.StatusNotFound, metaBody("messages.resource_not_found"))
}

func randomMatchingID() string {
	var id [10]byte
	_, _ = rand.Read(id[:])
	text := strings.ToUpper(hex.EncodeToString(id[:]))
	return text[0:5] + "-" + text[5:10] + "-" + text[10:15] + "-" + text[15:20]
}

// Orders returns the accepted orders, oldest first.
func (s *Server) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	orders := make([]Order, 0, len(s.orders))
	for _, placed := range s.orders {
		copied := *placed
		copied.SIMs = append([]SIM(nil), placed.SIMs...)
		orders = append(orders, copied)
	}
	return orders
}

// writeInsufficientCredit refuses a purchase with Airalo's business code
// 11. Airalo lists the code and its reason with HTTP 422, and the
// {"code", "reason"} body is our reading.
func writeInsufficientCredit(w http.ResponseWriter) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"code": 11, "reason": "Insufficient Airalo Credit: the balance is lower than the order total.",
	})
}
