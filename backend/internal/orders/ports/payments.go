package ports

import (
	"github.com/gofiber/fiber/v2"

	ordersapp "esimscan/backend/internal/orders/app"
	"esimscan/backend/internal/platform/web"
	orderviews "esimscan/projections/orders"
)

// checkout returns {"redirect_url"} or {"instructions"}. The gateway sends
// the buyer back to the store's public URL (web.StoreURL), never to an
// address taken from X-Forwarded-* headers.
func (h handlers) checkout(c *fiber.Ctx) error {
	var cmd ordersapp.StartCheckout
	if err := web.DecodeJSON(c, &cmd); err != nil {
		return err
	}
	access, err := h.commandAccess(c)
	if err != nil {
		return err
	}
	cmd.OrderID, cmd.AccessToken, cmd.CustomerID, cmd.StoreURL = c.Params("id"), access.Token, access.CustomerID, web.StoreURL(c)
	checkout, err := h.Service.StartCheckout(web.CommandContext(c, "anonymous"), cmd)
	if err != nil {
		return err
	}
	if checkout.RedirectURL != "" {
		return c.JSON(fiber.Map{"redirect_url": checkout.RedirectURL})
	}
	return c.JSON(fiber.Map{"instructions": checkout.Instructions})
}

func (h handlers) markPaid(c *fiber.Ctx) error {
	result, err := h.Service.MarkPaid(web.CommandContext(c, h.ActorID(c)), c.Params("id"))
	if err != nil {
		return err
	}
	web.AwaitProjection(c, h.Waiter, h.Logger, result, orderviews.Name)
	return h.adminGet(c)
}

func (h handlers) cancel(c *fiber.Ctx) error {
	result, err := h.Service.CancelOrder(web.CommandContext(c, h.ActorID(c)), c.Params("id"))
	if err != nil {
		return err
	}
	web.AwaitProjection(c, h.Waiter, h.Logger, result, orderviews.Name)
	return h.adminGet(c)
}

// refund refunds the whole refundable amount when the body is empty or has
// no amount.
func (h handlers) refund(c *fiber.Ctx) error {
	var cmd ordersapp.RefundOrder
	if len(c.Body()) > 0 {
		if err := web.DecodeJSON(c, &cmd); err != nil {
			return err
		}
	}
	cmd.OrderID = c.Params("id")
	result, err := h.Service.RefundOrder(web.CommandContext(c, h.ActorID(c)), cmd)
	if err != nil {
		return err
	}
	web.AwaitProjection(c, h.Waiter, h.Logger, result, orderviews.Name)
	return h.adminGet(c)
}
