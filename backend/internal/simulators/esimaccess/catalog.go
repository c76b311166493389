package esimaccess

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// samplePackages is the provider's documented package list response: one
// country, regional Europe and Asia, and two day passes.
//
//go:embed samples/packages.json
var samplePackages []byte

// Package is one element of obj.packageList. Volume, DataAmount and
// Location are pointers so that a test can serve the older shape, which
// has dataAmount (MB) and locationCode but no volume or location.
type Package struct {
	PackageCode         string     `json:"packageCode"`
	Slug                string     `json:"slug"`
	Name                string     `json:"name"`
	Price               int64      `json:"price"` // 1/10,000 of CurrencyCode
	CurrencyCode        string     `json:"currencyCode"`
	Volume              *int64     `json:"volume,omitempty"`     // bytes
	DataAmount          *int64     `json:"dataAmount,omitempty"` // MB, older responses
	SMSStatus           int        `json:"smsStatus"`
	DataType            int        `json:"dataType"`
	UnusedValidTime     int        `json:"unusedValidTime"`
	Duration            int        `json:"duration"`
	DurationUnit        string     `json:"durationUnit"`
	Location            *string    `json:"location,omitempty"`
	LocationCode        string     `json:"locationCode"`
	Description         string     `json:"description"`
	ActiveType          int        `json:"activeType"`
	Favorite            bool       `json:"favorite"`
	RetailPrice         int64      `json:"retailPrice"`
	Speed               string     `json:"speed"`
	IPExport            string     `json:"ipExport"`
	SupportTopUpType    int        `json:"supportTopUpType"`
	FUPPolicy           string     `json:"fupPolicy"`
	LocationNetworkList []Location `json:"locationNetworkList"`
}

// Location is one covered country with its operators.
type Location struct {
	LocationName string     `json:"locationName"`
	LocationLogo string     `json:"locationLogo"`
	LocationCode string     `json:"locationCode"`
	OperatorList []Operator `json:"operatorList"`
}

// Operator is a network in a covered country.
type Operator struct {
	OperatorName string `json:"operatorName"`
	NetworkType  string `json:"networkType"`
}

// isDaily reports a day pass, whose price is per day.
func (p Package) isDaily() bool { return p.DataType >= 2 && p.DataType <= 4 }

// catalog is the sample and added packages in order, then the synthetic
// ones, which exist only as an index and are generated when served.
// Changes to a synthetic package live in overrides (nil: removed).
type catalog struct {
	listed    []Package
	synthetic int
	overrides map[string]*Package
}

func newCatalog(synthetic int) *catalog {
	var answer struct {
		Obj struct {
			PackageList []Package `json:"packageList"`
		} `json:"obj"`
	}
	if err := json.Unmarshal(samplePackages, &answer); err != nil {
		panic(fmt.Sprintf("decode embedded sample packages: %v", err))
	}
	return &catalog{listed: answer.Obj.PackageList, synthetic: max(synthetic, 0), overrides: map[string]*Package{}}
}

// lookup finds a package by packageCode or slug.
func (c *catalog) lookup(code string) (Package, bool) {
	for _, pkg := range c.listed {
		if pkg.PackageCode == code || pkg.Slug == code {
			return pkg, true
		}
	}
	if override, ok := c.overrides[code]; ok {
		if override == nil {
			return Package{}, false
		}
		return *override, true
	}
	if index, ok := syntheticIndex(code); ok && index < c.synthetic {
		return syntheticPackage(index), true
	}
	return Package{}, false
}

// upsert replaces the package with the same code, or appends it.
func (c *catalog) upsert(pkg Package) {
	for i := range c.listed {
		if c.listed[i].PackageCode == pkg.PackageCode {
			c.listed[i] = pkg
			return
		}
	}
	if index, ok := syntheticIndex(pkg.PackageCode); ok && index < c.synthetic {
		c.overrides[pkg.PackageCode] = &pkg
		return
	}
	c.listed = append(c.listed, pkg)
}

// remove deletes a package and reports whether it existed.
func (c *catalog) remove(code string) bool {
	for i := range c.listed {
		if c.listed[i].PackageCode == code {
			c.listed = append(c.listed[:i], c.listed[i+1:]...)
			return true
		}
	}
	if index, ok := syntheticIndex(code); ok && index < c.synthetic {
		if override, ok := c.overrides[code]; ok && override == nil {
			return false // already removed
		}
		c.overrides[code] = nil
		return true
	}
	return false
}

// snapshot copies what streaming needs, so that the list can be written
// without holding the server's lock.
func (c *catalog) snapshot() catalogSnapshot {
	overrides := make(map[string]*Package, len(c.overrides))
	for code, pkg := range c.overrides {
		overrides[code] = pkg
	}
	return catalogSnapshot{listed: append([]Package(nil), c.listed...), synthetic: c.synthetic, overrides: overrides}
}

type catalogSnapshot catalog

// each calls fn for every package in catalog order until fn returns false.
func (s catalogSnapshot) each(fn func(Package) bool) {
	for _, pkg := range s.listed {
		if !fn(pkg) {
			return
		}
	}
	for index := 0; index < s.synthetic; index++ {
		pkg := syntheticPackage(index)
		if override, ok := s.overrides[pkg.PackageCode]; ok {
			if override == nil {
				continue
			}
			pkg = *override
		}
		if !fn(pkg) {
			return
		}
	}
}

// listFilter is the package list request body; every field is optional.
type listFilter struct {
	LocationCode string `json:"locationCode"`
	Type         string `json:"type"`
	PackageCode  string `json:"packageCode"`
	Slug         string `json:"slug"`
	ICCID        string `json:"iccid"`
	DataType     int    `json:"dataType"`
}

// matches applies the documented filters: "!RG" selects regional
// packages, "!GL" global ones, an ISO2 code one country. Type TOPUP is
// served by serveTopUpList and matches no catalog package here.
func (f listFilter) matches(pkg Package) bool {
	if strings.EqualFold(f.Type, "TOPUP") {
		return false
	}
	if f.PackageCode != "" && f.PackageCode != pkg.PackageCode {
		return false
	}
	if f.Slug != "" && f.Slug != pkg.Slug {
		return false
	}
	if f.DataType == 1 && pkg.isDaily() || f.DataType == 2 && !pkg.isDaily() {
		return false
	}
	switch code := strings.ToUpper(f.LocationCode); {
	case code == "":
		return true
	case code == "!RG":
		return len(pkg.LocationCode) != 2 && !strings.HasPrefix(pkg.LocationCode, "GL")
	case code == "!GL":
		return strings.HasPrefix(pkg.LocationCode, "GL")
	default:
		return strings.EqualFold(pkg.LocationCode, code)
	}
}

// servePackageList writes the whole filtered list in one response, encoding
// one package at a time so that a 50,000-package catalog needs no large
// buffer.
func (s *Server) servePackageList(w http.ResponseWriter, r *http.Request) {
	var filter listFilter
	if body, _ := bodyOf(r); len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &filter); err != nil {
			writeError(w, "000104", "Request body is not valid JSON")
			return
		}
	}
	if strings.EqualFold(filter.Type, "TOPUP") {
		s.serveTopUpList(w, filter)
		return
	}
	s.mu.Lock()
	snapshot := s.catalog.snapshot()
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte(`{"success":true,"errorCode":null,"errorMsg":null,"obj":{"packageList":[`)); err != nil {
		return
	}
	encoder := json.NewEncoder(w)
	first := true
	var writeErr error
	snapshot.each(func(pkg Package) bool {
		if !filter.matches(pkg) {
			return true
		}
		if !first {
			if _, writeErr = w.Write([]byte{','}); writeErr != nil {
				return false
			}
		}
		first = false
		writeErr = encoder.Encode(pkg)
		return writeErr == nil
	})
	if writeErr != nil {
		return // the client went away
	}
	_, _ = w.Write([]byte(`]}}`))
}

// Packages returns the number of packages in the catalog.
func (s *Server) Packages() int {
	s.mu.Lock()
	snapshot := s.catalog.snapshot()
	s.mu.Unlock()
	count := 0
	snapshot.each(func(Package) bool { count++; return true })
	return count
}

// UpsertPackages adds packages, or replaces those with the same
// packageCode.
func (s *Server) UpsertPackages(packages ...Package) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, pkg := range packages {
		s.catalog.upsert(pkg)
	}
}

// RemovePackages deletes packages by packageCode and returns how many
// existed.
func (s *Server) RemovePackages(codes ...string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	removed := 0
	for _, code := range codes {
		if s.catalog.remove(code) {
			removed++
		}
	}
	return removed
}

// SamplePackages returns the packages of the documented sample response.
func SamplePackages() []Package {
	return append([]Package(nil), newCatalog(0).listed...)
}
