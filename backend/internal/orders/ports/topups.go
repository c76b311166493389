package ports

import (
	"context"

	"github.com/gofiber/fiber/v2"

	ordersapp "esimscan/backend/internal/orders/app"
	"esimscan/backend/internal/platform/web"
	"esimscan/backend/money"
	orderviews "esimscan/projections/orders"
)

// TopUpService is the part of the orders application that the top-up
// routes call. The orders application's Service implements it.
type TopUpService interface {
	ListTopUps(ctx context.Context, orderID string, access ordersapp.Access, iccid string) (ordersapp.TopUps, error)
	PlaceTopUp(ctx context.Context, cmd ordersapp.PlaceTopUp) (ordersapp.PlacedOrder, error)
}

var _ TopUpService = (*ordersapp.Service)(nil)

// topUpTargetView names the eSIM a top-up adds data to.
type topUpTargetView struct {
	OrderID string `json:"order_id"`
	ICCID   string `json:"iccid"`
}

// topUpOptionView is one package that can top up an eSIM. Its id is the
// provider's package id, which POST /topups takes as package_id.
type topUpOptionView struct {
	ID           string      `json:"id"`
	Name         string      `json:"name"`
	DataMB       *int64      `json:"data_mb"`
	Unlimited    bool        `json:"unlimited"`
	Daily        bool        `json:"daily"`
	ValidityDays int         `json:"validity_days"`
	Price        money.Money `json:"price"`
}

type topUpsResponse struct {
	TopUpOf  topUpTargetView   `json:"topup_of"`
	Packages []topUpOptionView `json:"packages"`
}

// topUpRoutes registers the top-up endpoints when the Service sells
// top-ups.
func topUpRoutes(api fiber.Router, h handlers) {
	service, ok := h.Service.(TopUpService)
	if !ok {
		return
	}
	t := topUpHandlers{handlers: h, service: service}
	api.Get("/orders/:id/topups", t.list)
	api.Post("/orders/:id/topups", web.LimitBody(web.DefaultBodyLimit), t.place)
}

type topUpHandlers struct {
	handlers
	service TopUpService
}

func (h topUpHandlers) list(c *fiber.Ctx) error {
	access, err := h.readAccess(c)
	if err != nil {
		return err
	}
	topUps, err := h.service.ListTopUps(c.UserContext(), c.Params("id"), access, c.Query("iccid"))
	if err != nil {
		return err
	}
	response := topUpsResponse{
		TopUpOf:  topUpTargetView{OrderID: topUps.Target.OrderID, ICCID: topUps.Target.ICCID},
		Packages: make([]topUpOptionView, 0, len(topUps.Options)),
	}
	for _, option := range topUps.Options {
		response.Packages = append(response.Packages, topUpOptionView{
			ID:           option.ProviderPackageID,
			Name:         option.Name,
			DataMB:       option.DataMB,
			Unlimited:    option.Unlimited,
			Daily:        option.Daily,
			ValidityDays: option.ValidityDays,
			Price:        option.Price,
		})
	}
	return c.JSON(response)
}

func (h topUpHandlers) place(c *fiber.Ctx) error {
	var cmd ordersapp.PlaceTopUp
	if err := web.DecodeJSON(c, &cmd); err != nil {
		return err
	}
	access, err := h.commandAccess(c)
	if err != nil {
		return err
	}
	cmd.OrderID, cmd.AccessToken, cmd.CustomerID = c.Params("id"), access.Token, access.CustomerID
	placed, err := h.service.PlaceTopUp(web.CommandContext(c, "anonymous"), cmd)
	if err != nil {
		return err
	}
	web.AwaitProjection(c, h.Waiter, h.Logger, placed.Result, orderviews.Name)
	response := fiber.Map{
		"id":           placed.ID,
		"status":       "pending_payment",
		"total":        placed.Total,
		"access_token": placed.AccessToken,
	}
	if placed.TopUpOf != nil {
		response["topup_of"] = topUpTargetView{OrderID: placed.TopUpOf.OrderID, ICCID: placed.TopUpOf.ICCID}
	}
	return c.Status(fiber.StatusCreated).JSON(response)
}
