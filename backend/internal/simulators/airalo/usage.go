package airalo

import (
	"net/http"
	"strings"
)

// SIMUsagePath returns the path of GET /v2/sims/{iccid}/usage.
func SIMUsagePath(iccid string) string {
	return PathSIMs + "/" + iccid + "/usage"
}

func isSIMUsagePath(path string) bool {
	_, ok := iccidOfUsagePath(path)
	return ok
}

func iccidOfUsagePath(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, PathSIMs+"/")
	if !ok {
		return "", false
	}
	iccid, ok := strings.CutSuffix(rest, "/usage")
	return iccid, ok && iccid != "" && !strings.Contains(iccid, "/")
}

// SetUsage sets the MB an eSIM has used, as the next usage call reports
// them.
func (s *Server) SetUsage(iccid string, usedMB int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.usedMB == nil {
		s.usedMB = map[string]int64{}
	}
	s.usedMB[iccid] = usedMB
}

// serveSIMUsage reports the data use of an issued eSIM, as GET
// /v2/sims/{iccid}/usage does: MB of 1024 per GB, the package's data plus
// its top-ups, expiring the package's days after the order. An unknown
// ICCID is HTTP 404.
func (s *Server) serveSIMUsage(w http.ResponseWriter, r *http.Request) {
	iccid, _ := iccidOfUsagePath(r.URL.Path)
	s.mu.Lock()
	defer s.mu.Unlock()
	placed, ok := s.findSIM(iccid)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"data": []any{}, "meta": map[string]string{"message": "messages.resource_not_found"}})
		return
	}

	base, _, _ := s.catalog.lookup(placed.PackageID)
	total := base.Amount
	for _, topUp := range s.topUps {
		if topUp.ICCID == iccid {
			total += base.Amount
		}
	}

	used := s.usedMB[iccid]
	status := "NOT_ACTIVE"
	switch {
	case !base.IsUnlimited && used >= total:
		status = "FINISHED"
	case used > 0:
		status = "ACTIVE"
	}

	data := map[string]any{
		"remaining":       max(total-used, 0),
		"total":           total,
		"expired_at":      placed.CreatedAt.AddDate(0, 0, max(placed.Validity, 1)).UTC().Format("2006-01-02 15:04:05"),
		"is_unlimited":    base.IsUnlimited,
		"status":          status,
		"remaining_voice": 0,
		"remaining_text":  0,
		"total_voice":     0,
		"total_text":      0,
	}
	if base.IsUnlimited {
		data["remaining"], data["total"] = 0, 0
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": map[string]string{"message": "success"}})
}
