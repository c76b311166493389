package esimgo

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PathESIMs starts the per-eSIM paths: GET /esims/{iccid}/bundles lists
// the bundles applied to an eSIM, and GET
// /esims/{iccid}/compatible/{bundle} checks whether a bundle can top it up.
const PathESIMs = "/esims/"

// Bounds of the limit of GET /esims/{iccid}/bundles, as eSIM Go documents
// them.
const (
	defaultAssignmentLimit = 15
	maxAssignmentLimit     = 200
)

// bytesPerMB converts dataAmount to the bytes of an assignment's quantity:
// eSIM Go counts 1000 MB per GB, and the provider's usage sample 10^9
// bytes per GB.
const bytesPerMB = 1_000_000

// ESIMBundlesPath returns the path of GET /esims/{iccid}/bundles.
func ESIMBundlesPath(iccid string) string {
	return PathESIMs + iccid + "/bundles"
}

// CompatiblePath returns the path of GET /esims/{iccid}/compatible/{bundle}.
func CompatiblePath(iccid, bundle string) string {
	return PathESIMs + iccid + "/compatible/" + bundle
}

// TopUp is one bundle the simulator applied to an eSIM it had issued, by a
// transaction with iccids.
type TopUp struct {
	OrderReference string    `json:"orderReference"`
	ICCID          string    `json:"iccid"`
	Bundle         string    `json:"bundle"`
	Price          string    `json:"price"` // decimal, in Currency
	Currency       string    `json:"currency"`
	CreatedAt      time.Time `json:"createdAt"`
}

// esimRoute splits /esims/{iccid}/bundles and /esims/{iccid}/compatible/{bundle}.
func esimRoute(path string) (iccid, bundle string, compatible, ok bool) {
	rest, found := strings.CutPrefix(path, PathESIMs)
	if !found {
		return "", "", false, false
	}
	parts := strings.Split(rest, "/")
	switch {
	case len(parts) == 2 && parts[0] != "" && parts[1] == "bundles":
		return parts[0], "", false, true
	case len(parts) == 3 && parts[0] != "" && parts[1] == "compatible" && parts[2] != "":
		return parts[0], parts[2], true, true
	}
	return "", "", false, false
}

// esimHandler returns the handler of a GET on a per-eSIM path, or nil.
func (s *Server) esimHandler(path string) http.HandlerFunc {
	_, _, compatible, ok := esimRoute(path)
	switch {
	case !ok:
		return nil
	case compatible:
		return s.serveCompatible
	default:
		return s.serveESIMBundles
	}
}

// issuedESIM returns the eSIM with this ICCID and the bundle it was issued
// with. The caller holds s.mu.
func (s *Server) issuedESIM(iccid string) (ESIM, bool) {
	for _, placed := range s.orders {
		if placed.isTopUp() {
			continue
		}
		for _, esim := range placed.ESIMs {
			if esim.ICCID == iccid {
				return esim, true
			}
		}
	}
	return ESIM{}, false
}

// compatible reports whether bundle can top up esim: the simulator's rule
// is that it covers the same countries as the bundle the eSIM was issued
// with and was not marked incompatible. The caller holds s.mu.
func (s *Server) compatible(esim ESIM, bundle Bundle) bool {
	if s.incompatible[bundle.Name] {
		return false
	}
	issued, ok := s.catalog.lookup(esim.Item)
	if !ok {
		return false
	}
	return slices.Equal(countryCodes(issued), countryCodes(bundle))
}

// countryCodes returns the sorted ISO codes of a bundle's countries.
func countryCodes(bundle Bundle) []string {
	codes := make([]string, 0, len(bundle.Countries))
	for _, country := range bundle.Countries {
		codes = append(codes, strings.ToUpper(country.ISO))
	}
	slices.Sort(codes)
	return slices.Compact(codes)
}

// checkTopUpLine returns the message of a 400 for an order line with
// iccids that cannot top up those eSIMs, or "". The caller holds s.mu.
func (s *Server) checkTopUpLine(assign bool, item string, quantity int, iccids []string, allowReassign bool) string {
	switch {
	case !assign:
		return "iccids can only be specified if assign is true"
	case quantity != len(iccids):
		return "quantity must match the number of iccids"
	case allowReassign:
		return "allowReassign is not simulated"
	}
	bundle, ok := s.catalog.lookup(item)
	if !ok {
		return "Bundle " + item + " not found in catalogue"
	}
	for _, iccid := range iccids {
		esim, ok := s.issuedESIM(iccid)
		if !ok {
			return "eSIM " + iccid + " not found"
		}
		if !s.compatible(esim, bundle) {
			return "Bundle " + item + " is not compatible with eSIM " + iccid
		}
	}
	return ""
}

// toppedUp returns the eSIMs a top-up line applies its bundle to. The
// caller holds s.mu.
func (s *Server) toppedUp(line OrderLine) []ESIM {
	esims := make([]ESIM, 0, len(line.ICCIDs))
	for _, iccid := range line.ICCIDs {
		esim, _ := s.issuedESIM(iccid)
		esim.Item = line.Item
		esims = append(esims, esim)
	}
	return esims
}

// isTopUp reports whether the order applied bundles to existing eSIMs.
func (o *Order) isTopUp() bool {
	for _, line := range o.Lines {
		if len(line.ICCIDs) > 0 {
			return true
		}
	}
	return false
}

// serveESIMBundles lists the bundles applied to an eSIM, newest
// assignment first and at most limit assignments, as GET
// /esims/{iccid}/bundles does. An unknown ICCID is HTTP 400, as eSIM Go
// documents for an ICCID it does not find.
func (s *Server) serveESIMBundles(w http.ResponseWriter, r *http.Request) {
	iccid, _, _, _ := esimRoute(stripVersion(r.URL.Path))
	limit := defaultAssignmentLimit
	if text := r.URL.Query().Get("limit"); text != "" {
		value, err := strconv.Atoi(text)
		if err != nil || value < 1 || value > maxAssignmentLimit {
			writeMessage(w, http.StatusBadRequest, "limit must be between 1 and 200")
			return
		}
		limit = value
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.issuedESIM(iccid); !ok {
		writeMessage(w, http.StatusBadRequest, "eSIM "+iccid+" not found")
		return
	}
	var order []string
	byName := map[string][]map[string]any{}
	for i := len(s.orders) - 1; i >= 0 && limit > 0; i-- {
		placed := s.orders[i]
		for _, esim := range placed.ESIMs {
			if esim.ICCID != iccid || limit == 0 {
				continue
			}
			limit--
			if _, seen := byName[esim.Item]; !seen {
				order = append(order, esim.Item)
			}
			byName[esim.Item] = append(byName[esim.Item], s.assignmentView(placed, esim))
		}
	}
	bundles := make([]map[string]any, 0, len(order))
	for _, name := range order {
		description := name
		if bundle, ok := s.catalog.lookup(name); ok {
			description = bundle.Description
		}
		bundles = append(bundles, map[string]any{"name": name, "description": description, "assignments": byName[name]})
	}
	s.applyUsage(iccid, bundles)
	writeJSON(w, http.StatusOK, map[string]any{"bundles": bundles})
}

// assignmentView is one assignment of a bundle to an eSIM, unused. The
// caller holds s.mu.
func (s *Server) assignmentView(placed *Order, esim ESIM) map[string]any {
	var quantity int64
	unlimited := false
	if bundle, ok := s.catalog.lookup(esim.Item); ok {
		unlimited = bundle.Unlimited
		if !unlimited {
			quantity = bundle.DataAmount * bytesPerMB
		}
	}
	return map[string]any{
		"id":                  placed.OrderReference[:8],
		"callTypeGroup":       "data",
		"initialQuantity":     quantity,
		"remainingQuantity":   quantity,
		"assignmentDateTime":  placed.CreatedAt.Format(time.RFC3339Nano),
		"assignmentReference": placed.OrderReference,
		"bundleState":         "queued",
		"unlimited":           unlimited,
	}
}

// serveCompatible returns {"compatible": bool} for an eSIM and a bundle,
// as GET /esims/{iccid}/compatible/{bundle} does in v2.4. An unknown ICCID
// or bundle is HTTP 400.
func (s *Server) serveCompatible(w http.ResponseWriter, r *http.Request) {
	iccid, name, _, _ := esimRoute(stripVersion(r.URL.Path))
	s.mu.Lock()
	defer s.mu.Unlock()
	esim, ok := s.issuedESIM(iccid)
	if !ok {
		writeMessage(w, http.StatusBadRequest, "eSIM "+iccid+" not found")
		return
	}
	bundle, ok := s.catalog.lookup(name)
	if !ok {
		writeMessage(w, http.StatusBadRequest, "Bundle "+name+" not found in catalogue")
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"compatible": s.compatible(esim, bundle)})
}

// MarkIncompatible makes bundles incompatible with every eSIM, as when
// eSIM Go sells them on another network than the eSIMs'.
func (s *Server) MarkIncompatible(names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, name := range names {
		s.incompatible[name] = true
	}
}

// TopUps returns the bundles applied to issued eSIMs, oldest first.
func (s *Server) TopUps() []TopUp {
	s.mu.Lock()
	defer s.mu.Unlock()
	topUps := []TopUp{}
	for _, placed := range s.orders {
		for _, line := range placed.Lines {
			for _, iccid := range line.ICCIDs {
				topUps = append(topUps, TopUp{
					OrderReference: placed.OrderReference, ICCID: iccid, Bundle: line.Item,
					Price: line.PricePerUnit, Currency: placed.Currency, CreatedAt: placed.CreatedAt,
				})
			}
		}
	}
	return topUps
}

// matchesCountries reports whether one of the bundle's countries is in
// codes, the upper-case ISO codes of a catalogue countries filter.
func matchesCountries(bundle Bundle, codes []string) bool {
	for _, country := range bundle.Countries {
		if slices.Contains(codes, strings.ToUpper(country.ISO)) {
			return true
		}
	}
	return false
}

// countriesFilter reads the comma-separated ISO codes of a catalogue
// countries query, or nil for none.
func countriesFilter(r *http.Request) []string {
	var codes []string
	for _, code := range strings.Split(r.URL.Query().Get("countries"), ",") {
		if code = strings.ToUpper(strings.TrimSpace(code)); code != "" {
			codes = append(codes, code)
		}
	}
	return codes
}

func nonNil(values []string) []string {
	if values == nil {
		return []string{}
	}
	return values
}
