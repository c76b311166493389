package esimgo

// SetUsage sets the bytes an eSIM has used, as the next listing of its
// bundles reports them.
func (s *Server) SetUsage(iccid string, usedBytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.usedBytes == nil {
		s.usedBytes = map[string]int64{}
	}
	s.usedBytes[iccid] = usedBytes
}

// applyUsage takes the eSIM's used bytes off its assignments, oldest first,
// as a network would use them up: an assignment in use is "active", a used
// up one "depleted". bundles is the listing of serveESIMBundles, newest
// assignment first. The caller holds s.mu.
func (s *Server) applyUsage(iccid string, bundles []map[string]any) {
	used := s.usedBytes[iccid]
	if used <= 0 {
		return
	}
	var assignments []map[string]any
	for _, bundle := range bundles {
		assignments = append(assignments, bundle["assignments"].([]map[string]any)...)
	}
	for i := len(assignments) - 1; i >= 0 && used > 0; i-- {
		assignment := assignments[i]
		if assignment["unlimited"] == true {
			assignment["bundleState"] = "active"
			return
		}
		initial, _ := assignment["initialQuantity"].(int64)
		consumed := min(used, initial)
		used -= consumed
		assignment["remainingQuantity"] = initial - consumed
		assignment["bundleState"] = "active"
		if consumed == initial {
			assignment["bundleState"] = "depleted"
		}
	}
}
