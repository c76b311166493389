package adapters

import "strings"

// BytesPerMB is the size of esimScan's MB, the unit of Package.DataMB.
const BytesPerMB = 1 << 20

// BytesToMB converts a positive byte count to MB of BytesPerMB bytes,
// rounded to the nearest MB but never down to 0, which would mean
// unlimited.
func BytesToMB(bytes int64) int64 {
	return max((bytes+BytesPerMB/2)/BytesPerMB, 1)
}

// ValidAdvancedPath reports whether path can be an advanced path override:
// it starts with a single "/" and has no query, fragment, backslash, "..",
// ASCII space or ASCII control character.
func ValidAdvancedPath(path string) bool {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		return false
	}
	if strings.ContainsAny(path, "?#\\") || strings.Contains(path, "..") {
		return false
	}
	for _, r := range path {
		if r <= ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

// AdvancedValue returns the override of key in advanced with surrounding
// spaces trimmed, or defaults[key] when the override is empty or absent.
func AdvancedValue(advanced, defaults map[string]string, key string) string {
	if value := strings.TrimSpace(advanced[key]); value != "" {
		return value
	}
	return defaults[key]
}
