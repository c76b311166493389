// Package ports serves the installer, admin sign-in and the middleware that
// guards every admin endpoint.
package ports

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	accountsapp "esimscan/backend/internal/accounts/app"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/web"
)

// SessionCookie is the name of the admin session cookie.
const SessionCookie = "esimscan_session"

// CSRFHeader carries the CSRF token on every state-changing admin request.
const CSRFHeader = "X-CSRF-Token"

// Accounts is the part of the accounts application that the routes call.
type Accounts interface {
	Install(ctx context.Context, cmd accountsapp.Install) (eventstore.AppendResult, error)
	IsInstalled(ctx context.Context) (bool, error)
	StoreName(ctx context.Context) (string, error)
	LoginFrom(ctx context.Context, email, password, clientIP string) (accountsapp.Session, error)
	Authenticate(ctx context.Context, token string) (accountsapp.Session, error)
	Logout(ctx context.Context, token string) error
	CheckCSRF(session accountsapp.Session, header string) error
}

// Routes registers the public account endpoints. secureCookies marks the
// session cookie Secure, for a store served over HTTPS.
func Routes(api fiber.Router, accounts Accounts, secureCookies bool) {
	api.Get("/install", func(c *fiber.Ctx) error {
		installed, err := accounts.IsInstalled(c.UserContext())
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"installed": installed})
	})
	api.Get("/store", func(c *fiber.Ctx) error {
		name, err := accounts.StoreName(c.UserContext())
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"name": name})
	})
	api.Get("/auth/session", func(c *fiber.Ctx) error {
		// A signed-out visitor gets 200 with no admin, not 401: the SPA checks
		// on every load, and a browser logs each 401 as an error.
		token := c.Cookies(SessionCookie)
		if token == "" {
			return c.JSON(fiber.Map{"admin": nil})
		}
		session, err := accounts.Authenticate(c.UserContext(), token)
		if appErr, ok := apperr.As(err); ok && appErr.Kind == apperr.KindUnauthorized {
			return c.JSON(fiber.Map{"admin": nil})
		}
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"csrf_token": session.CSRFToken, "admin": fiber.Map{"id": session.AdminID, "email": session.Email}})
	})
	api.Post("/install", web.LimitBody(web.DefaultBodyLimit), func(c *fiber.Ctx) error {
		var cmd accountsapp.Install
		if err := web.DecodeJSON(c, &cmd); err != nil {
			return err
		}
		if _, err := accounts.Install(web.CommandContext(c, "installer"), cmd); err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"installed": true})
	})
	api.Post("/auth/login", web.LimitBody(web.DefaultBodyLimit), func(c *fiber.Ctx) error {
		var request struct {
			Email    string `json:"email"`
			Password string `json:"password"`
		}
		if err := web.DecodeJSON(c, &request); err != nil {
			return err
		}
		if request.Email == "" {
			return apperr.Invalid("email", "invalid_required", "email is required")
		}
		if request.Password == "" {
			return apperr.Invalid("password", "invalid_required", "password is required")
		}
		session, err := accounts.LoginFrom(c.UserContext(), request.Email, request.Password, c.IP())
		var tooMany *accountsapp.TooManyAttemptsError
		if errors.As(err, &tooMany) {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(tooMany.RetryAfterSeconds()))
		}
		if err != nil {
			return err
		}
		c.Cookie(&fiber.Cookie{
			Name:     SessionCookie,
			Value:    session.Token,
			Path:     "/",
			Expires:  session.ExpiresAt,
			HTTPOnly: true,
			Secure:   secureCookies,
			SameSite: fiber.CookieSameSiteStrictMode,
		})
		return c.JSON(fiber.Map{"csrf_token": session.CSRFToken, "admin": fiber.Map{"id": session.AdminID, "email": session.Email}})
	})
	api.Post("/auth/logout", func(c *fiber.Ctx) error {
		if token := c.Cookies(SessionCookie); token != "" {
			// A live session ends only with its CSRF token, so that another
			// site cannot sign the admin out. An expired or unknown one just
			// loses its cookie.
			session, err := accounts.Authenticate(c.UserContext(), token)
			if err == nil {
				if err := accounts.CheckCSRF(session, c.Get(CSRFHeader)); err != nil {
					return err
				}
			}
			if err := accounts.Logout(c.UserContext(), token); err != nil {
				return err
			}
		}
		c.Cookie(&fiber.Cookie{
			Name: SessionCookie, Value: "", Path: "/", Expires: time.Unix(0, 0),
			HTTPOnly: true, Secure: secureCookies, SameSite: fiber.CookieSameSiteStrictMode,
		})
		return c.SendStatus(fiber.StatusNoContent)
	})
}

type sessionKey struct{}

// RequireAdmin guards admin endpoints: 409 not_installed before the
// installer ran, 401 without a valid session, 403 when a state-changing
// request lacks the session's CSRF token.
func RequireAdmin(accounts Accounts) fiber.Handler {
	return func(c *fiber.Ctx) error {
		installed, err := accounts.IsInstalled(c.UserContext())
		if err != nil {
			return err
		}
		if !installed {
			return apperr.Conflict("not_installed", "the store is not installed yet: run the installer (POST /api/install)")
		}
		token := c.Cookies(SessionCookie)
		if token == "" {
			return &apperr.Error{Kind: apperr.KindUnauthorized, Code: "unauthenticated", Message: "sign in as an admin first"}
		}
		session, err := accounts.Authenticate(c.UserContext(), token)
		if err != nil {
			return err
		}
		if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
			if err := accounts.CheckCSRF(session, c.Get(CSRFHeader)); err != nil {
				return err
			}
		}
		c.Locals(sessionKey{}, session)
		return c.Next()
	}
}

// AdminID returns the signed-in admin's id set by RequireAdmin.
func AdminID(c *fiber.Ctx) string {
	session, _ := c.Locals(sessionKey{}).(accountsapp.Session)
	return session.AdminID
}

// MeRoute registers GET /me under the admin group.
func MeRoute(admin fiber.Router) {
	admin.Get("/me", func(c *fiber.Ctx) error {
		session, _ := c.Locals(sessionKey{}).(accountsapp.Session)
		return c.JSON(fiber.Map{"id": session.AdminID, "email": session.Email})
	})
}
