package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/platform/esrepo"
)

// ProviderOrderIndex finds the order that recorded a provider order, in a
// read model that may lag behind the event store. ProviderOrderOwner
// returns found false when no order recorded it.
type ProviderOrderIndex interface {
	ProviderOrderOwner(ctx context.Context, provider, providerOrderID string) (orderID string, found bool, err error)
}

// UseProviderOrderIndex sets where the live driver checks whether another
// order already recorded a provider order that a lookup found. Without it,
// adapters only skip the orders their own process bought. Call it before
// the driver runs.
func (s *Service) UseProviderOrderIndex(index ProviderOrderIndex) {
	s.providerOrders = index
}

func (s *Service) providerOrderIndex() ProviderOrderIndex { return s.providerOrders }

// localError is a failure of esimScan's own event store or read model
// during a provider call. The live driver retries it within the deadline,
// as a provider's server error.
type localError struct{ err error }

func (e *localError) Error() string { return e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

// errLeftProvisioning stops a provider call of an order that left
// provisioning while the call ran.
var errLeftProvisioning = errors.New("order is no longer in provisioning")

// purchase is what the live driver passes to a provider's purchase call
// from the order's stream.
type purchase struct {
	// unknownSince is when the earliest ProviderOrderRequested that no
	// ProviderOrderPlaced or TopUpApplied settled was appended, zero when
	// there was none before this call.
	unknownSince time.Time
	openedID     string          // the provider order such a request opened, if any
	recorded     map[string]bool // provider order ids the order itself recorded
}

// requestHistory folds the events of an order's stream that decide its
// next ProviderOrderRequested.
type requestHistory struct {
	order    domain.Order
	provider string
	open     bool // a request that no ProviderOrderPlaced or TopUpApplied followed
	since    time.Time
	openedID string
	failed   bool // an OrderFailed followed the latest request
	recorded map[string]bool
}

func (h *requestHistory) apply(event eventstore.RecordedEvent) error {
	switch event.Type {
	case domain.EventProviderOrderRequested:
		var requested domain.ProviderOrderRequested
		if err := decodeEvent(event, &requested); err != nil {
			return err
		}
		if requested.Provider != h.provider {
			break
		}
		if !h.open {
			h.open, h.since, h.openedID = true, requested.RequestedAt, ""
		}
		if requested.ProviderOrderID != "" {
			h.openedID = requested.ProviderOrderID
		}
		h.failed = false
	case domain.EventProviderOrderPlaced:
		var placed domain.ProviderOrderPlaced
		if err := decodeEvent(event, &placed); err != nil {
			return err
		}
		h.open, h.openedID = false, ""
		h.recorded[placed.ProviderOrderID] = true
	case domain.EventTopUpApplied:
		var applied domain.TopUpApplied
		if err := decodeEvent(event, &applied); err != nil {
			return err
		}
		h.open, h.openedID = false, ""
		if applied.ProviderReference != "" {
			h.recorded[applied.ProviderReference] = true
		}
	case domain.EventOrderFailed:
		h.failed = true
	}
	return h.order.Apply(event.Type, event.Data)
}

// beginPurchase prepares a purchase call of an order in provisioning from
// its provider slug. It appends ProviderOrderRequested unless a request
// is open and no OrderFailed followed it, so a retry within one
// provisioning run and a restart append none, and each run after a
// failure appends one. A request stays open until ProviderOrderPlaced or
// TopUpApplied follows it, even across OrderFailed and a retry, because
// a failed order's last call may still have bought it: unknownSince is
// the earliest open request, appended before this call.
func (s *Service) beginPurchase(ctx context.Context, orderID, slug string) (purchase, error) {
	for attempt := 1; ; attempt++ {
		history := requestHistory{provider: slug, recorded: map[string]bool{}}
		expected, err := s.repo.Load(ctx, streamOf(orderID), history.apply)
		if err != nil {
			return purchase{}, &localError{fmt.Errorf("load order %s: %w", orderID, err)}
		}
		if history.order.Status() != domain.StatusProvisioning {
			return purchase{}, errLeftProvisioning
		}
		prepared := purchase{openedID: history.openedID, recorded: history.recorded}
		if history.open {
			prepared.unknownSince = history.since
		}
		if history.open && !history.failed {
			return prepared, nil
		}
		requested := domain.ProviderOrderRequested{
			OrderID: orderID, Provider: slug, Reference: orderID, RequestedAt: s.now().UTC(),
		}
		_, err = s.repo.Append(ctx, streamOf(orderID), expected, requested)
		if errors.Is(err, esrepo.ErrConflict) && attempt < maxAttempts {
			continue
		}
		if err != nil {
			return purchase{}, &localError{fmt.Errorf("record provider order request of order %s: %w", orderID, err)}
		}
		return prepared, nil
	}
}

// recordOpened returns the Opened func of a purchase call: it appends a
// ProviderOrderRequested naming the provider order the call opened.
func (s *Service) recordOpened(orderID, slug string) func(ctx context.Context, providerOrderID string) error {
	return func(ctx context.Context, providerOrderID string) error {
		_, err := s.update(ctx, orderID, func(order *domain.Order) ([]esrepo.Event, error) {
			if order.Status() != domain.StatusProvisioning {
				return nil, errLeftProvisioning
			}
			return []esrepo.Event{domain.ProviderOrderRequested{
				OrderID: orderID, Provider: slug, Reference: orderID,
				ProviderOrderID: providerOrderID, RequestedAt: s.now().UTC(),
			}}, nil
		})
		if err != nil && !errors.Is(err, errLeftProvisioning) {
			return &localError{fmt.Errorf("record provider order %s opened: %w", providerOrderID, err)}
		}
		return err
	}
}

// claimedFunc returns the Claimed func of a purchase call, or nil without
// a ProviderOrderIndex. A provider order that this order's own stream
// recorded is never another order's, whatever the index contains.
//
// NOTE: the index is a read model and lags the event store. A provider
// order that another order recorded moments ago may not be in it yet, and
// a lookup in that window can take it for this order's; the adapters'
// own memory covers orders bought by the same process.
func (s *Service) claimedFunc(orderID, slug string, prepared purchase) func(context.Context, string) (bool, error) {
	index := s.providerOrderIndex()
	if index == nil {
		return nil
	}
	return func(ctx context.Context, providerOrderID string) (bool, error) {
		if prepared.recorded[providerOrderID] {
			return false, nil
		}
		owner, found, err := index.ProviderOrderOwner(ctx, slug, providerOrderID)
		if err != nil {
			return false, &localError{fmt.Errorf("find the order of provider order %s: %w", providerOrderID, err)}
		}
		return found && owner != orderID, nil
	}
}
