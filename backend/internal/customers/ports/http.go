// Package ports serves the storefront customer endpoints under
// /api/customers and customer erasure under the admin group.
package ports

import (
	"context"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	customersapp "esimscan/backend/internal/customers/app"
	"esimscan/backend/internal/eventstore"
	ordersports "esimscan/backend/internal/orders/ports"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/web"
	orderviews "esimscan/projections/orders"
)

// SessionCookie is the customer session cookie, apart from the admin's.
// Order placement reads it to give signed-in customers their orders.
const SessionCookie = ordersports.CustomerSessionCookie

// Customers is the part of the customers application that the routes call.
type Customers interface {
	RegisterFrom(ctx context.Context, cmd customersapp.Register, clientIP string) error
	Verify(ctx context.Context, token string) error
	LoginFrom(ctx context.Context, email, password, clientIP string) (customersapp.Session, error)
	Authenticate(ctx context.Context, token string) (customersapp.Session, error)
	Logout(ctx context.Context, token string) error
	CheckCSRF(session customersapp.Session, header string) error
	RequestPasswordResetFrom(ctx context.Context, email, clientIP string) error
	ConfirmPasswordReset(ctx context.Context, token, password string) error
	Customer(ctx context.Context, customerID string) (customersapp.Customer, error)
	Erase(ctx context.Context, customerID string) (eventstore.AppendResult, error)
	EraseGuest(ctx context.Context, cmd customersapp.EraseGuest) (customersapp.GuestErasure, error)
	CustomerOrders(ctx context.Context, customerID string) ([]orderviews.OrderView, error)
	ListCustomers(ctx context.Context, offset, limit int) ([]customersapp.ListedCustomer, int, error)
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
		cmd := customersapp.Register{Email: request.Email, Password: request.Password}
		err = customers.RegisterFrom(web.CommandContext(c, "anonymous"), cmd, c.IP())
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
		session, err := customers.LoginFrom(c.UserContext(), request.Email, request.Password, c.IP())
		if err != nil {
			return err
		}
		c.Cookie(&fiber.Cookie{
			Name: SessionCookie, Value: session.Token, Path: "/", Expires: session.ExpiresAt,
			HTTPOnly: true, Secure: secureCookies, SameSite: fiber.CookieSameSiteLaxMode,
		})
		return c.JSON(fiber.Map{"csrf_token": session.CSRFToken})
	})
	group.Post("/logout", func(c *fiber.Ctx) error {
		if err := logout(c, customers); err != nil {
			return err
		}
		c.Cookie(&fiber.Cookie{
			Name: SessionCookie, Value: "", Path: "/", Expires: time.Unix(0, 0),
			HTTPOnly: true, Secure: secureCookies, SameSite: fiber.CookieSameSiteLaxMode,
		})
		return c.SendStatus(fiber.StatusNoContent)
	})
	group.Post("/password-reset", func(c *fiber.Ctx) error {
		request, err := decode(c, "email")
		if err != nil {
			return err
		}
		if err := customers.RequestPasswordResetFrom(web.CommandContext(c, "anonymous"), request.Email, c.IP()); err != nil {
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
	group.Get("/me/orders", func(c *fiber.Ctx) error {
		session, err := customers.Authenticate(c.UserContext(), c.Cookies(SessionCookie))
		if err != nil {
			return err
		}
		orders, err := customers.CustomerOrders(c.UserContext(), session.CustomerID)
		if err != nil {
			return err
		}
		for i := range orders {
			orders[i] = ordersports.PublicView(orders[i])
		}
		return c.JSON(orders)
	})
}

// logout ends the session of the request's cookie. A live session ends
// only with its CSRF token in the X-CSRF-Token header, so that another
// site cannot sign the customer out. Without a live session there is
// nothing to end.
func logout(c *fiber.Ctx, customers Customers) error {
	token := c.Cookies(SessionCookie)
	if token == "" {
		return nil
	}
	session, err := customers.Authenticate(c.UserContext(), token)
	if appErr, ok := apperr.As(err); ok && appErr.Kind == apperr.KindUnauthorized {
		return nil
	}
	if err != nil {
		return err
	}
	if err := customers.CheckCSRF(session, c.Get(ordersports.CustomerCSRFHeader)); err != nil {
		return err
	}
	return customers.Logout(c.UserContext(), token)
}

// AdminRoutes registers GET /customers, POST /customers/:id/erase and
// POST /customers/erase-guest under admin.
func AdminRoutes(admin fiber.Router, customers Customers, actorID func(*fiber.Ctx) string) {
	admin.Get("/customers", func(c *fiber.Ctx) error {
		offset, limit, err := page(c)
		if err != nil {
			return err
		}
		list, total, err := customers.ListCustomers(c.UserContext(), offset, limit)
		if err != nil {
			return err
		}
		c.Set("X-Total-Count", strconv.Itoa(total))
		return c.JSON(list)
	})
	admin.Post("/customers/:id/erase", func(c *fiber.Ctx) error {
		if _, err := customers.Erase(web.CommandContext(c, actorID(c)), c.Params("id")); err != nil {
			return err
		}
		return c.JSON(fiber.Map{"erased": true})
	})
	admin.Post("/customers/erase-guest", web.LimitBody(web.DefaultBodyLimit), func(c *fiber.Ctx) error {
		var cmd customersapp.EraseGuest
		if err := web.DecodeJSON(c, &cmd); err != nil {
			return err
		}
		erasure, err := customers.EraseGuest(web.CommandContext(c, actorID(c)), cmd)
		if err != nil {
			return err
		}
		return c.JSON(erasure)
	})
}

// page reads the offset and limit query parameters: limit 1 to 500,
// default 100.
func page(c *fiber.Ctx) (offset, limit int, err error) {
	limit, offset = 100, 0
	if text := c.Query("limit"); text != "" {
		if limit, err = strconv.Atoi(text); err != nil || limit < 1 || limit > 500 {
			return 0, 0, apperr.Invalid("limit", "invalid_range", "limit must be a whole number from 1 to 500")
		}
	}
	if text := c.Query("offset"); text != "" {
		if offset, err = strconv.Atoi(text); err != nil || offset < 0 {
			return 0, 0, apperr.Invalid("offset", "invalid_range", "offset must be a whole number from 0")
		}
	}
	return offset, limit, nil
}
