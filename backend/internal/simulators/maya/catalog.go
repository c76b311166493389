package maya

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"
)

// sampleProducts is the public sample of GET /account/products: Japan,
// USA, a Europe+ regional product, a Europe+ unlimited one and Thailand.
//
//go:embed samples/products.json
var sampleProducts []byte

// Product is one element of products[]. The quotas are pointers and the
// price raw JSON so that a test can serve odd shapes: a missing quota, or
// a price sent as a JSON number.
type Product struct {
	UID               string          `json:"uid"`
	Name              string          `json:"name"`
	CountriesEnabled  []string        `json:"countries_enabled"`
	DataQuotaMB       *int64          `json:"data_quota_mb,omitempty"`
	DataQuotaBytes    *int64          `json:"data_quota_bytes,omitempty"`
	ValidityDays      int             `json:"validity_days"`
	PolicyID          int             `json:"policy_id"`
	PolicyName        string          `json:"policy_name"`
	WholesalePriceUSD json.RawMessage `json:"wholesale_price_usd,omitempty"`
	RRPUSD            string          `json:"rrp_usd,omitempty"`
	RRPEUR            string          `json:"rrp_eur,omitempty"`
	RRPGBP            string          `json:"rrp_gbp,omitempty"`
}

// catalog is the sample and added products in order, then the synthetic
// ones, which exist only as an index and are generated when served.
// Changes to a synthetic product live in overrides (nil: removed).
type catalog struct {
	listed    []Product
	synthetic int
	overrides map[string]*Product
}

func newCatalog(synthetic int) *catalog {
	var answer struct {
		Products []Product `json:"products"`
	}
	if err := json.Unmarshal(sampleProducts, &answer); err != nil {
		panic(fmt.Sprintf("decode embedded sample products: %v", err))
	}
	return &catalog{listed: answer.Products, synthetic: max(synthetic, 0), overrides: map[string]*Product{}}
}

// lookup finds a product by uid.
func (c *catalog) lookup(uid string) (Product, bool) {
	for _, product := range c.listed {
		if product.UID == uid {
			return product, true
		}
	}
	if override, ok := c.overrides[uid]; ok {
		if override == nil {
			return Product{}, false
		}
		return *override, true
	}
	if index, ok := syntheticIndex(uid); ok && index < c.synthetic {
		return syntheticProduct(index), true
	}
	return Product{}, false
}

// upsert replaces the product with the same uid, or appends it.
func (c *catalog) upsert(product Product) {
	for i := range c.listed {
		if c.listed[i].UID == product.UID {
			c.listed[i] = product
			return
		}
	}
	if index, ok := syntheticIndex(product.UID); ok && index < c.synthetic {
		c.overrides[product.UID] = &product
		return
	}
	c.listed = append(c.listed, product)
}

// remove deletes a product and reports whether it existed.
func (c *catalog) remove(uid string) bool {
	for i := range c.listed {
		if c.listed[i].UID == uid {
			c.listed = append(c.listed[:i], c.listed[i+1:]...)
			return true
		}
	}
	if index, ok := syntheticIndex(uid); ok && index < c.synthetic {
		if override, ok := c.overrides[uid]; ok && override == nil {
			return false // already removed
		}
		c.overrides[uid] = nil
		return true
	}
	return false
}

// snapshot copies what streaming needs, so that the list can be written
// without holding the server's lock.
func (c *catalog) snapshot() catalogSnapshot {
	overrides := make(map[string]*Product, len(c.overrides))
	for uid, product := range c.overrides {
		overrides[uid] = product
	}
	return catalogSnapshot{listed: append([]Product(nil), c.listed...), synthetic: c.synthetic, overrides: overrides}
}

type catalogSnapshot catalog

// each calls fn for every product in catalog order until fn returns false.
func (s catalogSnapshot) each(fn func(Product) bool) {
	for _, product := range s.listed {
		if !fn(product) {
			return
		}
	}
	for index := 0; index < s.synthetic; index++ {
		product := syntheticProduct(index)
		if override, ok := s.overrides[product.UID]; ok {
			if override == nil {
				continue
			}
			product = *override
		}
		if !fn(product) {
			return
		}
	}
}

// productFilter is the query of GET /account/products.
type productFilter struct {
	country string // ISO2 or ISO3, any case
	region  string // a region slug such as "europe"
}

// matches keeps a product covering the country, and for a region a
// multi-country product covering one of the region's countries. Maya's own
// region membership is not public; regionCountries is our reading.
func (f productFilter) matches(product Product) bool {
	if f.country != "" && !covers(product, f.country) {
		return false
	}
	if f.region == "" {
		return true
	}
	members, known := regionCountries[strings.ToLower(f.region)]
	if !known || len(product.CountriesEnabled) < 2 {
		return false
	}
	for _, member := range members {
		if covers(product, member) {
			return true
		}
	}
	return false
}

func covers(product Product, country string) bool {
	want := alpha3(country)
	for _, code := range product.CountriesEnabled {
		if alpha3(code) == want {
			return true
		}
	}
	return false
}

// serveProducts writes the whole filtered list in one response, encoding
// one product at a time so that a 50,000-product catalog needs no large
// buffer.
func (s *Server) serveProducts(w http.ResponseWriter, r *http.Request) {
	filter := productFilter{country: r.URL.Query().Get("country"), region: r.URL.Query().Get("region")}
	s.mu.Lock()
	snapshot := s.catalog.snapshot()
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	head := `{"result":1,"status":200,"request_id":"` + uuid.NewString() + `","message":"","developer_message":"","products":[`
	if _, err := w.Write([]byte(head)); err != nil {
		return
	}
	encoder := json.NewEncoder(w)
	first := true
	var writeErr error
	snapshot.each(func(product Product) bool {
		if !filter.matches(product) {
			return true
		}
		if !first {
			if _, writeErr = w.Write([]byte{','}); writeErr != nil {
				return false
			}
		}
		first = false
		writeErr = encoder.Encode(product)
		return writeErr == nil
	})
	if writeErr != nil {
		return // the client went away
	}
	_, _ = w.Write([]byte(`]}`))
}

// Products returns the number of products in the catalog.
func (s *Server) Products() int {
	s.mu.Lock()
	snapshot := s.catalog.snapshot()
	s.mu.Unlock()
	count := 0
	snapshot.each(func(Product) bool { count++; return true })
	return count
}

// UpsertProducts adds products, or replaces those with the same uid.
// Listing a product twice is possible by upserting it under another uid
// only; use AppendProducts to serve a duplicate.
func (s *Server) UpsertProducts(products ...Product) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, product := range products {
		s.catalog.upsert(product)
	}
}

// AppendProducts adds products after the listed ones without replacing
// any, so a uid can appear twice in the list, as happens when a client
// joins the responses of several country queries.
func (s *Server) AppendProducts(products ...Product) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.catalog.listed = append(s.catalog.listed, products...)
}

// RemoveProducts deletes products by uid and returns how many existed.
func (s *Server) RemoveProducts(uids ...string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	removed := 0
	for _, uid := range uids {
		if s.catalog.remove(uid) {
			removed++
		}
	}
	return removed
}

// SampleProducts returns the products of the public sample response.
func SampleProducts() []Product {
	return append([]Product(nil), newCatalog(0).listed...)
}
