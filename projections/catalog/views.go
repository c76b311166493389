package catalog

import (
	"encoding/json"
	"strings"

	"esimscan/backend/money"
)

// CountryView is a country with at least one sellable package.
type CountryView struct {
	Code      string      `json:"code"`
	Name      string      `json:"name"`
	Packages  int         `json:"packages"`
	FromPrice money.Money `json:"from_price"`
}

// RegionView is a region with at least one sellable package. Countries are
// the codes listed by its sellable packages, sorted.
type RegionView struct {
	Code      string      `json:"code"`
	Name      string      `json:"name"`
	Countries []string    `json:"countries"`
	Packages  int         `json:"packages"`
	FromPrice money.Money `json:"from_price"`
}

// PackageView is a package as customers see it. DataMB is nil when the
// package is unlimited.
type PackageView struct {
	ID           string      `json:"id"`
	Provider     string      `json:"provider"`
	Name         string      `json:"name"`
	Countries    []string    `json:"countries"`
	DataMB       *int64      `json:"data_mb"`
	Unlimited    bool        `json:"unlimited"`
	Daily        bool        `json:"daily"`
	ValidityDays int         `json:"validity_days"`
	Operators    []string    `json:"operators"`
	Price        money.Money `json:"price"`
}

// AdminPackageView is a package as admins see it, with its wholesale price
// and margins. MarginPercent is the effective margin and MarginOverride the
// package's own margin, nil when the provider's margin applies.
type AdminPackageView struct {
	PackageView
	ProviderPackageID string         `json:"provider_package_id"`
	Wholesale         WholesalePrice `json:"wholesale"`
	MarginPercent     money.Percent  `json:"margin_percent"`
	MarginOverride    *money.Percent `json:"margin_override"`
	Enabled           bool           `json:"enabled"`
	Withdrawn         bool           `json:"withdrawn"`
}

// Quote is a package's price and availability at checkout. Wholesale keeps
// every digit the provider sent, and UnitPrice is rounded to the currency's
// minor unit.
type Quote struct {
	Package           PackageView
	ProviderPackageID string
	Wholesale         money.Money
	UnitPrice         money.Money
	Sellable          bool
}

// WholesalePrice is a provider's price. Its JSON amount has at least the
// currency's minor-unit digits and more when the provider sent more, so
// that "0.9850" USD reads "0.985" rather than the rounded "0.99".
type WholesalePrice money.Money

// MarshalJSON writes {"amount": "0.985", "currency": "USD"}.
func (w WholesalePrice) MarshalJSON() ([]byte, error) {
	const scaleDigits = 6
	full := w.Amount.Format(scaleDigits)
	units, frac, _ := strings.Cut(full, ".")
	frac = strings.TrimRight(frac, "0")
	if minDigits := money.MinorUnitDigits(w.Currency); len(frac) < minDigits {
		frac += strings.Repeat("0", minDigits-len(frac))
	}
	amount := units
	if frac != "" {
		amount += "." + frac
	}
	return json.Marshal(map[string]string{"amount": amount, "currency": w.Currency})
}

func (p *packageState) view(provider providerState) PackageView {
	view := PackageView{
		ID:           p.ID,
		Provider:     p.Provider,
		Name:         p.Name,
		Countries:    p.Countries,
		DataMB:       p.DataMB,
		Unlimited:    p.Unlimited,
		Daily:        p.Daily,
		ValidityDays: p.ValidityDays,
		Operators:    p.Operators,
		Price:        p.price(provider),
	}
	if view.Countries == nil {
		view.Countries = []string{}
	}
	if view.Operators == nil {
		view.Operators = []string{}
	}
	if view.Unlimited {
		view.DataMB = nil
	}
	return view
}

func (p *packageState) adminView(provider providerState) AdminPackageView {
	return AdminPackageView{
		PackageView:       p.view(provider),
		ProviderPackageID: p.ProviderPackageID,
		Wholesale:         WholesalePrice(p.Wholesale),
		MarginPercent:     p.margin(provider),
		MarginOverride:    p.MarginOverride,
		Enabled:           !p.Disabled,
		Withdrawn:         p.Withdrawn,
	}
}
