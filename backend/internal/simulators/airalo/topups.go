package airalo

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"esimscan/backend/money"
)

// packageTypeTopUp marks a package that adds data to an issued eSIM.
const packageTypeTopUp = "topup"

// topUpSuffix ends the id of a top-up the simulator derives from a package
// whose operator lists no top-up, as in Airalo's "...-topup" ids.
const topUpSuffix = "-topup"

// TopUp is one top-up order the simulator accepted.
type TopUp struct {
	ID          int64        `json:"id"`
	Code        string       `json:"code"`
	ICCID       string       `json:"iccid"`
	PackageID   string       `json:"package_id"`
	PackageName string       `json:"package"`
	Data        string       `json:"data"`
	Validity    int          `json:"validity"`
	Description string       `json:"description"`
	Price       money.Amount `json:"price"`     // USD, retail
	NetPrice    money.Amount `json:"net_price"` // USD, charged to the partner
	CreatedAt   time.Time    `json:"created_at"`
}

// SIMTopUpsPath returns the path of GET /v2/sims/{iccid}/topups.
func SIMTopUpsPath(iccid string) string {
	return PathSIMs + "/" + iccid + "/topups"
}

func isSIMTopUpsPath(path string) bool {
	_, ok := iccidOfTopUpsPath(path)
	return ok
}

func iccidOfTopUpsPath(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, PathSIMs+"/")
	if !ok {
		return "", false
	}
	iccid, ok := strings.CutSuffix(rest, "/topups")
	return iccid, ok && iccid != "" && !strings.Contains(iccid, "/")
}

// findSIM returns the order that issued the eSIM with this ICCID. The
// caller holds s.mu.
func (s *Server) findSIM(iccid string) (*Order, bool) {
	for _, placed := range s.orders {
		for _, sim := range placed.SIMs {
			if sim.ICCID == iccid {
				return placed, true
			}
		}
	}
	return nil, false
}

// topUpsFor returns the top-ups of an eSIM: the top-up packages its
// operator lists, or else one derived from the eSIM's package with the same
// data, days and prices, so that every eSIM the simulator issues can be
// topped up. The caller holds s.mu.
func (s *Server) topUpsFor(placed *Order) []Package {
	base, operator, ok := s.catalog.lookup(placed.PackageID)
	if !ok {
		return nil
	}
	var topUps []Package
	for _, pkg := range operator.Packages {
		if pkg.Type == packageTypeTopUp {
			topUps = append(topUps, pkg)
		}
	}
	if len(topUps) == 0 {
		derived := base
		derived.ID = base.ID + topUpSuffix
		derived.Type = packageTypeTopUp
		topUps = append(topUps, derived)
	}
	return topUps
}

// serveSIMTopUps lists the top-ups of an issued eSIM, as GET
// /v2/sims/{iccid}/topups does. An unknown ICCID is HTTP 404.
func (s *Server) serveSIMTopUps(w http.ResponseWriter, r *http.Request) {
	iccid, _ := iccidOfTopUpsPath(r.URL.Path)
	s.mu.Lock()
	defer s.mu.Unlock()
	placed, ok := s.findSIM(iccid)
	if !ok {
		writeJSON(w, http.StatusNotFound, metaBody("messages.resource_not_found"))
		return
	}
	views := []map[string]any{}
	for _, pkg := range s.topUpsFor(placed) {
		views = append(views, topUpPackageView(pkg))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"pricing": map[string]any{"model": "net_pricing", "discount_percentage": 0},
		"data":    views,
	})
}

// topUpPackageView is a package with the fields of Airalo's top-up list.
func topUpPackageView(pkg Package) map[string]any {
	return map[string]any{
		"id":           pkg.ID,
		"type":         pkg.Type,
		"price":        pkg.Price,
		"amount":       pkg.Amount,
		"day":          pkg.Day,
		"is_unlimited": pkg.IsUnlimited,
		"title":        pkg.Title,
		"data":         pkg.Data,
		"short_info":   pkg.ShortInfo,
		"voice":        pkg.Voice,
		"text":         pkg.Text,
		"net_price":    pkg.NetPrice,
		"prices":       pkg.Prices,
	}
}

// serveTopUpOrder buys a top-up from form fields, as POST
// /v2/orders/topups does: every call buys again, whatever its description.
// An unknown ICCID is HTTP 404; a package that cannot top up the eSIM is
// HTTP 422.
func (s *Server) serveTopUpOrder(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(maxFormBytes); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		writeInvalid(w, "package_id", "The request body could not be read.")
		return
	}
	packageID, iccid := r.PostForm.Get("package_id"), r.PostForm.Get("iccid")
	missing := map[string]string{}
	if iccid == "" {
		missing["iccid"] = "The iccid field is required."
	}
	if packageID == "" {
		missing["package_id"] = "The package id field is required."
	}
	if len(missing) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
			"data": missing, "meta": map[string]string{"message": "the parameter is invalid"},
		})
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	placed, ok := s.findSIM(iccid)
	if !ok {
		writeJSON(w, http.StatusNotFound, metaBody("messages.resource_not_found"))
		return
	}
	var pkg *Package
	for _, candidate := range s.topUpsFor(placed) {
		if candidate.ID == packageID {
			pkg = &candidate
			break
		}
	}
	if pkg == nil {
		writeInvalid(w, "package_id", "invalid topup package")
		return
	}
	netPrice, err1 := money.ParseAmount(pkg.NetPrice.String())
	price, err2 := money.ParseAmount(pkg.Price.String())
	if err1 != nil || err2 != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"code": 34, "reason": "Package is invalid or out of stock."})
		return
	}
	if netPrice > s.balance {
		writeInsufficientCredit(w)
		return
	}
	s.balance -= netPrice
	sold := s.newTopUp(*pkg, placed, iccid, r.PostForm.Get("description"), price, netPrice)
	s.topUps = append(s.topUps, sold)
	writeJSON(w, http.StatusOK, map[string]any{"data": topUpView(sold), "meta": map[string]string{"message": "success"}})
}

// newTopUp records a top-up order. Without a description it gets Airalo's
// default, "Topup (<iccid>)". The caller holds s.mu.
func (s *Server) newTopUp(pkg Package, placed *Order, iccid, description string, price, netPrice money.Amount) *TopUp {
	now := s.opts.Now().UTC()
	s.sequence++
	if description == "" {
		description = "Topup (" + iccid + ")"
	}
	_, operator, _ := s.catalog.lookup(placed.PackageID)
	sold := &TopUp{
		ID:          700_000 + s.sequence,
		ICCID:       iccid,
		PackageID:   pkg.ID,
		PackageName: operator.Title + "-" + pkg.Title,
		Data:        pkg.Data,
		Validity:    pkg.Day,
		Description: description,
		Price:       price,
		NetPrice:    netPrice,
		CreatedAt:   now,
	}
	sold.Code = fmt.Sprintf("%s-%06d", now.Format("20060102"), sold.ID)
	return sold
}

// topUpView is a top-up order as Airalo returns it.
func topUpView(sold *TopUp) map[string]any {
	return map[string]any{
		"id":                  sold.ID,
		"code":                sold.Code,
		"package_id":          sold.PackageID,
		"currency":            "USD",
		"quantity":            1,
		"type":                packageTypeTopUp,
		"description":         sold.Description,
		"esim_type":           "Prepaid",
		"validity":            sold.Validity,
		"package":             sold.PackageName,
		"data":                sold.Data,
		"price":               json.Number(sold.Price.String()),
		"pricing_model":       "net_pricing",
		"text":                nil,
		"voice":               nil,
		"net_price":           json.Number(sold.NetPrice.String()),
		"created_at":          sold.CreatedAt.Format(createdAtLayout),
		"manual_installation": "",
		"qrcode_installation": "",
		"installation_guides": map[string]string{"en": "https://esimscan.invalid/help"},
	}
}

// TopUps returns the accepted top-ups, oldest first.
func (s *Server) TopUps() []TopUp {
	s.mu.Lock()
	defer s.mu.Unlock()
	topUps := make([]TopUp, 0, len(s.topUps))
	for _, sold := range s.topUps {
		topUps = append(topUps, *sold)
	}
	return topUps
}
