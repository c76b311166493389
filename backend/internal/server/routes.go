package server

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	accountsports "esimscan/backend/internal/accounts/ports"
	catalogports "esimscan/backend/internal/catalog/ports"
	ordersports "esimscan/backend/internal/orders/ports"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/web"
	providersports "esimscan/backend/internal/providers/ports"
	"esimscan/frontend"
	"esimscan/projections/audit"
	"esimscan/projections/catalog"
	"esimscan/projections/orders"
	"esimscan/projections/providers"
	"esimscan/projections/reports"
)

func (s *Server) routes() *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               "esimscan",
		ErrorHandler:          web.ErrorHandler(s.logger),
		BodyLimit:             web.MaxBodyBytes,
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
	})
	app.Use(recover.New(), web.RequestIDs(), web.SecurityHeaders(), web.PublicURL(s.cfg.PublicURL))
	if s.servesHTTPS() {
		app.Use(web.StrictTransportSecurity(web.HSTSMaxAge))
	}

	api := app.Group("/api")
	api.Get("/health", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	api.Get("/ready", s.ready)
	api.Get("/sandbox", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"enabled": s.sandbox != nil}) })
	accountsports.Routes(api, s.accounts, s.servesHTTPS())

	actor := accountsports.AdminID
	catalogDeps := catalogports.Deps{
		Service: s.catalog, Views: catalog.NewQueries(s.redis.Client), Waiter: s.runner, Logger: s.logger, ActorID: actor,
	}
	ordersDeps := ordersports.Deps{
		Service: s.orders, Views: orders.NewQueries(s.redis.Client), Store: s.store, Waiter: s.runner,
		Logger: s.logger, SignQR: s.signQR, ActorID: actor, Customers: s.customers,
	}
	catalogports.PublicRoutes(api, catalogDeps)
	ordersports.PublicRoutes(api, ordersDeps)
	ordersports.UsageRoutes(api, ordersDeps, s.newUsageCache())

	admin := api.Group("/admin", accountsports.RequireAdmin(s.accounts))
	accountsports.MeRoute(admin)
	providersports.Routes(admin, providersports.Deps{
		Service: s.provider, Views: providers.NewQueries(s.redis.Client), Waiter: s.runner, Logger: s.logger,
		AdvancedDefaults: AdvancedDefaults(),
		IsSandbox:        isSandboxURL, CatchUp: s.catchUp, ActorID: actor,
	})
	catalogports.AdminRoutes(admin, catalogDeps)
	ordersports.AdminRoutes(admin, ordersDeps)
	s.adminRoutes(admin)
	s.paymentRoutes(api, admin, s.payments)
	s.paypalRoutes(api)
	customerRoutes(api, admin, s.email, s.customers, s.servesHTTPS())

	api.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	app.Use(serveSPA(frontend.Files()))
	return app
}

func (s *Server) ready(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if _, err := s.store.Head(ctx); err != nil {
		return unavailable("event_store_unavailable", "the event store does not answer")
	}
	if err := s.redis.Client.Ping(ctx).Err(); err != nil {
		return unavailable("redis_unavailable", "Redis does not answer")
	}
	ready, err := s.runner.Ready(ctx)
	if err != nil {
		return err
	}
	if !ready {
		return unavailable("catching_up", "read models are still catching up with the event log")
	}
	return c.JSON(fiber.Map{"status": "ready"})
}

func unavailable(code, message string) error {
	return &apperr.Error{Kind: apperr.KindUnavailable, Code: code, Message: message}
}

func (s *Server) adminRoutes(admin fiber.Router) {
	auditViews := audit.NewQueries(s.redis.Client)
	admin.Get("/audit", func(c *fiber.Ctx) error {
		kind := c.Query("kind")
		if kind != "" && kind != "margin" && kind != "credentials" {
			return apperr.Invalid("kind", "invalid_oneof", "kind must be margin or credentials")
		}
		entries, err := auditViews.Entries(c.UserContext(), kind, 500)
		if err != nil {
			return err
		}
		if entries == nil {
			entries = []audit.Entry{}
		}
		return c.JSON(entries)
	})
	admin.Get("/projections", func(c *fiber.Ctx) error {
		statuses, err := s.runner.Status(c.UserContext())
		if err != nil {
			return err
		}
		return c.JSON(statuses)
	})
	admin.Post("/projections/rebuild", web.LimitBody(web.DefaultBodyLimit), s.rebuild)
	reportViews := reports.NewQueries(s.redis.Client)
	admin.Get("/reports/daily", func(c *fiber.Ctx) error {
		to := time.Now().UTC()
		from := to.AddDate(0, 0, -30)
		var err error
		if text := c.Query("from"); text != "" {
			if from, err = time.Parse("2006-01-02", text); err != nil {
				return apperr.Invalid("from", "invalid_date", "from must be a date such as 2026-01-31")
			}
		}
		if text := c.Query("to"); text != "" {
			if to, err = time.Parse("2006-01-02", text); err != nil {
				return apperr.Invalid("to", "invalid_date", "to must be a date such as 2026-01-31")
			}
		}
		days, err := reportViews.Daily(c.UserContext(), from, to)
		if err != nil {
			return err
		}
		return c.JSON(days)
	})
	admin.Get("/sandbox", func(c *fiber.Ctx) error {
		if s.sandbox == nil {
			return apperr.NotFound("sandbox_disabled", "the sandbox is off; start the server with ESIMSCAN_SANDBOX=1")
		}
		return c.JSON(fiber.Map{"providers": s.sandbox.Settings()})
	})
}

func (s *Server) rebuild(c *fiber.Ctx) error {
	var request struct {
		Projection string `json:"projection"`
	}
	if len(c.Body()) > 0 {
		if err := web.DecodeJSON(c, &request); err != nil {
			return err
		}
	}
	var names []string
	if request.Projection != "" {
		known := false
		for _, projector := range Projectors() {
			known = known || projector.Name() == request.Projection
		}
		if !known {
			return apperr.Invalid("projection", "invalid_projection", "no projection named "+request.Projection)
		}
		names = []string{request.Projection}
	}
	// Rebuild runs in the background: the store keeps serving, and
	// /api/ready returns 503 until the read models have caught up.
	go func() {
		if err := s.runner.Rebuild(context.Background(), names...); err != nil && !errors.Is(err, context.Canceled) {
			s.logger.Error().Err(err).Strs("projections", names).Msg("rebuild failed")
		}
	}()
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"rebuilding": names})
}

// signQR signs an order id and ICCID for the QR image URL.
func (s *Server) signQR(orderID, iccid string) string {
	return s.keys.Fingerprint("qr-image\x00" + orderID + "\x00" + iccid)
}
