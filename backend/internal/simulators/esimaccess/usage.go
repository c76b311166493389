package esimaccess

import (
	"encoding/json"
	"net/http"
	"time"
)

// maxUsageQuery is the most esimTranNo values one usage query takes.
const maxUsageQuery = 10

// timeLayout is the format of eSIM Access times, such as
// "2025-06-13T06:00:00+0000".
const timeLayout = "2006-01-02T15:04:05-0700"

// SetUsage sets the bytes an eSIM has used, as the next usage query
// reports them.
func (s *Server) SetUsage(iccid string, usedBytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used == nil {
		s.used = map[string]int64{}
	}
	s.used[iccid] = usedBytes
}

// findPlaced returns an allocated eSIM and its order by ICCID or
// esimTranNo. The caller holds s.mu.
func (s *Server) findPlaced(iccid, tranNo string) (*Order, ESIM, bool) {
	for _, placed := range s.orders {
		for _, esim := range placed.ESIMs {
			if (iccid != "" && esim.ICCID == iccid) || (tranNo != "" && esim.ESIMTranNo == tranNo) {
				return placed, esim, true
			}
		}
	}
	return nil, ESIM{}, false
}

// totalBytes returns the data of an eSIM's package plus its top-ups, and 0
// for a daily unlimited package. The caller holds s.mu.
func (s *Server) totalBytes(esim ESIM) int64 {
	base, ok := s.catalog.lookup(esim.PackageCode)
	if !ok || base.DataType == 4 {
		return 0
	}
	perPackage := int64(0)
	switch {
	case base.Volume != nil:
		perPackage = *base.Volume
	case base.DataAmount != nil:
		perPackage = *base.DataAmount << 20
	}
	total := perPackage
	for _, topUp := range s.topUps {
		if topUp.ICCID == esim.ICCID {
			total += perPackage
		}
	}
	return total
}

// expiry returns when an eSIM's package runs out, counted from the order.
// The caller holds s.mu.
func (s *Server) expiry(placed *Order, esim ESIM) time.Time {
	days := 30
	if base, ok := s.catalog.lookup(esim.PackageCode); ok && base.Duration > 0 {
		days = base.Duration
	}
	return placed.PlacedAt.AddDate(0, 0, days).UTC()
}

// esimStatus derives an esimStatus from the bytes used.
func esimStatus(used, total int64) string {
	switch {
	case total > 0 && used >= total:
		return "USED_UP"
	case used > 0:
		return "IN_USE"
	default:
		return "GOT_RESOURCE"
	}
}

// serveQueryByICCID serves esim/query with an iccid and no orderNo: the
// one eSIM, with its volume, usage, status and expiry.
func (s *Server) serveQueryByICCID(w http.ResponseWriter, iccid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	placed, esim, ok := s.findPlaced(iccid, "")
	if !ok {
		writeError(w, "310211", "ICCID ["+iccid+"] does not exist")
		return
	}
	view := esimView(placed, esim)
	total, used := s.totalBytes(esim), s.used[esim.ICCID]
	view["totalVolume"] = total
	view["orderUsage"] = used
	view["esimStatus"] = esimStatus(used, total)
	view["expiredTime"] = s.expiry(placed, esim).Format(timeLayout)
	writeObj(w, map[string]any{
		"esimList": []map[string]any{view},
		"pager":    map[string]int{"pageSize": 5, "pageNum": 1, "total": 1},
	})
}

type usageRecord struct {
	ESIMTranNo     string `json:"esimTranNo"`
	DataUsage      int64  `json:"dataUsage"`
	TotalData      int64  `json:"totalData"`
	LastUpdateTime string `json:"lastUpdateTime"`
}

// serveUsage serves esim/usage/query for up to 10 eSIMs by esimTranNo.
func (s *Server) serveUsage(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ESIMTranNoList []string `json:"esimTranNoList"`
	}
	body, _ := bodyOf(r)
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, "000104", "Request body is not valid JSON")
		return
	}
	switch {
	case len(req.ESIMTranNoList) == 0:
		writeError(w, "000105", "Mandatory parameter [esimTranNoList] is missing")
		return
	case len(req.ESIMTranNoList) > maxUsageQuery:
		writeError(w, "000107", "Parameter [esimTranNoList] length is wrong")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	list := make([]usageRecord, 0, len(req.ESIMTranNoList))
	for _, tranNo := range req.ESIMTranNoList {
		_, esim, ok := s.findPlaced("", tranNo)
		if !ok {
			writeError(w, "310211", "esimTranNo ["+tranNo+"] does not exist")
			return
		}
		list = append(list, usageRecord{
			ESIMTranNo:     tranNo,
			DataUsage:      s.used[esim.ICCID],
			TotalData:      s.totalBytes(esim),
			LastUpdateTime: s.opts.Now().UTC().Format(timeLayout),
		})
	}
	writeObj(w, map[string]any{"esimUsageList": list})
}
