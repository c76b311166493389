package esimgo

import (
	"encoding/csv"
	"net/http"
	"strings"
	"time"
)

// serveOrderList pages through the charged orders, oldest first, filtered
// by createdAt=gte:<time> and createdAt=lte:<time>. includeIccids=true adds
// the eSIMs. The response is {"orders": [...], "pageCount", "rows"}, our
// reading of a shape eSIM Go does not document.
func (s *Server) serveOrderList(w http.ResponseWriter, r *http.Request) {
	page, limit, ok := pageParams(w, r, DefaultOrderLimit)
	if !ok {
		return
	}
	from, to, ok := createdRange(w, r.URL.Query()["createdAt"])
	if !ok {
		return
	}
	withESIMs := r.URL.Query().Get("includeIccids") == "true"

	s.mu.Lock()
	defer s.mu.Unlock()
	var matching []*Order
	for _, placed := range s.orders {
		if (!from.IsZero() && placed.CreatedAt.Before(from)) || (!to.IsZero() && placed.CreatedAt.After(to)) {
			continue
		}
		matching = append(matching, placed)
	}
	views := []map[string]any{}
	for i := (page - 1) * limit; i < len(matching) && i < page*limit; i++ {
		views = append(views, s.orderView(matching[i], withESIMs))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"orders": views, "pageCount": (len(matching) + limit - 1) / limit, "rows": len(matching),
	})
}

// createdRange reads the gte: and lte: bounds of createdAt, writing a 400
// when one is unreadable.
func createdRange(w http.ResponseWriter, values []string) (from, to time.Time, ok bool) {
	for _, value := range values {
		prefix, text, found := strings.Cut(value, ":")
		at, err := time.Parse(time.RFC3339Nano, text)
		if !found || err != nil || (prefix != "gte" && prefix != "lte") {
			writeMessage(w, http.StatusBadRequest, "createdAt must be gte:<RFC 3339 time> or lte:<RFC 3339 time>")
			return time.Time{}, time.Time{}, false
		}
		if prefix == "gte" {
			from = at
		} else {
			to = at
		}
	}
	return from, to, true
}

// serveOrderDetail returns one order with its eSIMs.
func (s *Server) serveOrderDetail(w http.ResponseWriter, r *http.Request) {
	reference := strings.TrimPrefix(stripVersion(r.URL.Path), PathOrders+"/")
	s.mu.Lock()
	defer s.mu.Unlock()
	placed, ok := s.byRef[reference]
	if !ok {
		writeMessage(w, http.StatusBadRequest, "Order "+reference+" not found")
		return
	}
	writeJSON(w, http.StatusOK, s.orderView(placed, true))
}

// serveAssignments returns the eSIMs of an order by reference: JSON when
// the Accept header requests application/json, CSV otherwise, as eSIM Go
// does. With Options.AsyncOrders the first AssignmentPolls queries find
// none.
func (s *Server) serveAssignments(w http.ResponseWriter, r *http.Request) {
	reference := r.URL.Query().Get("reference")
	if reference == "" {
		writeMessage(w, http.StatusBadRequest, "reference is required")
		return
	}
	s.mu.Lock()
	placed, ok := s.byRef[reference]
	if ok && placed.Status != "Completed" {
		placed.Polls++
		if placed.Polls > s.opts.AssignmentPolls {
			s.assign(placed)
		}
	}
	var esims []ESIM
	if ok {
		esims = append(esims, placed.ESIMs...)
	}
	s.mu.Unlock()
	if !ok {
		writeMessage(w, http.StatusBadRequest, "Order "+reference+" not found")
		return
	}

	if !strings.Contains(r.Header.Get("Accept"), "application/json") {
		writeAssignmentsCSV(w, reference, esims)
		return
	}
	views := make([]map[string]string, 0, len(esims))
	for _, esim := range esims {
		views = append(views, map[string]string{
			"iccid": esim.ICCID, "matchingId": esim.MatchingID, "smdpAddress": esim.SMDPAddress,
			"profileStatus": "Released", "pin": "1234", "puk": "12345678", "firstInstalledDateTime": "",
			"rspUrl": "LPA:1$" + esim.SMDPAddress + "$" + esim.MatchingID,
			"bundle": esim.Item, "reference": reference,
		})
	}
	writeJSON(w, http.StatusOK, views)
}

func writeAssignmentsCSV(w http.ResponseWriter, reference string, esims []ESIM) {
	w.Header().Set("Content-Type", "text/csv")
	w.WriteHeader(http.StatusOK)
	out := csv.NewWriter(w)
	_ = out.Write([]string{"ICCID", "Matching ID", "RSP URL", "Bundle", "Reference"})
	for _, esim := range esims {
		_ = out.Write([]string{esim.ICCID, esim.MatchingID, esim.SMDPAddress, esim.Item, reference})
	}
	out.Flush()
}
