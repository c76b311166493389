// Package ports serves the SMTP settings and the resend of an order's
// eSIM email under the admin group.
package ports

import (
	"context"

	"github.com/gofiber/fiber/v2"

	emailapp "esimscan/backend/internal/email/app"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/web"
)

// Email is the part of the email application that the routes call.
type Email interface {
	ConfigureSMTP(ctx context.Context, cmd emailapp.ConfigureSMTP) (eventstore.AppendResult, error)
	SMTPSettings(ctx context.Context) (emailapp.SMTPView, error)
	TestSMTP(ctx context.Context, to string) (emailapp.TestResult, error)
	ResendOrderEmail(ctx context.Context, orderID string) (eventstore.AppendResult, error)
}

// AdminRoutes registers GET and PUT /settings/smtp, POST
// /settings/smtp/test and POST /orders/:id/resend-email under admin.
// actorID returns the signed-in admin's id, recorded with each command.
func AdminRoutes(admin fiber.Router, email Email, actorID func(*fiber.Ctx) string) {
	admin.Get("/settings/smtp", func(c *fiber.Ctx) error {
		view, err := email.SMTPSettings(c.UserContext())
		if err != nil {
			return err
		}
		return c.JSON(view)
	})
	admin.Put("/settings/smtp", web.LimitBody(web.DefaultBodyLimit), func(c *fiber.Ctx) error {
		var cmd emailapp.ConfigureSMTP
		if err := web.DecodeJSON(c, &cmd); err != nil {
			return err
		}
		if _, err := email.ConfigureSMTP(web.CommandContext(c, actorID(c)), cmd); err != nil {
			return err
		}
		view, err := email.SMTPSettings(c.UserContext())
		if err != nil {
			return err
		}
		return c.JSON(view)
	})
	admin.Post("/settings/smtp/test", web.LimitBody(web.DefaultBodyLimit), func(c *fiber.Ctx) error {
		var request struct {
			To string `json:"to"`
		}
		if err := web.DecodeJSON(c, &request); err != nil {
			return err
		}
		if request.To == "" {
			return apperr.Invalid("to", "invalid_required", "to is required")
		}
		result, err := email.TestSMTP(c.UserContext(), request.To)
		if err != nil {
			return err
		}
		return c.JSON(result)
	})
	admin.Post("/orders/:id/resend-email", func(c *fiber.Ctx) error {
		if _, err := email.ResendOrderEmail(web.CommandContext(c, actorID(c)), c.Params("id")); err != nil {
			return err
		}
		return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"resend": "requested"})
	})
}
