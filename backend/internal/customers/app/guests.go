package app

import (
	"context"
	"errors"
	"fmt"

	"esimscan/backend/internal/customers/domain"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
)

// GuestErasure is the outcome of EraseGuest: the data keys erased and the
// number of orders whose email they sealed.
type GuestErasure struct {
	GuestIDs []string `json:"guest_ids"`
	Orders   int      `json:"erased_orders"`
	// LegacyOrders counts the orders placed before guest emails were
	// sealed: the log keeps their address, which erasure cannot reach.
	LegacyOrders int `json:"legacy_orders"`
}

// PlainEmailOrderCounter counts the orders that keep an email in the
// clear. The orders read model implements it.
type PlainEmailOrderCounter interface {
	PlainEmailOrderCount(ctx context.Context, email string) (int, error)
}

// GuestOrderCounter counts the orders sealed with one guest key. The
// orders read model implements it.
type GuestOrderCounter interface {
	GuestOrderCount(ctx context.Context, guestID string) (int, error)
}

// EraseGuest is an admin's request to erase what guest orders keep of
// one email address.
type EraseGuest struct {
	Email string `json:"email" validate:"required,email,max=254"`
}

func guestOrderEmailAssociatedData(guestID, orderID string) string {
	return "guest:" + guestID + ":order:" + orderID + ":email"
}

// EmailHash returns the keyed hash of an email address that the log keeps
// in place of the address where orders must be found by it.
func (s *Service) EmailHash(ctx context.Context, email string) (string, error) {
	return s.emailHash(ctx, email)
}

// SealGuestOrderEmail encrypts the email of guest order orderID with the
// data key of the guest who buys with that email, issuing the key on the
// guest's first order, or again after the guest was erased.
func (s *Service) SealGuestOrderEmail(ctx context.Context, orderID, email string) (guestID, sealed string, err error) {
	hash, err := s.emailHash(ctx, email)
	if err != nil {
		return "", "", err
	}
	for attempt := 0; attempt < 3; attempt++ {
		guest, expected, err := s.loadGuest(ctx, hash)
		if err != nil {
			return "", "", err
		}
		if current, ok := guest.Current(); ok {
			key, err := s.keys.Open(current.SealedKey, "guest-key:"+current.ID)
			if err != nil {
				return "", "", fmt.Errorf("open data key of guest %s: %w", current.ID, err)
			}
			sealed, err := sealWith(key, email, guestOrderEmailAssociatedData(current.ID, orderID))
			if err != nil {
				return "", "", err
			}
			return current.ID, sealed, nil
		}
		id := domain.GuestID(len(guest.Keys)+1, hash)
		sealedKey, err := s.keys.Seal(randomBytes(32), "guest-key:"+id)
		if err != nil {
			return "", "", fmt.Errorf("seal data key of guest %s: %w", id, err)
		}
		issued, err := guest.Next(hash, sealedKey, s.now())
		if err != nil {
			return "", "", err
		}
		_, err = s.repo.Append(ctx, domain.GuestStream(hash), expected, issued)
		if err != nil && !errors.Is(err, esrepo.ErrConflict) {
			return "", "", fmt.Errorf("issue data key of guest %s: %w", id, err)
		}
		// On a conflict another order issued the key first: load it.
	}
	return "", "", errors.New("issue guest data key: the stream keeps changing")
}

// EraseGuest appends GuestErased for every data key of the guest who
// bought with cmd.Email, so that the email of each of their guest orders
// reads as erased from then on, and returns how many orders that covers.
// An address that placed no guest order is a NotFound error, and one
// whose keys are all erased is a Conflict with code "already_erased".
// Orders placed while signed in belong to the account and are erased with
// it.
func (s *Service) EraseGuest(ctx context.Context, cmd EraseGuest) (GuestErasure, error) {
	cmd.Email = NormalizeEmail(cmd.Email)
	if err := apperr.Validate(cmd); err != nil {
		return GuestErasure{}, err
	}
	hash, err := s.emailHash(ctx, cmd.Email)
	if err != nil {
		return GuestErasure{}, err
	}
	guest, expected, err := s.loadGuest(ctx, hash)
	if err != nil {
		return GuestErasure{}, err
	}
	legacy, err := s.legacyOrders(ctx, cmd.Email)
	if err != nil {
		return GuestErasure{}, err
	}
	if len(guest.Keys) == 0 && legacy > 0 {
		return GuestErasure{}, apperr.Conflict("legacy_orders_not_erasable", fmt.Sprintf(
			"the %d guest order(s) of this email were placed before guest emails were sealed; the log keeps their address, so they cannot be erased", legacy))
	}
	if len(guest.Keys) == 0 {
		return GuestErasure{}, apperr.NotFound("guest_not_found", "no guest order was placed with this email")
	}

	erased := guest.Erase(s.now())
	if len(erased) == 0 {
		return GuestErasure{}, apperr.Conflict("already_erased", "the guest orders of this email are already erased")
	}
	events := make([]esrepo.Event, 0, len(erased))
	outcome := GuestErasure{GuestIDs: make([]string, 0, len(erased)), LegacyOrders: legacy}
	for _, event := range erased {
		events = append(events, event)
		outcome.GuestIDs = append(outcome.GuestIDs, event.GuestID)
	}
	if _, err := s.repo.Append(ctx, domain.GuestStream(hash), expected, events...); err != nil {
		if errors.Is(err, esrepo.ErrConflict) {
			return GuestErasure{}, apperr.Conflict("concurrent_change", "a guest order was placed meanwhile; erase again")
		}
		return GuestErasure{}, fmt.Errorf("erase guest: %w", err)
	}

	if counter, ok := s.orders.(GuestOrderCounter); ok {
		for _, id := range outcome.GuestIDs {
			count, err := counter.GuestOrderCount(ctx, id)
			if err != nil {
				return GuestErasure{}, err
			}
			outcome.Orders += count
		}
	}
	s.logger.Info().Int("keys", len(outcome.GuestIDs)).Int("orders", outcome.Orders).Msg("guest erased")
	return outcome, nil
}

// legacyOrders counts the orders that keep email in the clear, or 0 when
// the orders read model cannot count them.
func (s *Service) legacyOrders(ctx context.Context, email string) (int, error) {
	counter, ok := s.orders.(PlainEmailOrderCounter)
	if !ok {
		return 0, nil
	}
	return counter.PlainEmailOrderCount(ctx, email)
}

func (s *Service) loadGuest(ctx context.Context, emailHash string) (domain.Guest, eventstore.ExpectedRevision, error) {
	var guest domain.Guest
	expected, err := s.repo.Load(ctx, domain.GuestStream(emailHash), func(event eventstore.RecordedEvent) error {
		return guest.Apply(event.Type, event.Data)
	})
	if err != nil {
		return domain.Guest{}, expected, fmt.Errorf("load guest keys: %w", err)
	}
	return guest, expected, nil
}

// guestOrderEmail opens the email of a guest order, or returns an error
// wrapping ErrErased once the guest's key was erased.
func (s *Service) guestOrderEmail(ctx context.Context, guestID, orderID, sealed string) (string, error) {
	_, hash, ok := domain.ParseGuestID(guestID)
	if !ok {
		return "", fmt.Errorf("email of order %s: %w", orderID, ErrErased)
	}
	guest, _, err := s.loadGuest(ctx, hash)
	if err != nil {
		return "", err
	}
	key, found := guest.Key(guestID)
	if !found || key.Erased {
		return "", fmt.Errorf("email of order %s: %w", orderID, ErrErased)
	}
	raw, err := s.keys.Open(key.SealedKey, "guest-key:"+guestID)
	if err != nil {
		return "", fmt.Errorf("open data key of guest %s: %w", guestID, err)
	}
	email, err := openWith(raw, sealed, guestOrderEmailAssociatedData(guestID, orderID))
	if err != nil {
		return "", fmt.Errorf("open email of order %s: %w", orderID, err)
	}
	return email, nil
}
