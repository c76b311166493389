package esimgo

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// The provider's two sample catalogue pages (perPage 4): Japan, the United
// States, a Europe+ regional bundle, and unlimited Thailand and Japan
// plans.
var (
	//go:embed samples/packages-page1.json
	samplePage1 []byte
	//go:embed samples/packages-page2.json
	samplePage2 []byte
)

// Bundle is one catalogue bundle. Price is kept as the JSON number text,
// so that a test can serve any decimal exactly.
type Bundle struct {
	Name           string      `json:"name"`
	Description    string      `json:"description"`
	Groups         []string    `json:"groups"`
	Countries      []Country   `json:"countries"`
	DataAmount     int64       `json:"dataAmount"` // MB; -1 for unlimited
	Duration       int         `json:"duration"`   // days
	Speed          []string    `json:"speed"`
	Autostart      bool        `json:"autostart"`
	Unlimited      bool        `json:"unlimited"`
	RoamingEnabled []Country   `json:"roamingEnabled"`
	Price          json.Number `json:"price"` // in the organisation currency
	BillingType    string      `json:"billingType"`
}

// Country is one entry of countries or roamingEnabled.
type Country struct {
	Name   string `json:"name"`
	Region string `json:"region"`
	ISO    string `json:"iso"`
}

// catalog is the sample and added bundles in order, then the synthetic
// ones, which exist only as an index and are generated when served.
// Changes to a synthetic bundle live in overrides, and removed synthetic
// indexes in removed, kept sorted.
type catalog struct {
	listed    []Bundle
	synthetic int
	overrides map[int]Bundle
	removed   []int
}

func newCatalog(synthetic int) *catalog {
	return &catalog{listed: SampleBundles(), synthetic: max(synthetic, 0), overrides: map[int]Bundle{}}
}

// SampleBundles returns the bundles of the provider's two sample pages.
func SampleBundles() []Bundle {
	var bundles []Bundle
	for _, page := range [][]byte{samplePage1, samplePage2} {
		var answer struct {
			Bundles []Bundle `json:"bundles"`
		}
		if err := json.Unmarshal(page, &answer); err != nil {
			panic(fmt.Sprintf("decode embedded sample catalogue: %v", err))
		}
		bundles = append(bundles, answer.Bundles...)
	}
	return bundles
}

// rows returns the number of bundles.
func (c *catalog) rows() int {
	return len(c.listed) + c.synthetic - len(c.removed)
}

// at returns the bundle at position i of the catalogue, 0 ≤ i < rows().
func (c *catalog) at(i int) Bundle {
	if i < len(c.listed) {
		return c.listed[i]
	}
	// Find the i-th synthetic index that was not removed.
	index := i - len(c.listed)
	for _, removed := range c.removed {
		if removed > index {
			break
		}
		index++
	}
	if bundle, ok := c.overrides[index]; ok {
		return bundle
	}
	return syntheticBundle(index)
}

// lookup finds a bundle by name.
func (c *catalog) lookup(name string) (Bundle, bool) {
	for _, bundle := range c.listed {
		if bundle.Name == name {
			return bundle, true
		}
	}
	index, ok := syntheticIndex(name)
	if !ok || index >= c.synthetic || c.isRemoved(index) {
		return Bundle{}, false
	}
	if bundle, ok := c.overrides[index]; ok {
		return bundle, true
	}
	if bundle := syntheticBundle(index); bundle.Name == name {
		return bundle, true
	}
	return Bundle{}, false
}

func (c *catalog) isRemoved(index int) bool {
	position := sort.SearchInts(c.removed, index)
	return position < len(c.removed) && c.removed[position] == index
}

// upsert replaces the bundle with the same name, or appends it.
func (c *catalog) upsert(bundle Bundle) {
	for i := range c.listed {
		if c.listed[i].Name == bundle.Name {
			c.listed[i] = bundle
			return
		}
	}
	if index, ok := syntheticIndex(bundle.Name); ok && index < c.synthetic && !c.isRemoved(index) {
		c.overrides[index] = bundle
		return
	}
	c.listed = append(c.listed, bundle)
}

// remove deletes a bundle by name and reports whether it existed.
func (c *catalog) remove(name string) bool {
	for i := range c.listed {
		if c.listed[i].Name == name {
			c.listed = append(c.listed[:i], c.listed[i+1:]...)
			return true
		}
	}
	if _, ok := c.lookup(name); !ok {
		return false
	}
	index, _ := syntheticIndex(name)
	delete(c.overrides, index)
	position := sort.SearchInts(c.removed, index)
	c.removed = append(c.removed, 0)
	copy(c.removed[position+1:], c.removed[position:])
	c.removed[position] = index
	return true
}

// serveCatalogue writes one page: {"bundles", "pageCount", "rows",
// "pageSize"}. Pages start at 1 (0 is read as 1), perPage defaults to
// DefaultPerPage, and a page past the end has no bundles. countries, a
// comma-separated list of ISO codes, keeps the bundles covering one of
// them. With
// Options.PageOverlap, later pages start early. The bundles are encoded
// one at a time, outside the server's lock.
func (s *Server) serveCatalogue(w http.ResponseWriter, r *http.Request) {
	page, perPage, ok := pageParams(w, r, DefaultPerPage)
	if !ok {
		return
	}
	bundles, rows := s.cataloguePage(page, perPage, countriesFilter(r))

	pageCount := (rows + perPage - 1) / perPage
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte(`{"bundles":[`)); err != nil {
		return
	}
	encoder := json.NewEncoder(w)
	for i, bundle := range bundles {
		if i > 0 {
			if _, err := w.Write([]byte{','}); err != nil {
				return
			}
		}
		if err := encoder.Encode(bundle); err != nil {
			return // the client went away
		}
	}
	_, _ = fmt.Fprintf(w, `],"pageCount":%d,"rows":%d,"pageSize":%d}`, pageCount, rows, perPage)
}

// cataloguePage returns the bundles of one page and the number of rows,
// counting only bundles with a country in codes when codes is not empty.
func (s *Server) cataloguePage(page, perPage int, codes []string) ([]Bundle, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := s.catalog.rows()
	at := s.catalog.at
	if len(codes) > 0 {
		var matching []Bundle
		for i := range rows {
			if bundle := s.catalog.at(i); matchesCountries(bundle, codes) {
				matching = append(matching, bundle)
			}
		}
		rows = len(matching)
		at = func(i int) Bundle { return matching[i] }
	}
	start := (page - 1) * perPage
	if page > 1 {
		start = max(start-s.opts.PageOverlap, 0)
	}
	end := min(page*perPage, rows)
	bundles := make([]Bundle, 0, max(end-start, 0))
	for i := start; i < end; i++ {
		bundles = append(bundles, at(i))
	}
	return bundles, rows
}

// pageParams reads page and perPage, writing a 400 when either is not a
// number.
func pageParams(w http.ResponseWriter, r *http.Request, defaultSize int) (page, size int, ok bool) {
	page, size = 1, defaultSize
	query := r.URL.Query()
	for name, target := range map[string]*int{"page": &page, "perPage": &size, "limit": &size} {
		text := query.Get(name)
		if text == "" {
			continue
		}
		value, err := strconv.Atoi(text)
		if err != nil || value < 0 {
			writeMessage(w, http.StatusBadRequest, "Invalid "+name+" parameter")
			return 0, 0, false
		}
		*target = value
	}
	return max(page, 1), max(size, 1), true
}

// serveBundle returns one bundle by name, or 400 with the provider's
// "not found in catalogue" message.
func (s *Server) serveBundle(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(stripVersion(r.URL.Path), PathBundle)
	s.mu.Lock()
	bundle, ok := s.catalog.lookup(name)
	s.mu.Unlock()
	if !ok {
		writeMessage(w, http.StatusBadRequest, "Bundle "+name+" not found in catalogue")
		return
	}
	writeJSON(w, http.StatusOK, bundle)
}

// Packages returns the number of bundles in the catalogue.
func (s *Server) Packages() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.catalog.rows()
}

// UpsertBundles adds bundles, or replaces those with the same name.
func (s *Server) UpsertBundles(bundles ...Bundle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, bundle := range bundles {
		s.catalog.upsert(bundle)
	}
}

// RemoveBundles deletes bundles by name and returns how many existed.
func (s *Server) RemoveBundles(names ...string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	removed := 0
	for _, name := range names {
		if s.catalog.remove(name) {
			removed++
		}
	}
	return removed
}
