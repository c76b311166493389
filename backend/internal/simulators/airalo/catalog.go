package airalo

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The provider's documented catalog, two pages of two destinations: Japan
// (including an unlimited plan and a top-up) and regional Europe, then the
// United States (data, voice and text) and the worldwide destination.
var (
	//go:embed samples/packages-page1.json
	samplePage1 []byte
	//go:embed samples/packages-page2.json
	samplePage2 []byte
)

// Destination is one element of data in GET /v2/packages: a country, a
// region or the world, with its operators and their packages.
type Destination struct {
	Slug        string          `json:"slug"`
	CountryCode string          `json:"country_code"` // empty for regional and global
	Title       string          `json:"title"`
	Image       json.RawMessage `json:"image,omitempty"`
	MinPrice    json.RawMessage `json:"min_price,omitempty"`
	Operators   []Operator      `json:"operators"`
}

// Operator is a network brand of a destination, with the packages it sells
// and the countries it covers.
type Operator struct {
	ID                   int64           `json:"id"`
	Style                string          `json:"style"`
	GradientStart        string          `json:"gradient_start"`
	GradientEnd          string          `json:"gradient_end"`
	Type                 string          `json:"type"` // local or global
	IsPrepaid            bool            `json:"is_prepaid"`
	Title                string          `json:"title"`
	ESIMType             string          `json:"esim_type"`
	Warning              *string         `json:"warning"`
	APNType              string          `json:"apn_type"`
	APNValue             *string         `json:"apn_value"`
	IsRoaming            bool            `json:"is_roaming"`
	Info                 []string        `json:"info"`
	Image                json.RawMessage `json:"image,omitempty"`
	PlanType             string          `json:"plan_type"`
	ActivationPolicy     string          `json:"activation_policy"`
	IsKYCVerify          bool            `json:"is_kyc_verify"`
	Rechargeability      bool            `json:"rechargeability"`
	OtherInfo            *string         `json:"other_info"`
	Coverages            json.RawMessage `json:"coverages,omitempty"`
	InstallWindowDays    *int            `json:"install_window_days"`
	TopupGraceWindowDays *int            `json:"topup_grace_window_days"`
	APN                  json.RawMessage `json:"apn,omitempty"`
	Packages             []Package       `json:"packages"`
	Countries            []Country       `json:"countries"`
}

// Country is a country an operator covers.
type Country struct {
	CountryCode string          `json:"country_code"`
	Title       string          `json:"title"`
	Image       json.RawMessage `json:"image,omitempty"`
}

// Package is one plan. Prices are JSON numbers in USD, kept as written;
// Amount is data in MB, 1024 per GB.
type Package struct {
	ID                 string          `json:"id"`
	Type               string          `json:"type"` // sim or topup
	Price              json.Number     `json:"price"`
	Amount             int64           `json:"amount"`
	Day                int             `json:"day"`
	IsUnlimited        bool            `json:"is_unlimited"`
	Title              string          `json:"title"`
	ShortInfo          *string         `json:"short_info"`
	QRInstallation     string          `json:"qr_installation"`
	ManualInstallation string          `json:"manual_installation"`
	IsFairUsagePolicy  bool            `json:"is_fair_usage_policy"`
	FairUsagePolicy    *string         `json:"fair_usage_policy"`
	Data               string          `json:"data"`
	Voice              *int            `json:"voice"`
	Text               *int            `json:"text"`
	NetPrice           json.Number     `json:"net_price,omitempty"`
	Prices             json.RawMessage `json:"prices,omitempty"`
}

// SampleDestinations returns the destinations of the documented sample
// pages, in order.
func SampleDestinations() []Destination {
	var destinations []Destination
	for _, page := range [][]byte{samplePage1, samplePage2} {
		var body struct {
			Data []Destination `json:"data"`
		}
		if err := json.Unmarshal(page, &body); err != nil {
			panic(fmt.Sprintf("decode embedded sample packages: %v", err))
		}
		destinations = append(destinations, body.Data...)
	}
	return destinations
}

// catalog is the sample and added destinations in order, then the
// synthetic ones, which exist only as a count and are generated when
// served.
type catalog struct {
	listed    []Destination
	synthetic int             // synthetic packages
	removed   map[string]bool // slugs of removed synthetic destinations
}

func newCatalog(synthetic int) *catalog {
	return &catalog{listed: SampleDestinations(), synthetic: max(synthetic, 0), removed: map[string]bool{}}
}

func (c *catalog) snapshot() catalog {
	removed := make(map[string]bool, len(c.removed))
	for slug := range c.removed {
		removed[slug] = true
	}
	return catalog{listed: append([]Destination(nil), c.listed...), synthetic: c.synthetic, removed: removed}
}

// entry is one destination of the catalog: a listed one, or a synthetic
// one that is generated only when it is written.
type entry struct {
	listed    *Destination
	synthetic int
	total     int // synthetic packages in the catalog
}

// header returns what filters need without generating a synthetic
// destination.
func (e entry) header() (slug, countryCode string) {
	if e.listed != nil {
		return e.listed.Slug, e.listed.CountryCode
	}
	return syntheticHeader(e.synthetic)
}

func (e entry) destination() Destination {
	if e.listed != nil {
		return *e.listed
	}
	return syntheticDestination(e.synthetic, e.total)
}

// each calls fn for every destination in catalog order until fn returns
// false.
func (c catalog) each(fn func(entry) bool) {
	for i := range c.listed {
		if !fn(entry{listed: &c.listed[i]}) {
			return
		}
	}
	for index := range syntheticDestinations(c.synthetic) {
		if c.removed[syntheticSlug(index)] {
			continue
		}
		if !fn(entry{synthetic: index, total: c.synthetic}) {
			return
		}
	}
}

// lookup finds a package by id, with its operator.
func (c catalog) lookup(id string) (Package, Operator, bool) {
	for _, destination := range c.listed {
		for _, operator := range destination.Operators {
			for _, pkg := range operator.Packages {
				if pkg.ID == id {
					return pkg, operator, true
				}
			}
		}
	}
	index, ok := syntheticPackageIndex(id)
	if !ok || index >= c.synthetic || c.removed[syntheticSlug(index/packagesPerDestination)] {
		return Package{}, Operator{}, false
	}
	destination := syntheticDestination(index/packagesPerDestination, c.synthetic)
	operator := destination.Operators[0]
	return operator.Packages[index%packagesPerDestination], operator, true
}

// upsert replaces the destination with the same slug, or appends it.
func (c *catalog) upsert(destination Destination) {
	for i := range c.listed {
		if c.listed[i].Slug == destination.Slug {
			c.listed[i] = destination
			return
		}
	}
	c.listed = append(c.listed, destination)
}

// remove deletes a destination by slug and reports whether it existed.
func (c *catalog) remove(slug string) bool {
	for i := range c.listed {
		if c.listed[i].Slug == slug {
			c.listed = append(c.listed[:i], c.listed[i+1:]...)
			return true
		}
	}
	if index, ok := syntheticDestinationIndex(slug); ok && index < syntheticDestinations(c.synthetic) && !c.removed[slug] {
		c.removed[slug] = true
		return true
	}
	return false
}

// listQuery is the query of GET /v2/packages.
type listQuery struct {
	limit        int // destinations per page; 0 means the whole catalog
	page         int
	includeTopup bool
	filterType   string // local or global
	filterCode   string // ISO2 country code
}

func parseListQuery(values url.Values) (listQuery, string, string) {
	query := listQuery{
		page:         1,
		includeTopup: values.Get("include") == "topup",
		filterType:   values.Get("filter[type]"),
		filterCode:   strings.ToUpper(values.Get("filter[country]")),
	}
	if raw := values.Get("limit"); raw != "" {
		limit, err := strconv.Atoi(raw)
		if err != nil || limit < 1 {
			return query, "limit", "The limit must be an integer greater than 0."
		}
		query.limit = limit
	}
	if raw := values.Get("page"); raw != "" {
		page, err := strconv.Atoi(raw)
		if err != nil || page < 1 {
			return query, "page", "The page must be an integer greater than 0."
		}
		query.page = page
	}
	if query.filterType != "" && query.filterType != "local" && query.filterType != "global" {
		return query, "filter.type", "The selected filter.type is invalid."
	}
	return query, "", ""
}

func (q listQuery) matches(e entry) bool {
	if q.filterType == "" && q.filterCode == "" {
		return true
	}
	_, countryCode := e.header()
	switch {
	case q.filterType == "local" && countryCode == "":
		return false
	case q.filterType == "global" && countryCode != "":
		return false
	case q.filterCode != "" && countryCode != q.filterCode:
		return false
	}
	return true
}

// withoutTopups drops top-up packages, which Airalo lists only with
// include=topup.
func withoutTopups(destination Destination) Destination {
	operators := make([]Operator, len(destination.Operators))
	for i, operator := range destination.Operators {
		packages := []Package{}
		for _, pkg := range operator.Packages {
			if pkg.Type != "topup" {
				packages = append(packages, pkg)
			}
		}
		operator.Packages = packages
		operators[i] = operator
	}
	destination.Operators = operators
	return destination
}

// servePackages writes one page of destinations, encoding one destination
// at a time so that a large catalog needs no large buffer.
func (s *Server) servePackages(w http.ResponseWriter, r *http.Request) {
	query, field, message := parseListQuery(r.URL.Query())
	if field != "" {
		writeInvalid(w, field, message)
		return
	}
	s.mu.Lock()
	snapshot := s.catalog.snapshot()
	s.mu.Unlock()

	total := 0
	snapshot.each(func(e entry) bool {
		if query.matches(e) {
			total++
		}
		return true
	})
	perPage := query.limit
	if perPage == 0 {
		perPage = max(total, 1)
	}
	lastPage := max((total+perPage-1)/perPage, 1)
	first := (query.page - 1) * perPage // index of the page's first destination

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	keyed := s.opts.KeyedPages && query.page >= 2
	open, closing := "[", "]"
	if keyed {
		open, closing = "{", "}"
	}
	if _, err := fmt.Fprintf(w, `{"pricing":{"model":"net_pricing","discount_percentage":0},"data":%s`, open); err != nil {
		return
	}
	written, index := 0, 0
	var writeErr error
	snapshot.each(func(e entry) bool {
		if !query.matches(e) {
			return true
		}
		index++
		if index <= first {
			return true
		}
		if written == perPage {
			return false
		}
		destination := e.destination()
		if !query.includeTopup {
			destination = withoutTopups(destination)
		}
		writeErr = writeDestination(w, destination, written > 0, keyed, index-1)
		written++
		return writeErr == nil
	})
	if writeErr != nil {
		return // the client went away
	}
	_, _ = fmt.Fprintf(w, `%s,"links":%s,"meta":%s}`, closing,
		mustJSON(pageLinks(r, query, lastPage)), mustJSON(pageMeta(r, query, perPage, lastPage, total, first, written)))
}

func writeDestination(w http.ResponseWriter, destination Destination, comma, keyed bool, index int) error {
	data, err := json.Marshal(destination)
	if err != nil {
		return err
	}
	prefix := ""
	if comma {
		prefix = ","
	}
	if keyed {
		prefix += strconv.Quote(strconv.Itoa(index)) + ":"
	}
	if _, err := w.Write([]byte(prefix)); err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

func pageURL(r *http.Request, query listQuery, page int) string {
	values := url.Values{}
	if query.limit > 0 {
		values.Set("limit", strconv.Itoa(query.limit))
	}
	if query.includeTopup {
		values.Set("include", "topup")
	}
	values.Set("page", strconv.Itoa(page))
	return "http://" + r.Host + PathPackages + "?" + values.Encode()
}

func pageLinks(r *http.Request, query listQuery, lastPage int) map[string]*string {
	link := func(page int) *string {
		if page < 1 || page > lastPage {
			return nil
		}
		u := pageURL(r, query, page)
		return &u
	}
	return map[string]*string{
		"first": link(1),
		"last":  link(lastPage),
		"prev":  link(query.page - 1),
		"next":  link(query.page + 1),
	}
}

// pageMeta follows Airalo's meta, including per_page as a string.
func pageMeta(r *http.Request, query listQuery, perPage, lastPage, total, first, written int) map[string]any {
	meta := map[string]any{
		"message":      "success",
		"current_page": query.page,
		"from":         nil,
		"last_page":    lastPage,
		"path":         "http://" + r.Host + PathPackages,
		"per_page":     strconv.Itoa(perPage),
		"to":           nil,
		"total":        total,
	}
	if written > 0 {
		meta["from"] = first + 1
		meta["to"] = first + written
	}
	return meta
}

func mustJSON(value any) []byte {
	data, err := json.Marshal(value)
	if err != nil {
		panic(fmt.Sprintf("encode simulator JSON: %v", err))
	}
	return data
}

// UpsertDestinations adds destinations, or replaces those with the same
// slug. A package may appear in several destinations, as on the real
// catalog.
func (s *Server) UpsertDestinations(destinations ...Destination) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, destination := range destinations {
		s.catalog.upsert(destination)
	}
}

// RemoveDestinations deletes destinations by slug and returns how many
// existed.
func (s *Server) RemoveDestinations(slugs ...string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	removed := 0
	for _, slug := range slugs {
		if s.catalog.remove(slug) {
			removed++
		}
	}
	return removed
}

// Destinations returns the number of destinations in the catalog.
func (s *Server) Destinations() int {
	s.mu.Lock()
	snapshot := s.catalog.snapshot()
	s.mu.Unlock()
	count := 0
	snapshot.each(func(entry) bool { count++; return true })
	return count
}
