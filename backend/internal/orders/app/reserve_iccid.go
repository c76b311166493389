package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
)

// reserveICCID ties a hand-entered eSIM to orderID before it is issued.
// Reserving it again for the same order succeeds, so a repeated request is
// harmless; reserving it for another order is a Conflict naming "iccid".
//
// Only eSIMs entered by hand are reserved: providers may reuse an ICCID
// after its profile was deleted, so their eSIMs are not checked here.
func (s *Service) reserveICCID(ctx context.Context, iccid, orderID string) error {
	stream := domain.ICCIDStream(iccid)
	_, err := s.repo.Append(ctx, stream, eventstore.NoStream(), domain.ICCIDReserved{ICCID: iccid, OrderID: orderID})
	if err == nil || !errors.Is(err, esrepo.ErrConflict) {
		return err
	}
	var holder string
	_, err = s.repo.Load(ctx, stream, func(event eventstore.RecordedEvent) error {
		var reserved domain.ICCIDReserved
		if err := json.Unmarshal(event.Data, &reserved); err != nil {
			return err
		}
		if holder == "" {
			holder = reserved.OrderID
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read reservation of iccid %s: %w", iccid, err)
	}
	if holder == orderID {
		return nil
	}
	return &apperr.Error{
		Kind:    apperr.KindConflict,
		Code:    "iccid_in_use",
		Field:   "iccid",
		Message: "this ICCID was already delivered with another order; enter the ICCID of an unused eSIM",
	}
}
