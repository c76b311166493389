package ports

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"esimscan/backend/internal/orders/usage"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/providers/adapters"
	orderviews "esimscan/projections/orders"
)

// UsageSource returns the data use of an eSIM at its provider. The usage
// package's Cache implements it.
type UsageSource interface {
	Usage(ctx context.Context, provider, iccid string) (adapters.Usage, error)
}

var _ UsageSource = (*usage.Cache)(nil)

type usageResponse struct {
	ICCID       string     `json:"iccid"`
	TotalMB     *int64     `json:"total_mb"`
	UsedMB      *int64     `json:"used_mb"`
	RemainingMB *int64     `json:"remaining_mb"`
	ExpiresAt   *time.Time `json:"expires_at"`
	Status      string     `json:"status"`
	AsOf        time.Time  `json:"as_of"`
}

// UsageRoutes registers GET /orders/:id/esims/:iccid/usage, opened like
// the order page by the order's token or its owner's session.
func UsageRoutes(api fiber.Router, deps Deps, source UsageSource) {
	h := usageHandlers{handlers: handlers{Deps: deps}, source: source}
	api.Get("/orders/:id/esims/:iccid/usage", h.usage)
}

type usageHandlers struct {
	handlers
	source UsageSource
}

func (h usageHandlers) usage(c *fiber.Ctx) error {
	order, err := h.readableOrder(c)
	if err != nil {
		return err
	}
	iccid := c.Params("iccid")
	esim, ok := issuedESIM(order, iccid)
	if !ok {
		return apperr.NotFound("order_not_found", "no order with this id and access token")
	}
	if order.Status != orderviews.StatusIssued {
		return apperr.Conflict(usage.CodeNotSupported, "the order is not issued yet")
	}
	if esim.Demo {
		return usage.NotSupported("demo eSIMs made by the stub driver work on no network and report no usage")
	}
	report, err := h.source.Usage(c.UserContext(), order.Package.Provider, iccid)
	if err != nil {
		return err
	}
	return c.JSON(usageResponse{
		ICCID:       iccid,
		TotalMB:     report.TotalMB,
		UsedMB:      report.UsedMB,
		RemainingMB: report.RemainingMB,
		ExpiresAt:   report.ExpiresAt,
		Status:      report.Status,
		AsOf:        report.AsOf.UTC(),
	})
}

// issuedESIM returns the eSIM with this ICCID that the order issued, or
// that the top-up order adds data to.
func issuedESIM(order orderviews.OrderView, iccid string) (orderviews.ESIM, bool) {
	if iccid == "" {
		return orderviews.ESIM{}, false
	}
	for _, esim := range order.ESIMs {
		if esim.ICCID == iccid {
			return esim, true
		}
	}
	if order.TopUpOf != nil && order.TopUpOf.ICCID == iccid {
		return orderviews.ESIM{ICCID: iccid}, true
	}
	return orderviews.ESIM{}, false
}
