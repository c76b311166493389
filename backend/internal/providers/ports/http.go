// Package ports serves the admin provider endpoints: connect, test, sync,
// enable, and the provider's history.
package ports

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/eventstore"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/web"
	providersapp "esimscan/backend/internal/providers/app"
	providerviews "esimscan/projections/providers"
)

// Service is the part of the providers application that the routes call.
type Service interface {
	ConfigureProvider(ctx context.Context, cmd providersapp.ConfigureProvider) (eventstore.AppendResult, error)
	TestProvider(ctx context.Context, slug string) (providersapp.TestOutcome, eventstore.AppendResult, error)
	StartSync(ctx context.Context, slug string) (string, eventstore.AppendResult, error)
	EnableProvider(ctx context.Context, slug string) (eventstore.AppendResult, error)
	DisableProvider(ctx context.Context, slug string) (eventstore.AppendResult, error)
}

// Views is the providers read model.
type Views interface {
	Provider(ctx context.Context, slug string) (providerviews.ProviderView, error)
	Providers(ctx context.Context) ([]providerviews.ProviderView, error)
	History(ctx context.Context, slug string) ([]providerviews.HistoryEntry, error)
	Sync(ctx context.Context, slug, syncID string) (providerviews.SyncView, error)
}

// Deps are the routes' collaborators. AdvancedDefaults lists each
// provider's built-in advanced settings, shown where the admin left them
// blank. IsSandbox reports whether a base URL points at the demo sandbox.
type Deps struct {
	Service          Service
	Views            Views
	Waiter           web.Waiter
	Logger           zerolog.Logger
	AdvancedDefaults map[string]map[string]string
	IsSandbox        func(baseURL string) bool
	// CatchUp waits, bounded, until the named read models have applied the
	// whole log, or returns a 503 error.
	CatchUp func(ctx context.Context, projectors ...string) error
	ActorID func(c *fiber.Ctx) string
}

// Slugs are the providers esimScan can connect.
var Slugs = []string{"airalo", "esim-access", "maya", "esim-go"}

// view is a provider as the admin API shows it.
type view struct {
	providerviews.ProviderView
	AdvancedDefaults map[string]string `json:"advanced_defaults"`
	Sandbox          bool              `json:"sandbox"`
}

type configureRequest struct {
	BaseURL             string          `json:"base_url"`
	MarginPercent       json.RawMessage `json:"margin_percent"`
	SyncIntervalMinutes json.RawMessage `json:"sync_interval_minutes"`
	RateLimitPerHour    json.RawMessage `json:"rate_limit_per_hour"`
	Credentials         json.RawMessage `json:"credentials"`
	Advanced            json.RawMessage `json:"advanced"`
	AuthMode            string          `json:"auth_mode"`
	ExpectedVersion     *uint64         `json:"expected_version"`
}

// Routes registers the provider endpoints on the admin group.
func Routes(admin fiber.Router, deps Deps) {
	h := handlers{deps}
	group := admin.Group("/providers")
	group.Get("/", h.list)
	group.Get("/:slug", h.slug, h.get)
	group.Put("/:slug", h.slug, web.LimitBody(web.DefaultBodyLimit), h.configure)
	group.Post("/:slug/test", h.slug, h.test)
	group.Post("/:slug/sync", h.slug, h.sync)
	group.Get("/:slug/syncs/:syncID", h.slug, h.getSync)
	group.Post("/:slug/enable", h.slug, h.enable)
	group.Post("/:slug/disable", h.slug, h.disable)
	group.Get("/:slug/history", h.slug, h.history)
}

type handlers struct{ Deps }

func (h handlers) slug(c *fiber.Ctx) error {
	slug := c.Params("slug")
	for _, known := range Slugs {
		if slug == known {
			return c.Next()
		}
	}
	return apperr.NotFound("provider_not_found", "no provider "+strconv.Quote(slug)+"; use one of "+strings.Join(Slugs, ", "))
}

func (h handlers) render(ctx context.Context, slug string) (view, error) {
	provider, err := h.Views.Provider(ctx, slug)
	if err != nil {
		return view{}, err
	}
	result := view{ProviderView: provider, AdvancedDefaults: h.AdvancedDefaults[slug]}
	if h.IsSandbox != nil && provider.BaseURL != "" {
		result.Sandbox = h.IsSandbox(provider.BaseURL)
	}
	if result.AdvancedDefaults == nil {
		result.AdvancedDefaults = map[string]string{}
	}
	return result, nil
}

func (h handlers) list(c *fiber.Ctx) error {
	providers, err := h.Views.Providers(c.UserContext())
	if err != nil {
		return err
	}
	views := make([]view, 0, len(providers))
	for _, provider := range providers {
		rendered, err := h.render(c.UserContext(), provider.Slug)
		if err != nil {
			return err
		}
		views = append(views, rendered)
	}
	return c.JSON(views)
}

func (h handlers) get(c *fiber.Ctx) error {
	rendered, err := h.render(c.UserContext(), c.Params("slug"))
	if err != nil {
		return err
	}
	return c.JSON(rendered)
}

func (h handlers) configure(c *fiber.Ctx) error {
	var request configureRequest
	if err := web.DecodeJSON(c, &request); err != nil {
		return err
	}
	cmd, err := request.command(c.Params("slug"))
	if err != nil {
		return err
	}
	result, err := h.Service.ConfigureProvider(web.CommandContext(c, h.ActorID(c)), cmd)
	if err != nil {
		return err
	}
	// A save changes the provider view, the catalog's prices and the audit
	// trail: wait for every read model, so the next page shows all three.
	web.AwaitProjection(c, h.Waiter, h.Logger, result)
	return h.get(c)
}

func (r configureRequest) command(slug string) (providersapp.ConfigureProvider, error) {
	margin, err := decimalText("margin_percent", r.MarginPercent, true)
	if err != nil {
		return providersapp.ConfigureProvider{}, err
	}
	interval, err := wholeNumber("sync_interval_minutes", r.SyncIntervalMinutes, true)
	if err != nil {
		return providersapp.ConfigureProvider{}, err
	}
	credentials, err := stringMap("credentials", r.Credentials)
	if err != nil {
		return providersapp.ConfigureProvider{}, err
	}
	advanced, err := stringMap("advanced", r.Advanced)
	if err != nil {
		return providersapp.ConfigureProvider{}, err
	}
	cmd := providersapp.ConfigureProvider{
		Slug:                slug,
		BaseURL:             r.BaseURL,
		MarginPercent:       margin,
		SyncIntervalMinutes: int(interval),
		Credentials:         credentials,
		Advanced:            advanced,
		AuthMode:            r.AuthMode,
		ExpectedVersion:     r.ExpectedVersion,
	}
	if len(r.RateLimitPerHour) > 0 && string(r.RateLimitPerHour) != "null" {
		limit, err := wholeNumber("rate_limit_per_hour", r.RateLimitPerHour, false)
		if err != nil {
			return providersapp.ConfigureProvider{}, err
		}
		value := int(limit)
		cmd.RateLimitPerHour = &value
	}
	return cmd, nil
}

// decimalText returns the text of a JSON number, so the application
// parses it exactly, without a float. Strings, exponents and signs other
// than a leading minus are rejected here or by the application's rules.
func decimalText(field string, raw json.RawMessage, required bool) (string, error) {
	text := strings.TrimSpace(string(raw))
	if text == "" || text == "null" {
		if required {
			return "", apperr.Invalid(field, "invalid_required", field+" is required")
		}
		return "", nil
	}
	var number json.Number
	if strings.HasPrefix(text, `"`) || json.Unmarshal(raw, &number) != nil {
		return "", apperr.Invalid(field, "invalid_type", field+" must be a number, such as 12.5")
	}
	return number.String(), nil
}

// stringMap decodes a JSON object of strings, naming the member at fault
// as "<field>.<key>". Absent or null gives an empty map.
func stringMap(field string, raw json.RawMessage) (map[string]string, error) {
	values := map[string]string{}
	text := strings.TrimSpace(string(raw))
	if text == "" || text == "null" {
		return values, nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return nil, apperr.Invalid(field, "invalid_type", field+" must be an object whose values are text")
	}
	for key, member := range members {
		var value string
		if strings.TrimSpace(string(member)) == "null" {
			continue
		}
		if err := json.Unmarshal(member, &value); err != nil {
			return nil, apperr.Invalid(field+"."+key, "invalid_type", field+"."+key+" must be text")
		}
		values[key] = value
	}
	return values, nil
}

func wholeNumber(field string, raw json.RawMessage, required bool) (int64, error) {
	text, err := decimalText(field, raw, required)
	if err != nil || text == "" {
		return 0, err
	}
	value, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return 0, apperr.Invalid(field, "invalid_type", field+" must be a whole number, not "+strconv.Quote(text))
	}
	return value, nil
}

func (h handlers) test(c *fiber.Ctx) error {
	outcome, result, err := h.Service.TestProvider(web.CommandContext(c, h.ActorID(c)), c.Params("slug"))
	if err != nil {
		return err
	}
	web.AwaitProjection(c, h.Waiter, h.Logger, result, providerviews.Name)
	if !outcome.OK {
		return c.JSON(fiber.Map{"ok": false, "cause": outcome.Cause, "message": outcome.Message})
	}
	body := fiber.Map{"ok": true, "message": outcome.Message}
	if outcome.Balance != nil {
		body["balance"] = outcome.Balance
	}
	return c.JSON(body)
}

func (h handlers) sync(c *fiber.Ctx) error {
	syncID, result, err := h.Service.StartSync(web.CommandContext(c, h.ActorID(c)), c.Params("slug"))
	if err != nil {
		return err
	}
	web.AwaitProjection(c, h.Waiter, h.Logger, result, providerviews.Name)
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"sync_id": syncID})
}

func (h handlers) getSync(c *fiber.Ctx) error {
	sync, err := h.Views.Sync(c.UserContext(), c.Params("slug"), c.Params("syncID"))
	if errors.Is(err, providerviews.ErrNotFound) && h.CatchUp != nil {
		// The read model may lag behind the log (after a restart, during a
		// rebuild): wait for it once before answering 404.
		if catchUpErr := h.CatchUp(c.UserContext(), providerviews.Name); catchUpErr != nil {
			return catchUpErr
		}
		sync, err = h.Views.Sync(c.UserContext(), c.Params("slug"), c.Params("syncID"))
	}
	if errors.Is(err, providerviews.ErrNotFound) {
		return apperr.NotFound("sync_not_found", "no sync "+strconv.Quote(c.Params("syncID"))+" for this provider")
	}
	if err != nil {
		return err
	}
	return c.JSON(sync)
}

func (h handlers) enable(c *fiber.Ctx) error {
	return h.toggle(c, h.Service.EnableProvider)
}

func (h handlers) disable(c *fiber.Ctx) error {
	return h.toggle(c, h.Service.DisableProvider)
}

func (h handlers) toggle(c *fiber.Ctx, command func(context.Context, string) (eventstore.AppendResult, error)) error {
	result, err := command(web.CommandContext(c, h.ActorID(c)), c.Params("slug"))
	if err != nil {
		return err
	}
	web.AwaitProjection(c, h.Waiter, h.Logger, result, providerviews.Name, "catalog")
	return h.get(c)
}

func (h handlers) history(c *fiber.Ctx) error {
	entries, err := h.Views.History(c.UserContext(), c.Params("slug"))
	if err != nil {
		return err
	}
	if entries == nil {
		entries = []providerviews.HistoryEntry{}
	}
	return c.JSON(entries)
}
