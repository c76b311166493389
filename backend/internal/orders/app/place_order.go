package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/money"
)

// PlaceOrder is a storefront visitor's order of one catalog package.
// Quantity 0 means 1. CustomerID names the signed-in customer who places
// the order, or is empty for a guest; it never comes from the request body.
type PlaceOrder struct {
	PackageID  string `json:"package_id" validate:"required,max=64"`
	Email      string `json:"email" validate:"required,email,max=254"`
	Quantity   int    `json:"quantity" validate:"omitempty,min=1,max=10"`
	CustomerID string `json:"-"`
}

// PlacedOrder is a new order. AccessToken is shown to the buyer once and
// stored nowhere: the log keeps only its hash.
type PlacedOrder struct {
	ID          string
	AccessToken string
	Total       money.Money
	Result      eventstore.AppendResult
	TopUpOf     *domain.TopUpOf // set for a top-up order
}

// PlaceOrder validates cmd, fixes the package's current price and appends
// OrderPlaced to a new stream. An unknown or unsellable package is an
// Invalid error on field package_id with code "package_unavailable".
func (s *Service) PlaceOrder(ctx context.Context, cmd PlaceOrder) (PlacedOrder, error) {
	cmd.Email = strings.TrimSpace(cmd.Email)
	if err := apperr.Validate(cmd); err != nil {
		return PlacedOrder{}, err
	}
	if cmd.Quantity == 0 {
		cmd.Quantity = 1
	}

	quote, err := s.pricing.Quote(ctx, cmd.PackageID)
	if errors.Is(err, ErrPackageNotFound) || (err == nil && !quote.Sellable) {
		return PlacedOrder{}, apperr.Invalid("package_id", "package_unavailable", "package_id names no package on sale")
	}
	if err != nil {
		return PlacedOrder{}, fmt.Errorf("quote package %s: %w", cmd.PackageID, err)
	}

	token, err := newAccessToken()
	if err != nil {
		return PlacedOrder{}, err
	}
	orderID := uuid.NewString()
	event, err := domain.Place(domain.Placement{
		OrderID:         orderID,
		Email:           cmd.Email,
		AccessTokenHash: HashToken(token),
		Package:         packageOf(quote),
		UnitPrice:       quote.UnitPrice,
		Quantity:        cmd.Quantity,
		At:              s.now(),
	})
	if err != nil {
		return PlacedOrder{}, fmt.Errorf("place order for package %s: %w", cmd.PackageID, err)
	}

	placed, err := s.sealEmail(ctx, cmd.CustomerID, event)
	if err != nil {
		return PlacedOrder{}, err
	}
	result, err := s.repo.Append(ctx, streamOf(orderID), eventstore.NoStream(), placed)
	if err != nil {
		return PlacedOrder{}, fmt.Errorf("place order %s: %w", orderID, err)
	}
	if cmd.CustomerID != "" {
		s.linkToCustomer(ctx, cmd.CustomerID, orderID)
	}
	s.logger.Info().Str("order_id", orderID).Str("package_id", quote.PackageID).
		Str("total", event.Total.String()).Msg("order placed")
	return PlacedOrder{ID: orderID, AccessToken: token, Total: event.Total, Result: result}, nil
}

func packageOf(quote Quote) domain.Package {
	return domain.Package{
		ID:                quote.PackageID,
		Provider:          quote.Provider,
		ProviderPackageID: quote.ProviderPackageID,
		Name:              quote.Name,
		Countries:         append([]string(nil), quote.Countries...),
		DataMB:            quote.DataMB,
		Unlimited:         quote.Unlimited,
		Daily:             quote.Daily,
		ValidityDays:      quote.ValidityDays,
	}
}
