// Package ports serves checkout and the order page for customers, and the
// order list, manual fulfilment and provisioning retries for admins.
package ports

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/eventstore"
	ordersapp "esimscan/backend/internal/orders/app"
	"esimscan/backend/internal/orders/qr"
	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/web"
	orderviews "esimscan/projections/orders"
)

// OrderTokenHeader carries a guest order's access token.
const OrderTokenHeader = "X-Order-Token"

// Service is the part of the orders application that the routes call.
type Service interface {
	PlaceOrder(ctx context.Context, cmd ordersapp.PlaceOrder) (ordersapp.PlacedOrder, error)
	PayWithTestGateway(ctx context.Context, orderID, accessToken string) (eventstore.AppendResult, error)
	FulfilManually(ctx context.Context, cmd ordersapp.FulfilOrder) (eventstore.AppendResult, error)
	RetryProvisioning(ctx context.Context, orderID string) (eventstore.AppendResult, error)
	StartCheckout(ctx context.Context, cmd ordersapp.StartCheckout) (ordersapp.Checkout, error)
	MarkPaid(ctx context.Context, orderID string) (eventstore.AppendResult, error)
	CancelOrder(ctx context.Context, orderID string) (eventstore.AppendResult, error)
	RefundOrder(ctx context.Context, cmd ordersapp.RefundOrder) (eventstore.AppendResult, error)
}

var _ Service = (*ordersapp.Service)(nil)

// Views is the orders read model.
type Views interface {
	Order(ctx context.Context, id string) (orderviews.OrderView, error)
	List(ctx context.Context, filter orderviews.ListFilter) ([]orderviews.OrderView, int, error)
}

// Deps are the routes' collaborators. SignQR signs an order id and ICCID
// so that an <img> can load the QR code without the order's access token in
// its URL. Customers is optional: nil uses Service when it implements
// CustomerSessions, and without either every order is a guest's. When
// Customers (or Service) also implements CustomerAuthenticator, the order
// page opens a signed-in customer's own orders without the access token.
type Deps struct {
	Service Service
	Views   Views
	Store   eventstore.Store
	Waiter  web.Waiter
	Logger  zerolog.Logger
	SignQR  func(orderID, iccid string) string
	ActorID func(c *fiber.Ctx) string

	Customers CustomerSessions
}

// PublicRoutes registers checkout, the order page and, when Service
// implements TopUpService, its top-ups.
func PublicRoutes(api fiber.Router, deps Deps) {
	h := handlers{deps.withCustomers()}
	api.Post("/orders", web.LimitBody(web.DefaultBodyLimit), optionalCustomer(h.customerSessions()), h.place)
	api.Get("/orders/:id", h.get)
	api.Post("/orders/:id/payments/test", h.payTest)
	api.Post("/orders/:id/checkout", web.LimitBody(web.DefaultBodyLimit), h.checkout)
	api.Get("/orders/:id/esims/:iccid/qr.png", h.qrCode)
	topUpRoutes(api, h)
}

// AdminRoutes registers the admin order endpoints.
func AdminRoutes(admin fiber.Router, deps Deps) {
	h := handlers{deps.withCustomers()}
	admin.Get("/orders", h.list)
	admin.Get("/orders/:id", h.adminGet)
	admin.Get("/orders/:id/history", h.history)
	admin.Post("/orders/:id/fulfil", web.LimitBody(web.DefaultBodyLimit), h.fulfil)
	admin.Post("/orders/:id/retry-provisioning", web.LimitBody(web.DefaultBodyLimit), h.retryProvisioning)
	admin.Post("/orders/:id/mark-paid", web.LimitBody(web.DefaultBodyLimit), h.markPaid)
	admin.Post("/orders/:id/cancel", web.LimitBody(web.DefaultBodyLimit), h.cancel)
	admin.Post("/orders/:id/refund", web.LimitBody(web.DefaultBodyLimit), h.refund)
}

type handlers struct{ Deps }

// emailHasher is implemented by a Service that seals order emails: the
// admin's email filter then also finds orders by the keyed hash of the
// address.
type emailHasher interface {
	EmailHash(ctx context.Context, email string) (string, error)
}

// esimView is an issued eSIM with the URL of its QR code.
type esimView struct {
	orderviews.ESIM
	QRPNGURL string `json:"qr_png_url"`
}

type orderResponse struct {
	orderviews.OrderView
	ESIMs []esimView `json:"esims"`
}

func (h handlers) respond(order orderviews.OrderView) orderResponse {
	response := orderResponse{OrderView: order, ESIMs: make([]esimView, 0, len(order.ESIMs))}
	for _, esim := range order.ESIMs {
		qrURL := "/api/orders/" + url.PathEscape(order.ID) + "/esims/" + url.PathEscape(esim.ICCID) +
			"/qr.png?sig=" + url.QueryEscape(h.SignQR(order.ID, esim.ICCID))
		response.ESIMs = append(response.ESIMs, esimView{ESIM: esim, QRPNGURL: qrURL})
	}
	return response
}

func (h handlers) place(c *fiber.Ctx) error {
	var cmd ordersapp.PlaceOrder
	if err := web.DecodeJSON(c, &cmd); err != nil {
		return err
	}
	cmd.CustomerID = signedInCustomer(c)
	placed, err := h.Service.PlaceOrder(web.CommandContext(c, "anonymous"), cmd)
	if err != nil {
		return err
	}
	web.AwaitProjection(c, h.Waiter, h.Logger, placed.Result, orderviews.Name)
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{
		"id":           placed.ID,
		"status":       "pending_payment",
		"total":        placed.Total,
		"access_token": placed.AccessToken,
	})
}

// authorizedOrder returns the order when the request carries its access
// token. A wrong token and an unknown order get the same 404.
func (h handlers) authorizedOrder(c *fiber.Ctx) (orderviews.OrderView, error) {
	notFound := apperr.NotFound("order_not_found", "no order with this id and access token")
	token := c.Get(OrderTokenHeader)
	if token == "" {
		return orderviews.OrderView{}, notFound
	}
	order, err := h.Views.Order(c.UserContext(), c.Params("id"))
	if errors.Is(err, orderviews.ErrNotFound) {
		return orderviews.OrderView{}, notFound
	}
	if err != nil {
		return orderviews.OrderView{}, err
	}
	if !ordersapp.TokenMatches(order.AccessTokenHash, token) {
		return orderviews.OrderView{}, notFound
	}
	return order, nil
}

func (h handlers) get(c *fiber.Ctx) error {
	order, err := h.readableOrder(c)
	if err != nil {
		return err
	}
	return c.JSON(h.respondPublic(order))
}

// Failure texts of the public order view. The message of OrderFailed is
// for the admin: it may name the wholesaler, its codes, the store's credit
// and API paths.
const (
	PublicFailureMessage      = "We could not deliver this eSIM yet. The store has been told and will retry or refund."
	PublicTopUpFailureMessage = "We could not apply this top-up yet. The store has been told and will retry or refund."
)

// PublicView returns order as its buyer may see it: without the
// provider's order id, which only admins see, and with a generic failure
// text instead of the admin's.
func PublicView(order orderviews.OrderView) orderviews.OrderView {
	order.ProviderOrderID = ""
	if order.Failure != nil {
		message := PublicFailureMessage
		if order.TopUpOf != nil {
			message = PublicTopUpFailureMessage
		}
		order.Failure = &orderviews.Failure{Message: message}
	}
	return order
}

// respondPublic renders an order for its buyer, as PublicView shows it.
func (h handlers) respondPublic(order orderviews.OrderView) orderResponse {
	return h.respond(PublicView(order))
}

func (h handlers) payTest(c *fiber.Ctx) error {
	result, err := h.Service.PayWithTestGateway(web.CommandContext(c, "anonymous"), c.Params("id"), c.Get(OrderTokenHeader))
	if err != nil {
		return err
	}
	web.AwaitProjection(c, h.Waiter, h.Logger, result, orderviews.Name)
	order, err := h.authorizedOrder(c)
	if err != nil {
		return err
	}
	return c.JSON(h.respondPublic(order))
}

func (h handlers) qrCode(c *fiber.Ctx) error {
	orderID, iccid := c.Params("id"), c.Params("iccid")
	expected := h.SignQR(orderID, iccid)
	if subtle.ConstantTimeCompare([]byte(expected), []byte(c.Query("sig"))) != 1 {
		return apperr.NotFound("qr_not_found", "no QR code at this address")
	}
	order, err := h.Views.Order(c.UserContext(), orderID)
	if err != nil {
		return apperr.NotFound("qr_not_found", "no QR code at this address")
	}
	for _, esim := range order.ESIMs {
		if esim.ICCID != iccid {
			continue
		}
		png, err := qr.PNG(esim.LPA, 512)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "image/png")
		c.Set(fiber.HeaderCacheControl, "private, max-age=3600")
		return c.Send(png)
	}
	return apperr.NotFound("qr_not_found", "no QR code at this address")
}

func (h handlers) list(c *fiber.Ctx) error {
	limit, err := queryInt(c, "limit", 50, 1, 500)
	if err != nil {
		return err
	}
	offset, err := queryInt(c, "offset", 0, 0, 1_000_000)
	if err != nil {
		return err
	}
	filter := orderviews.ListFilter{Status: c.Query("status"), Email: c.Query("email"), Limit: limit, Offset: offset}
	if hasher, ok := h.Service.(emailHasher); ok && filter.Email != "" {
		if filter.EmailHash, err = hasher.EmailHash(c.UserContext(), filter.Email); err != nil {
			return err
		}
	}
	orders, total, err := h.Views.List(c.UserContext(), filter)
	if err != nil {
		return err
	}
	items := make([]orderResponse, 0, len(orders))
	for _, order := range orders {
		items = append(items, h.respond(order))
	}
	c.Set("X-Total-Count", strconv.Itoa(total))
	return c.JSON(items)
}

func (h handlers) adminGet(c *fiber.Ctx) error {
	order, err := h.Views.Order(c.UserContext(), c.Params("id"))
	if errors.Is(err, orderviews.ErrNotFound) {
		return apperr.NotFound("order_not_found", "no order with id "+c.Params("id"))
	}
	if err != nil {
		return err
	}
	return c.JSON(h.respond(order))
}

type historyEntry struct {
	Type  string          `json:"type"`
	At    string          `json:"at"`
	Actor string          `json:"actor"`
	Data  json.RawMessage `json:"data"`
}

func (h handlers) history(c *fiber.Ctx) error {
	events, err := h.Store.ReadStream(c.UserContext(), "order-"+c.Params("id"), 0)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return apperr.NotFound("order_not_found", "no order with id "+c.Params("id"))
	}
	if err != nil {
		return err
	}
	entries := make([]historyEntry, 0, len(events))
	for _, event := range events {
		entries = append(entries, historyEntry{
			Type:  event.Type,
			At:    event.RecordedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
			Actor: event.Metadata.ActorID,
			Data:  withoutHiddenFields(event.Data),
		})
	}
	return c.JSON(entries)
}

func (h handlers) fulfil(c *fiber.Ctx) error {
	var cmd ordersapp.FulfilOrder
	if err := web.DecodeJSON(c, &cmd); err != nil {
		return err
	}
	cmd.OrderID = c.Params("id")
	result, err := h.Service.FulfilManually(web.CommandContext(c, h.ActorID(c)), cmd)
	if err != nil {
		return err
	}
	web.AwaitProjection(c, h.Waiter, h.Logger, result, orderviews.Name)
	return h.adminGet(c)
}

// retryProvisioning returns 202 with the admin order view: the order is
// back in provisioning, and its driver runs in the background.
func (h handlers) retryProvisioning(c *fiber.Ctx) error {
	result, err := h.Service.RetryProvisioning(web.CommandContext(c, h.ActorID(c)), c.Params("id"))
	if err != nil {
		return err
	}
	web.AwaitProjection(c, h.Waiter, h.Logger, result, orderviews.Name)
	order, err := h.Views.Order(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(h.respond(order))
}

func queryInt(c *fiber.Ctx, name string, fallback, minimum, maximum int) (int, error) {
	text := c.Query(name)
	if text == "" {
		return fallback, nil
	}
	value, err := strconv.Atoi(text)
	if err != nil || value < minimum || value > maximum {
		return 0, apperr.Invalid(name, "invalid_range", name+" must be a whole number from "+strconv.Itoa(minimum)+" to "+strconv.Itoa(maximum))
	}
	return value, nil
}

// hiddenHistoryFields are event fields the admin history leaves out: the
// hash of the customer's order token gives an admin nothing to act on.
var hiddenHistoryFields = []string{"access_token_hash"}

// withoutHiddenFields returns event data without hiddenHistoryFields, or
// the data unchanged when it has none of them.
func withoutHiddenFields(data []byte) json.RawMessage {
	var object map[string]json.RawMessage
	if json.Unmarshal(data, &object) != nil {
		return data
	}
	removed := false
	for _, field := range hiddenHistoryFields {
		if _, ok := object[field]; ok {
			delete(object, field)
			removed = true
		}
	}
	if !removed {
		return data
	}
	encoded, err := json.Marshal(object)
	if err != nil {
		return data
	}
	return encoded
}
