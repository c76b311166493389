package app

import (
	"context"
	"strings"
	"time"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/orders/domain"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
)

// FulfilOrder is an admin's delivery of an eSIM bought outside the store.
// SMDPAddress and ActivationCode are taken from the LPA string
// "LPA:1$<SM-DP+ address>$<activation code>" when empty.
type FulfilOrder struct {
	OrderID        string `json:"-"`
	ICCID          string `json:"iccid" validate:"required,numeric,min=18,max=22"`
	LPA            string `json:"lpa" validate:"required,startswith=LPA:1$,max=512"`
	SMDPAddress    string `json:"smdp_address" validate:"max=255"`
	ActivationCode string `json:"activation_code" validate:"max=255"`
}

// FulfilManually issues the given eSIM to a paid or provisioning order. It
// appends ProvisioningStarted with driver "manual" first when the order is
// still paid, then ESIMIssued. Other statuses are a Conflict error with the
// domain's code, such as "order_already_issued". An order of more than one
// eSIM is a Conflict with code "esim_count_mismatch", because this command
// delivers one eSIM.
func (s *Service) FulfilManually(ctx context.Context, cmd FulfilOrder) (eventstore.AppendResult, error) {
	cmd.ICCID = strings.TrimSpace(cmd.ICCID)
	cmd.LPA = strings.TrimSpace(cmd.LPA)
	if err := apperr.Validate(cmd); err != nil {
		return eventstore.AppendResult{}, err
	}
	esim, err := manualESIM(cmd)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if !validOrderID(cmd.OrderID) {
		return eventstore.AppendResult{}, errOrderNotFound()
	}
	order, err := s.loadOrder(ctx, cmd.OrderID)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	if !order.order.Exists() {
		return eventstore.AppendResult{}, errOrderNotFound()
	}
	// Decide once before reserving, so an order that cannot take an eSIM
	// does not keep the ICCID from the order it was meant for.
	if _, err := fulfilEvents(order.order, esim, s.now()); err != nil {
		return eventstore.AppendResult{}, err
	}
	if err := s.reserveICCID(ctx, cmd.ICCID, cmd.OrderID); err != nil {
		return eventstore.AppendResult{}, err
	}
	result, err := s.update(ctx, cmd.OrderID, func(order *domain.Order) ([]esrepo.Event, error) {
		if !order.Exists() {
			return nil, errOrderNotFound()
		}
		return fulfilEvents(order, esim, s.now())
	})
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	s.logger.Info().Str("order_id", cmd.OrderID).Str("actor", esrepo.ActorFrom(ctx)).Msg("order fulfilled manually")
	return result, nil
}

func fulfilEvents(order *domain.Order, esim domain.ESIM, now time.Time) ([]esrepo.Event, error) {
	started, issued, err := order.Fulfil(domain.DriverManual, []domain.ESIM{esim}, now)
	if err != nil {
		return nil, commandError(err)
	}
	if started != nil {
		return []esrepo.Event{*started, issued}, nil
	}
	return []esrepo.Event{issued}, nil
}

// manualESIM completes an admin's eSIM from its LPA string, whose layout is
// "LPA:1$<SM-DP+ address>$<activation code>".
func manualESIM(cmd FulfilOrder) (domain.ESIM, error) {
	parts := strings.Split(strings.TrimPrefix(cmd.LPA, "LPA:1$"), "$")
	smdp := strings.TrimSpace(parts[0])
	code := ""
	if len(parts) > 1 {
		code = strings.TrimSpace(parts[1])
	}
	if smdp == "" {
		return domain.ESIM{}, apperr.Invalid("lpa", "invalid_lpa", "lpa must read LPA:1$<SM-DP+ address>$<activation code>")
	}
	esim := domain.ESIM{
		ICCID:          cmd.ICCID,
		LPA:            cmd.LPA,
		SMDPAddress:    strings.TrimSpace(cmd.SMDPAddress),
		ActivationCode: strings.TrimSpace(cmd.ActivationCode),
	}
	if esim.SMDPAddress == "" {
		esim.SMDPAddress = smdp
	}
	if esim.ActivationCode == "" {
		esim.ActivationCode = code
	}
	return esim, nil
}
