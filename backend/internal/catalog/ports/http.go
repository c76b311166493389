// Package ports serves the storefront catalog and the admin catalog
// endpoints (per-package margin override and enable/disable).
package ports

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/rs/zerolog"

	catalogapp "esimscan/backend/internal/catalog/app"
	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/web"
	catalogviews "esimscan/projections/catalog"
)

// Service is the part of the catalog application that the routes call.
type Service interface {
	UpdatePackage(ctx context.Context, cmd catalogapp.UpdatePackage) (eventstore.AppendResult, error)
}

// Views is the catalog read model.
type Views interface {
	Countries(ctx context.Context) ([]catalogviews.CountryView, error)
	Regions(ctx context.Context) ([]catalogviews.RegionView, error)
	PackagesByCountry(ctx context.Context, code string) ([]catalogviews.PackageView, error)
	PackagesByRegion(ctx context.Context, code string) ([]catalogviews.PackageView, error)
	AdminPackages(ctx context.Context, provider string) ([]catalogviews.AdminPackageView, error)
	Quote(ctx context.Context, packageID string) (catalogviews.Quote, error)
}

// Deps are the routes' collaborators.
type Deps struct {
	Service Service
	Views   Views
	Waiter  web.Waiter
	Logger  zerolog.Logger
	ActorID func(c *fiber.Ctx) string
}

// PublicRoutes registers the storefront catalog.
func PublicRoutes(api fiber.Router, deps Deps) {
	h := handlers{deps}
	api.Get("/catalog/countries", h.countries)
	api.Get("/catalog/regions", h.regions)
	api.Get("/catalog/packages", h.packages)
}

// AdminRoutes registers the admin catalog on the admin group.
func AdminRoutes(admin fiber.Router, deps Deps) {
	h := handlers{deps}
	admin.Get("/catalog/packages", h.adminPackages)
	admin.Patch("/catalog/packages/:id", web.LimitBody(web.DefaultBodyLimit), h.updatePackage)
}

type handlers struct{ Deps }

func (h handlers) countries(c *fiber.Ctx) error {
	countries, err := h.Views.Countries(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(nonNil(countries))
}

func (h handlers) regions(c *fiber.Ctx) error {
	regions, err := h.Views.Regions(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(nonNil(regions))
}

func (h handlers) packages(c *fiber.Ctx) error {
	country := strings.ToUpper(strings.TrimSpace(c.Query("country")))
	region := strings.TrimSpace(c.Query("region"))
	switch {
	case country != "" && region != "":
		return apperr.Invalid("region", "invalid_combination", "give either country or region, not both")
	case country != "":
		if len(country) != 2 || strings.Trim(country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return apperr.Invalid("country", "invalid_country", "country must be an ISO 3166-1 alpha-2 code such as JP")
		}
		packages, err := h.Views.PackagesByCountry(c.UserContext(), country)
		if err != nil {
			return err
		}
		return c.JSON(nonNil(packages))
	case region != "":
		if len(region) > 64 {
			return apperr.Invalid("region", "invalid_region", "region code is too long")
		}
		packages, err := h.Views.PackagesByRegion(c.UserContext(), region)
		if err != nil {
			return err
		}
		return c.JSON(nonNil(packages))
	default:
		return apperr.Invalid("country", "invalid_required", "give a country (ISO code) or a region code")
	}
}

func (h handlers) adminPackages(c *fiber.Ctx) error {
	provider := c.Query("provider")
	if provider == "" {
		return apperr.Invalid("provider", "invalid_required", "provider is required (a provider slug such as esim-access)")
	}
	packages, err := h.Views.AdminPackages(c.UserContext(), provider)
	if err != nil {
		return err
	}
	return c.JSON(nonNil(packages))
}

func (h handlers) updatePackage(c *fiber.Ctx) error {
	var request map[string]json.RawMessage
	if err := web.DecodeJSON(c, &request); err != nil {
		return err
	}
	packageID := c.Params("id")
	quote, err := h.Views.Quote(c.UserContext(), packageID)
	if errors.Is(err, catalogviews.ErrPackageNotFound) {
		return apperr.NotFound("package_not_found", "no package with id "+packageID)
	}
	if err != nil {
		return err
	}
	cmd := catalogapp.UpdatePackage{PackageID: packageID, Provider: quote.Package.Provider}
	if raw, present := request["margin_override"]; present {
		cmd.SetMargin = true
		text := strings.TrimSpace(string(raw))
		if text != "null" {
			var number json.Number
			if strings.HasPrefix(text, `"`) || json.Unmarshal(raw, &number) != nil {
				return apperr.Invalid("margin_override", "invalid_type", "margin_override must be a number such as 12.5, or null to use the provider margin")
			}
			value := number.String()
			cmd.MarginOverride = &value
		}
	}
	if raw, present := request["enabled"]; present {
		text := strings.TrimSpace(string(raw))
		if text != "true" && text != "false" {
			return apperr.Invalid("enabled", "invalid_type", "enabled must be true or false")
		}
		enabled := text == "true"
		cmd.Enabled = &enabled
	}
	if !cmd.SetMargin && cmd.Enabled == nil {
		return apperr.Invalid("margin_override", "invalid_required", "send margin_override, enabled, or both")
	}
	result, err := h.Service.UpdatePackage(web.CommandContext(c, h.ActorID(c)), cmd)
	if err != nil {
		return err
	}
	web.AwaitProjection(c, h.Waiter, h.Logger, result) // the catalog and the audit trail
	packages, err := h.Views.AdminPackages(c.UserContext(), quote.Package.Provider)
	if err != nil {
		return err
	}
	for _, pkg := range packages {
		if pkg.ID == packageID {
			return c.JSON(pkg)
		}
	}
	return apperr.NotFound("package_not_found", "no package with id "+packageID)
}

func nonNil[T any](items []T) []T {
	if items == nil {
		return []T{}
	}
	return items
}
