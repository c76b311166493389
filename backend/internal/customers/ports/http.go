// Package ports serves the storefront customer endpoints under
// /api/customers and customer erasure under the admin group.
package ports

import (
	"context"

	"github.com/gofiber/fiber/v2"

	customersapp "esimscan/backend/internal/customers/app"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/web"
)

// SessionCookie is the customer session cookie, apart from the admin's.
const SessionCookie = "esimscan_customer_session"

// Customers is the part of the customers application that the routes call.
type Customers interface {
	Register(ctx context.Context, cmd customersapp.Register) error
	Verify(ctx context.Context, token string) error
	Login(ctx context.Context, email, password string) (customersapp.Session, error)
	Authenticate(ctx context.Context, token string) (customersapp.Session, error)
	RequestPasswordReset(ctx context.Context, email string) error
	ConfirmPasswordReset(ctx context.Context, token, password string) error
	Customer(ctx context.Context, customerID string) (customersapp.Customer, error)
	Erase(ctx context.Context, customerID string) (eventstore.AppendResult, error)
}

type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Token    string `json:"token"`
}

func decode(c *fiber.Ctx, required ...string) (credentials, error) {
	var request credentials
	if err := web.DecodeJSON(c, &request); err != nil {
		return credentials{}, err
	}
	values := map[string]string{"email": request.Email, "password": request.Password, "token": request.Token}
	for _, field := range required {
		if values[field] == "" {
			return credentials{}, apperr.Invalid(field, "invalid_required", field+" is required")
		}
	}
	return request, nil
}

// PublicRoutes registers register, verify, login, password reset and
// me under /customers.
func PublicRoutes(api fiber.Router, customers Customers, secureCookies bool) {
	group := api.Group("/customers", web.LimitBody(web.DefaultBodyLimit))
	group.Post("/register", func(c *fiber.Ctx) error {
		request, err := decode(c, "email", "password")
		if err != nil {
			return err
		}
		err = customers.Register(web.CommandContext(c, "anonymous"), customersapp.Register{Email: request.Email, Password: request.Password})
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"registered": true, "verification": "sent"})
	})
	group.Post("/verify", func(c *fiber.Ctx) error {
		request, err := decode(c, "token")
		if err != nil {
			return err
		}
		if err := customers.Verify(web.CommandContext(c, "anonymous"), request.Token); err != nil {
			return err
		}
		return c.JSON(fiber.Map{"verified": true})
	})
	group.Post("/login", func(c *fiber.Ctx) error {
		request, err := decode(c, "email", "password")
		if err != nil {
			return err
		}
		session, err := customers.Login(c.UserContext(), request.Email, request.Password)
		if err != nil {
			return err
		}
		c.Cookie(&fiber.Cookie{
			Name: SessionCookie, Value: session.Token, Path: "/", Expires: session.ExpiresAt,
			HTTPOnly: true, Secure: secureCookies, SameSite: fiber.CookieSameSiteLaxMode,
		})
		return c.JSON(fiber.Map{"csrf_token": session.CSRFToken})
	})
	group.Post("/password-reset", func(c *fiber.Ctx) error {
		request, err := decode(c, "email")
		if err != nil {
			return err
		}
		if err := customers.RequestPasswordReset(web.CommandContext(c, "anonymous"), request.Email); err != nil {
			return err
		}
		return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"requested": true})
	})
	group.Post("/password-reset/confirm", func(c *fiber.Ctx) error {
		request, err := decode(c, "token", "password")
		if err != nil {
			return err
		}
		if err := customers.ConfirmPasswordReset(web.CommandContext(c, "anonymous"), request.Token, request.Password); err != nil {
			return err
		}
		return c.JSON(fiber.Map{"reset": true})
	})
	group.Get("/me", func(c *fiber.Ctx) error {
		session, err := customers.Authenticate(c.UserContext(), c.Cookies(SessionCookie))
		if err != nil {
			return err
		}
		customer, err := customers.Customer(c.UserContext(), session.CustomerID)
		if err != nil {
			return err
		}
		return c.JSON(customer)
	})
}

// AdminRoutes registers POST /customers/:id/erase under admin.
func AdminRoutes(admin fiber.Router, customers Customers, actorID func(*fiber.Ctx) string) {
	admin.Post("/customers/:id/erase", func(c *fiber.Ctx) error {
		if _, err := customers.Erase(web.CommandContext(c, actorID(c)), c.Params("id")); err != nil {
			return err
		}
		return c.JSON(fiber.Map{"erased": true})
	})
}
