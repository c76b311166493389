package esimaccess

import (
	"encoding/json"
	"net/http"
	"time"
)

// topUpPrefix starts the code of every top-up package, as in the
// provider's "TOPUP_..." codes. The simulator offers one top-up per base
// package that supports them: the same data and days at the same price.
const topUpPrefix = "TOPUP_"

// TopUp is one top-up the simulator sold.
type TopUp struct {
	TransactionID string    `json:"transactionId"`
	ICCID         string    `json:"iccid"`
	ESIMTranNo    string    `json:"esimTranNo"`
	PackageCode   string    `json:"packageCode"`
	Amount        int64     `json:"amount"` // 1/10,000 USD charged
	At            time.Time `json:"at"`
}

// topUpOf returns the top-up package of a base package, and false when the
// base package does not support top-ups (supportTopUpType 1).
func topUpOf(base Package) (Package, bool) {
	if base.SupportTopUpType < 2 {
		return Package{}, false
	}
	topUp := base
	topUp.PackageCode = topUpPrefix + base.PackageCode
	topUp.Slug = base.Slug + "_TOPUP"
	topUp.Name = base.Name + " Top-up"
	topUp.SupportTopUpType = 1
	topUp.LocationNetworkList = append([]Location(nil), base.LocationNetworkList...)
	return topUp, true
}

// findESIM returns an allocated eSIM by ICCID or esimTranNo. The caller
// holds s.mu.
func (s *Server) findESIM(iccid, tranNo string) (ESIM, bool) {
	for _, placed := range s.orders {
		for _, esim := range placed.ESIMs {
			if (iccid != "" && esim.ICCID == iccid) || (tranNo != "" && esim.ESIMTranNo == tranNo) {
				return esim, true
			}
		}
	}
	return ESIM{}, false
}

// topUpsFor returns the top-up packages of an allocated eSIM. The caller
// holds s.mu.
func (s *Server) topUpsFor(esim ESIM) []Package {
	base, ok := s.catalog.lookup(esim.PackageCode)
	if !ok {
		return nil
	}
	topUp, ok := topUpOf(base)
	if !ok {
		return nil
	}
	return []Package{topUp}
}

// serveTopUpList answers a package list of type TOPUP: the top-ups of the
// eSIM named by iccid, or of the base package named by packageCode.
func (s *Server) serveTopUpList(w http.ResponseWriter, filter listFilter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := []Package{}
	switch {
	case filter.ICCID != "":
		esim, ok := s.findESIM(filter.ICCID, "")
		if !ok {
			writeError(w, "310211", "ICCID ["+filter.ICCID+"] does not exist")
			return
		}
		list = append(list, s.topUpsFor(esim)...)
	case filter.PackageCode != "":
		if base, ok := s.catalog.lookup(filter.PackageCode); ok {
			if topUp, ok := topUpOf(base); ok {
				list = append(list, topUp)
			}
		}
	}
	writeObj(w, map[string]any{"packageList": list})
}

type topUpRequest struct {
	ESIMTranNo    string `json:"esimTranNo"`
	ICCID         string `json:"iccid"`
	PackageCode   string `json:"packageCode"`
	TransactionID string `json:"transactionId"`
	Amount        *int64 `json:"amount"`
}

// serveTopUp sells a top-up for an allocated eSIM. A repeated
// transactionId returns the first top-up and charges nothing.
func (s *Server) serveTopUp(w http.ResponseWriter, r *http.Request) {
	var req topUpRequest
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
	case req.PackageCode == "":
		writeError(w, "000105", "Mandatory parameter [packageCode] is missing")
		return
	case req.ICCID == "" && req.ESIMTranNo == "":
		writeError(w, "000105", "Mandatory parameter [iccid] or [esimTranNo] is missing")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if existing, ok := s.topUpTxn[req.TransactionID]; ok {
		writeObj(w, topUpView(existing))
		return
	}
	esim, ok := s.findESIM(req.ICCID, req.ESIMTranNo)
	if !ok {
		writeError(w, "310211", "ICCID ["+req.ICCID+"] does not exist")
		return
	}
	var pkg *Package
	for _, topUp := range s.topUpsFor(esim) {
		if topUp.PackageCode == req.PackageCode || topUp.Slug == req.PackageCode {
			pkg = &topUp
			break
		}
	}
	switch {
	case pkg == nil:
		writeError(w, "310241", "Package code ["+req.PackageCode+"] cannot top up this eSIM")
		return
	case req.Amount != nil && *req.Amount != pkg.Price:
		writeError(w, "200006", "Order amount is wrong")
		return
	case pkg.Price > s.balance:
		writeError(w, "200007", "Insufficient account balance")
		return
	}
	s.balance -= pkg.Price
	sold := &TopUp{
		TransactionID: req.TransactionID,
		ICCID:         esim.ICCID,
		ESIMTranNo:    esim.ESIMTranNo,
		PackageCode:   pkg.PackageCode,
		Amount:        pkg.Price,
		At:            s.opts.Now(),
	}
	s.topUps = append(s.topUps, sold)
	s.topUpTxn[sold.TransactionID] = sold
	writeObj(w, topUpView(sold))
}

func topUpView(topUp *TopUp) map[string]any {
	return map[string]any{
		"transactionId":   topUp.TransactionID,
		"iccid":           topUp.ICCID,
		"expiredTime":     topUp.At.AddDate(0, 0, 30).UTC().Format(time.RFC3339),
		"topUpEsimTranNo": topUp.ESIMTranNo,
	}
}

// TopUps returns the top-ups sold so far, oldest first.
func (s *Server) TopUps() []TopUp {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]TopUp, 0, len(s.topUps))
	for _, topUp := range s.topUps {
		out = append(out, *topUp)
	}
	return out
}
