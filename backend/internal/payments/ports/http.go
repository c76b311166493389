// Package ports serves the payment settings for admins and the Stripe
// webhook.
package ports

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/payments/settings"
	"esimscan/backend/internal/payments/stripe"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/web"
)

// Settings is the part of the payment settings service the routes call.
type Settings interface {
	ConfigureStripe(ctx context.Context, input settings.StripeInput) (eventstore.AppendResult, error)
	ConfigurePayPal(ctx context.Context, input settings.PayPalInput) (eventstore.AppendResult, error)
	ConfigureManual(ctx context.Context, input settings.ManualInput) (eventstore.AppendResult, error)
	Views(ctx context.Context) (settings.View, error)
}

// StripeWebhook handles a Stripe webhook delivery; *stripe.Webhook
// implements it.
type StripeWebhook interface {
	Handle(ctx context.Context, payload []byte, header string) error
}

// maxWebhookBody bounds a webhook delivery; Stripe events are far smaller.
const maxWebhookBody = 512 << 10

// AdminRoutes registers the payment settings under /settings/payments.
// A save returns once the read models (the credential audit among them)
// show it, bounded by waiter.
func AdminRoutes(admin fiber.Router, service Settings, actorID func(c *fiber.Ctx) string, waiter web.Waiter, logger zerolog.Logger) {
	h := settingsHandlers{service: service, actorID: actorID, waiter: waiter, logger: logger}
	admin.Get("/settings/payments", h.get)
	admin.Put("/settings/payments/stripe", web.LimitBody(web.DefaultBodyLimit), h.putStripe)
	admin.Put("/settings/payments/paypal", web.LimitBody(web.DefaultBodyLimit), h.putPayPal)
	admin.Put("/settings/payments/manual", web.LimitBody(web.DefaultBodyLimit), h.putManual)
}

// WebhookRoutes registers POST /webhooks/stripe.
func WebhookRoutes(api fiber.Router, webhook StripeWebhook, logger zerolog.Logger) {
	api.Post("/webhooks/stripe", web.LimitBody(maxWebhookBody), func(c *fiber.Ctx) error {
		// The signature covers the exact bytes received, so the body is
		// passed on unparsed; it is copied because fasthttp reuses it.
		payload := append([]byte(nil), c.Body()...)
		err := webhook.Handle(c.UserContext(), payload, c.Get("Stripe-Signature"))
		if errors.Is(err, stripe.ErrInvalidSignature) {
			logger.Warn().Err(err).Msg("stripe webhook rejected")
			return apperr.BadRequest("invalid_signature", "the Stripe-Signature header does not verify this body")
		}
		if err != nil {
			logger.Error().Err(err).Msg("stripe webhook not recorded; stripe retries it")
			return &apperr.Error{Kind: apperr.KindUnavailable, Code: "webhook_not_recorded", Message: "the event could not be recorded yet; retry later"}
		}
		return c.JSON(fiber.Map{"received": true})
	})
}

type settingsHandlers struct {
	service Settings
	actorID func(c *fiber.Ctx) string
	waiter  web.Waiter
	logger  zerolog.Logger
}

func (h settingsHandlers) get(c *fiber.Ctx) error {
	view, err := h.service.Views(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(view)
}

func (h settingsHandlers) putStripe(c *fiber.Ctx) error {
	var input settings.StripeInput
	if err := web.DecodeJSON(c, &input); err != nil {
		return err
	}
	result, err := h.service.ConfigureStripe(web.CommandContext(c, h.actorID(c)), input)
	if err != nil {
		return err
	}
	web.AwaitProjection(c, h.waiter, h.logger, result)
	return h.respond(c, func(view settings.View) any { return view.Stripe })
}

func (h settingsHandlers) putPayPal(c *fiber.Ctx) error {
	var input settings.PayPalInput
	if err := web.DecodeJSON(c, &input); err != nil {
		return err
	}
	result, err := h.service.ConfigurePayPal(web.CommandContext(c, h.actorID(c)), input)
	if err != nil {
		return err
	}
	web.AwaitProjection(c, h.waiter, h.logger, result)
	return h.respond(c, func(view settings.View) any { return view.PayPal })
}

func (h settingsHandlers) putManual(c *fiber.Ctx) error {
	var input settings.ManualInput
	if err := web.DecodeJSON(c, &input); err != nil {
		return err
	}
	result, err := h.service.ConfigureManual(web.CommandContext(c, h.actorID(c)), input)
	if err != nil {
		return err
	}
	web.AwaitProjection(c, h.waiter, h.logger, result)
	return h.respond(c, func(view settings.View) any { return view.Manual })
}

func (h settingsHandlers) respond(c *fiber.Ctx, pick func(settings.View) any) error {
	view, err := h.service.Views(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(pick(view))
}
