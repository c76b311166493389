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
	"esimscan/backend/internal/platform/esrepo"
	"esimscan/backend/internal/providers/adapters"
	"esimscan/backend/money"
)

// TopUpOption is a package that can top up an order's eSIM, at the selling
// price a top-up order placed now would fix: the provider's wholesale price
// with the provider's margin.
type TopUpOption struct {
	ProviderPackageID string
	Name              string
	DataMB            *int64 // nil when Unlimited
	Unlimited         bool
	Daily             bool
	ValidityDays      int
	Price             money.Money
}

// TopUps are the top-up packages of one eSIM of an order.
type TopUps struct {
	Target  domain.TopUpOf
	Options []TopUpOption
}

// ProviderMargins returns a provider's margin, in hundredths of a percent.
type ProviderMargins interface {
	ProviderMargin(ctx context.Context, slug string) (money.Percent, error)
}

// UseProviderMargins sets where top-up prices take the provider's margin
// from. Without it the margin is read from the provider's stream
// (ProviderMarginSet) in the event store.
func (s *Service) UseProviderMargins(margins ProviderMargins) {
	s.margins = margins
}

// PlaceTopUp is a buyer's top-up of an eSIM of an order they hold the
// access token of. ICCID may be empty when the order issued one eSIM.
type PlaceTopUp struct {
	OrderID     string `json:"-"`
	AccessToken string `json:"-"`
	CustomerID  string `json:"-"` // the signed-in customer, who may top up the account's orders without the token
	PackageID   string `json:"package_id" validate:"required,max=64"`
	ICCID       string `json:"iccid" validate:"omitempty,max=32"`
}

func errTopUpNotSupported(message string) error {
	return apperr.Conflict(domain.CodeTopUpNotSupported, message)
}

// ListTopUps returns the packages the provider offers to top up an eSIM of
// the order, priced with the provider's margin. access is the order's token
// or the account that placed it. An unknown order and a wrong token are
// NotFound "order_not_found"; an order that is not issued,
// or whose provider does not sell top-ups, is a Conflict
// "topup_not_supported".
func (s *Service) ListTopUps(ctx context.Context, orderID string, access Access, iccid string) (TopUps, error) {
	parent, err := s.loadTopUpParent(ctx, orderID, access)
	if err != nil {
		return TopUps{}, err
	}
	target, err := parent.order.TopUpTarget(iccid)
	if errors.Is(err, domain.ErrDemoTopUp) {
		return TopUps{}, errTopUpNotSupported("demo eSIMs made by the stub driver cannot be topped up")
	}
	if err != nil {
		return TopUps{}, errTopUpNotSupported("this order has no issued eSIM to top up")
	}
	slug := parent.order.Package().Provider
	options, err := s.topUpOptions(ctx, slug, target.ICCID)
	if err != nil {
		return TopUps{}, err
	}
	return TopUps{Target: target, Options: options}, nil
}

// PlaceTopUp places a top-up order: an OrderPlaced whose topup_of names
// the eSIM and the order that issued it, priced from the provider's current
// top-up list with the provider's margin. The new order is paid and
// provisioned like any other. It fails like ListTopUps, and with an
// Invalid "package_unavailable" on package_id for a package the provider
// does not offer for this eSIM.
func (s *Service) PlaceTopUp(ctx context.Context, cmd PlaceTopUp) (PlacedOrder, error) {
	if err := apperr.Validate(cmd); err != nil {
		return PlacedOrder{}, err
	}
	access := Access{Token: cmd.AccessToken, CustomerID: cmd.CustomerID}
	topUps, err := s.ListTopUps(ctx, cmd.OrderID, access, cmd.ICCID)
	if err != nil {
		return PlacedOrder{}, err
	}
	var chosen *TopUpOption
	for i := range topUps.Options {
		if topUps.Options[i].ProviderPackageID == cmd.PackageID {
			chosen = &topUps.Options[i]
			break
		}
	}
	if chosen == nil {
		return PlacedOrder{}, apperr.Invalid("package_id", "package_unavailable", "package_id names no top-up of this eSIM")
	}
	parent, err := s.loadTopUpParent(ctx, cmd.OrderID, access)
	if err != nil {
		return PlacedOrder{}, err
	}
	return s.appendTopUp(ctx, parent, topUps.Target, *chosen)
}

func (s *Service) appendTopUp(ctx context.Context, parent topUpParent, target domain.TopUpOf, option TopUpOption) (PlacedOrder, error) {
	token, err := newAccessToken()
	if err != nil {
		return PlacedOrder{}, err
	}
	orderID := uuid.NewString()
	email := parent.email
	if holder := parent.keyHolder(); holder != "" {
		if email, err = s.OpenOrderEmail(ctx, holder, parent.order.ID(), parent.emailSealed); err != nil {
			return PlacedOrder{}, err
		}
		if email == customersErasedEmail {
			return PlacedOrder{}, apperr.Conflict("buyer_erased", "the buyer of this order was erased; the eSIM cannot be topped up")
		}
	}
	slug := parent.order.Package().Provider
	event, err := domain.Place(domain.Placement{
		OrderID:         orderID,
		Email:           email,
		AccessTokenHash: HashToken(token),
		Package:         topUpPackage(slug, parent.order.Package().Countries, option),
		UnitPrice:       option.Price,
		Quantity:        1,
		At:              s.now(),
		TopUpOf:         &target,
	})
	if err != nil {
		return PlacedOrder{}, fmt.Errorf("place top-up of order %s: %w", target.OrderID, err)
	}
	placed, err := s.sealEmail(ctx, parent.customerID, event)
	if err != nil {
		return PlacedOrder{}, err
	}
	result, err := s.repo.Append(ctx, streamOf(orderID), eventstore.NoStream(), placed)
	if err != nil {
		return PlacedOrder{}, fmt.Errorf("place top-up order %s: %w", orderID, err)
	}
	if parent.customerID != "" {
		s.linkToCustomer(ctx, parent.customerID, orderID)
	}
	s.logger.Info().Str("order_id", orderID).Str("topup_of", target.OrderID).Str("provider", slug).
		Str("total", event.Total.String()).Msg("top-up order placed")
	return PlacedOrder{ID: orderID, AccessToken: token, Total: event.Total, Result: result, TopUpOf: &target}, nil
}

// topUpPackage is the package snapshot of a top-up order. Its id is the
// provider and its package id, because top-ups are not in the catalog.
func topUpPackage(slug string, countries []string, option TopUpOption) domain.Package {
	return domain.Package{
		ID:                slug + ":" + option.ProviderPackageID,
		Provider:          slug,
		ProviderPackageID: option.ProviderPackageID,
		Name:              option.Name,
		Countries:         append([]string(nil), countries...),
		DataMB:            option.DataMB,
		Unlimited:         option.Unlimited,
		Daily:             option.Daily,
		ValidityDays:      option.ValidityDays,
	}
}

// topUpParent is an order loaded to top up one of its eSIMs, with the
// fields of its OrderPlaced that the aggregate does not keep.
type topUpParent struct {
	order       *domain.Order
	email       string
	customerID  string
	guestID     string
	emailSealed string
}

// keyHolder returns the customer or guest whose data key sealed the
// parent's email, or "" when the email is in the clear.
func (p topUpParent) keyHolder() string {
	if p.customerID != "" {
		return p.customerID
	}
	return p.guestID
}

func (s *Service) loadTopUpParent(ctx context.Context, orderID string, access Access) (topUpParent, error) {
	if !validOrderID(orderID) || access.empty() {
		return topUpParent{}, errOrderNotFound()
	}
	parent := topUpParent{order: &domain.Order{}}
	_, err := s.repo.Load(ctx, streamOf(orderID), func(event eventstore.RecordedEvent) error {
		if event.Type == domain.EventOrderPlaced {
			var placed struct {
				Email       string `json:"email"`
				CustomerID  string `json:"customer_id"`
				GuestID     string `json:"guest_id"`
				EmailSealed string `json:"email_sealed"`
			}
			if err := decodeEvent(event, &placed); err != nil {
				return err
			}
			parent.email, parent.customerID, parent.emailSealed = placed.Email, placed.CustomerID, placed.EmailSealed
			parent.guestID = placed.GuestID
		}
		return parent.order.Apply(event.Type, event.Data)
	})
	if err != nil {
		return topUpParent{}, fmt.Errorf("load order %s: %w", orderID, err)
	}
	if !parent.order.Exists() || !access.opens(parent.order.AccessTokenHash(), parent.customerID) {
		return topUpParent{}, errOrderNotFound()
	}
	return parent, nil
}

// topUpOptions requests from the provider the top-ups of an eSIM and prices
// them.
func (s *Service) topUpOptions(ctx context.Context, slug, iccid string) ([]TopUpOption, error) {
	topUpper, err := s.topUpperFor(ctx, slug)
	if err != nil {
		return nil, err
	}
	packages, err := topUpper.ListTopUps(ctx, iccid)
	if err != nil {
		s.logger.Warn().Err(err).Str("provider", slug).Msg("listing top-ups failed")
		return nil, &apperr.Error{
			Kind: apperr.KindUnavailable, Code: "provider_unavailable",
			Message: "the provider did not list top-ups for this eSIM; try again later", Err: err,
		}
	}
	margin, err := s.providerMargin(ctx, slug)
	if err != nil {
		return nil, err
	}
	options := make([]TopUpOption, 0, len(packages))
	for _, pkg := range packages {
		option := TopUpOption{
			ProviderPackageID: pkg.ProviderPackageID,
			Name:              pkg.Name,
			Unlimited:         pkg.Unlimited,
			Daily:             pkg.Daily,
			ValidityDays:      pkg.ValidityDays,
			Price:             money.ApplyMargin(pkg.Wholesale, margin),
		}
		if !pkg.Unlimited {
			dataMB := pkg.DataMB
			option.DataMB = &dataMB
		}
		options = append(options, option)
	}
	return options, nil
}

// topUpperFor returns the provider's client when it sells top-ups.
func (s *Service) topUpperFor(ctx context.Context, slug string) (adapters.TopUpper, error) {
	if s.providers == nil {
		return nil, errTopUpNotSupported("top-ups need the provider's API, which is not wired")
	}
	client, err := s.providers.ClientFor(ctx, slug)
	if err != nil {
		s.logger.Info().Err(err).Str("provider", slug).Msg("provider client for top-ups is not usable")
		return nil, errTopUpNotSupported("the provider of this order is not connected")
	}
	topUpper, ok := client.(adapters.TopUpper)
	if !ok {
		return nil, errTopUpNotSupported("the provider of this order does not sell top-ups")
	}
	return topUpper, nil
}

// providerMargin returns the margin of UseProviderMargins, or folds the
// provider's ProviderMarginSet events.
func (s *Service) providerMargin(ctx context.Context, slug string) (money.Percent, error) {
	if s.margins != nil {
		return s.margins.ProviderMargin(ctx, slug)
	}
	var margin money.Percent
	_, err := s.repo.Load(ctx, "provider-"+slug, func(event eventstore.RecordedEvent) error {
		if event.Type != providerMarginSet {
			return nil
		}
		var set struct {
			NewPercent *money.Percent `json:"new_percent"`
		}
		if err := decodeEvent(event, &set); err != nil {
			return err
		}
		margin = 0
		if set.NewPercent != nil {
			margin = *set.NewPercent
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("load margin of provider %s: %w", slug, err)
	}
	return margin, nil
}

// providerMarginSet is the providers context's event that sets a
// provider's margin, documented in docs/events.md.
const providerMarginSet = "ProviderMarginSet"

// applyTopUpAtOnce records TopUpApplied for a top-up order of the stub or
// manual driver, which reach no provider: the top-up counts as applied to
// the same ICCID.
func (s *Service) applyTopUpAtOnce(ctx context.Context, orderID, driver string) error {
	applied, err := s.recordTopUp(ctx, orderID, "")
	if err != nil {
		return fmt.Errorf("apply top-up: %w", err)
	}
	if applied {
		s.logger.Info().Str("order_id", orderID).Str("driver", driver).Msg("top-up applied")
	}
	return nil
}

// recordTopUp appends TopUpApplied unless the order left provisioning.
func (s *Service) recordTopUp(ctx context.Context, orderID, providerReference string) (bool, error) {
	applied := false
	_, err := s.update(ctx, orderID, func(order *domain.Order) ([]esrepo.Event, error) {
		applied = false
		if order.Status() != domain.StatusProvisioning {
			return nil, nil
		}
		event, err := order.ApplyTopUp(providerReference, s.now())
		if err != nil {
			return nil, err
		}
		applied = true
		return []esrepo.Event{event}, nil
	})
	return applied, err
}

// attemptTopUp makes the provider call of a live top-up order. The order id
// is the reference, so a retry or a restart sends the same idempotency key.
//
// TODO: Wholesale is left zero, so no provider checks the price, for the
// same reason as in attemptLive.
func (s *Service) attemptTopUp(ctx context.Context, order *domain.Order, client adapters.Client, slug string) liveStep {
	topUpper, ok := client.(adapters.TopUpper)
	if !ok {
		return liveStep{final: fmt.Sprintf("provider %s does not sell top-ups", slug)}
	}
	prepared, err := s.beginPurchase(ctx, order.ID(), slug)
	if err != nil {
		return purchaseFailure(err)
	}
	target := order.TopUpOf()
	result, err := topUpper.TopUp(ctx, adapters.TopUpRequest{
		Reference:           order.ID(),
		ICCID:               target.ICCID,
		ProviderPackageID:   order.Package().ProviderPackageID,
		OutcomeUnknownSince: prepared.unknownSince,
		Claimed:             s.claimedFunc(order.ID(), slug, prepared),
	})
	if err != nil {
		return providerFailure(slug, err)
	}
	if result.ICCID != "" && !strings.EqualFold(result.ICCID, target.ICCID) {
		return liveStep{final: fmt.Sprintf("top-up from %s failed (%s): applied to ICCID %s, not %s",
			slug, adapters.CauseBadResponse, result.ICCID, target.ICCID)}
	}
	applied, err := s.recordTopUp(ctx, order.ID(), result.ProviderReference)
	var transition *domain.TransitionError
	if err != nil && !errors.As(err, &transition) {
		return liveStep{retryErr: fmt.Errorf("record top-up of order %s: %w", order.ID(), err)}
	}
	if applied {
		s.logger.Info().Str("order_id", order.ID()).Str("provider", slug).Msg("top-up applied")
	}
	return liveStep{done: true}
}
