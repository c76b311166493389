package server

import (
	"context"
	"errors"

	ordersapp "esimscan/backend/internal/orders/app"
	"esimscan/projections/catalog"
)

// pricing quotes packages for checkout from the catalog read model: the
// price the customer saw is the price the order fixes. It first waits until
// the read model has applied the whole log, so an order never uses a price,
// margin or enabled flag that the log has already changed.
type pricing struct {
	views   *catalog.Queries
	catchUp func(ctx context.Context, projectors ...string) error
}

func (p pricing) Quote(ctx context.Context, packageID string) (ordersapp.Quote, error) {
	if err := p.catchUp(ctx, catalog.Name); err != nil {
		return ordersapp.Quote{}, err
	}
	quote, err := p.views.Quote(ctx, packageID)
	if errors.Is(err, catalog.ErrPackageNotFound) {
		return ordersapp.Quote{}, ordersapp.ErrPackageNotFound
	}
	if err != nil {
		return ordersapp.Quote{}, err
	}
	pkg := quote.Package
	return ordersapp.Quote{
		PackageID:         pkg.ID,
		Provider:          pkg.Provider,
		ProviderPackageID: quote.ProviderPackageID,
		Name:              pkg.Name,
		Countries:         pkg.Countries,
		DataMB:            pkg.DataMB,
		Unlimited:         pkg.Unlimited,
		Daily:             pkg.Daily,
		ValidityDays:      pkg.ValidityDays,
		UnitPrice:         quote.UnitPrice,
		Sellable:          quote.Sellable,
	}, nil
}
