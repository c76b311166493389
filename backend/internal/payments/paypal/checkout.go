package paypal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	paypalsdk "github.com/plutov/paypal/v4"

	"esimscan/backend/internal/payments"
	"esimscan/backend/internal/providers/adapters"
)

// maxDescription is PayPal's limit on a purchase unit's description.
const maxDescription = 127

// ErrInvalidCheckout reports a checkout request missing a field PayPal needs.
var ErrInvalidCheckout = errors.New("invalid paypal checkout request")

type createOrderRequest struct {
	Intent             string                          `json:"intent"`
	PurchaseUnits      []paypalsdk.PurchaseUnitRequest `json:"purchase_units"`
	ApplicationContext *paypalsdk.ApplicationContext   `json:"application_context"`
}

// StartCheckout creates an Orders v2 order with intent CAPTURE for the
// order's total and returns the payer's approval link. The order id is the
// PayPal-Request-Id, so starting checkout twice for one order returns the
// same PayPal order.
func (g *Gateway) StartCheckout(ctx context.Context, req payments.CheckoutRequest) (payments.Checkout, error) {
	for field, value := range map[string]string{"order_id": req.OrderID, "return_url": req.ReturnURL, "cancel_url": req.CancelURL} {
		if value == "" {
			return payments.Checkout{}, fmt.Errorf("%w: %s is required", ErrInvalidCheckout, field)
		}
	}
	value, err := formatAmount(req.Amount)
	if err != nil {
		return payments.Checkout{}, fmt.Errorf("start paypal checkout for order %s: %w", req.OrderID, err)
	}
	description := []rune(req.Description)
	if len(description) > maxDescription {
		description = description[:maxDescription]
	}
	body, err := json.Marshal(createOrderRequest{
		Intent: paypalsdk.OrderIntentCapture,
		PurchaseUnits: []paypalsdk.PurchaseUnitRequest{{
			ReferenceID: req.OrderID,
			CustomID:    req.OrderID,
			Description: string(description),
			Amount:      &paypalsdk.PurchaseUnitAmount{Currency: value.Currency, Value: value.Value},
		}},
		ApplicationContext: &paypalsdk.ApplicationContext{
			ShippingPreference: paypalsdk.ShippingPreferenceNoShipping,
			UserAction:         paypalsdk.UserActionPayNow,
			ReturnURL:          req.ReturnURL,
			CancelURL:          req.CancelURL,
		},
	})
	if err != nil {
		return payments.Checkout{}, fmt.Errorf("encode paypal order: %w", err)
	}

	var order paypalsdk.Order
	err = g.call(ctx, request{
		method: http.MethodPost, path: "/v2/checkout/orders", requestID: req.OrderID,
		body: body, what: "order", out: &order,
	})
	if err != nil {
		return payments.Checkout{}, fmt.Errorf("create paypal order for order %s: %w", req.OrderID, err)
	}
	approve := approvalLink(order.Links)
	if order.ID == "" || approve == "" {
		return payments.Checkout{}, &adapters.Error{
			Cause:   adapters.CauseBadResponse,
			Message: "PayPal order without an id or an approve link (POST /v2/checkout/orders)",
		}
	}
	return payments.Checkout{RedirectURL: approve, Reference: order.ID}, nil
}

// approvalLink returns the link the payer approves the order at: "approve"
// for orders created with application_context, "payer-action" for orders
// created with a payment_source experience context.
func approvalLink(links []paypalsdk.Link) string {
	for _, l := range links {
		if l.Rel == "approve" || l.Rel == "payer-action" {
			return l.Href
		}
	}
	return ""
}

// ErrCaptureNotCompleted reports a capture PayPal did not complete: one it
// holds as PENDING (the PAYMENT.CAPTURE.COMPLETED webhook follows later),
// which also wraps payments.ErrCapturePending, or one it DECLINED or
// FAILED, which also wraps payments.ErrCaptureDeclined. The order is not
// paid.
var ErrCaptureNotCompleted = errors.New("paypal capture not completed")

// Capture captures the approved PayPal order paypalOrderID in full and
// returns the payment, with OrderID the esimScan order id sent as
// custom_id. Capturing an order captured before returns that capture, so
// the return URL and the CHECKOUT.ORDER.APPROVED webhook may both call it.
// A capture PayPal refuses for good (an unknown order, one the payer has
// not approved, a declined instrument: a 404, or a 400 or 422 other than
// ORDER_ALREADY_CAPTURED) returns an error wrapping
// payments.ErrCaptureDeclined.
func (g *Gateway) Capture(ctx context.Context, paypalOrderID string) (payments.Payment, error) {
	if paypalOrderID == "" {
		return payments.Payment{}, fmt.Errorf("%w: %w: token is required", payments.ErrCaptureDeclined, ErrInvalidCheckout)
	}
	path := "/v2/checkout/orders/" + url.PathEscape(paypalOrderID)
	var order paypalsdk.Order
	err := g.call(ctx, request{
		method: http.MethodPost, path: path + "/capture", requestID: "capture-" + paypalOrderID,
		body: []byte("{}"), what: "capture", out: &order,
	})
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.HasIssue("ORDER_ALREADY_CAPTURED") {
		order = paypalsdk.Order{}
		err = g.call(ctx, request{method: http.MethodGet, path: path, what: "order", out: &order})
	}
	if errors.As(err, &apiErr) && refusedForGood(apiErr) {
		return payments.Payment{}, fmt.Errorf("capture paypal order %s: %w: %w", paypalOrderID, payments.ErrCaptureDeclined, err)
	}
	if err != nil {
		return payments.Payment{}, fmt.Errorf("capture paypal order %s: %w", paypalOrderID, err)
	}
	return paymentOf(order)
}

// refusedForGood reports whether a retry of the capture would get the
// same response: an unknown order, or a request PayPal rejects as invalid.
func refusedForGood(apiErr *APIError) bool {
	switch apiErr.Status {
	case http.StatusNotFound, http.StatusBadRequest, http.StatusUnprocessableEntity:
		return !apiErr.HasIssue("ORDER_ALREADY_CAPTURED")
	}
	return false
}

// paymentOf reads the first capture of a captured order, the only one an
// order with intent CAPTURE and one purchase unit has.
func paymentOf(order paypalsdk.Order) (payments.Payment, error) {
	label := "paypal order " + order.ID
	if len(order.PurchaseUnits) == 0 || order.PurchaseUnits[0].Payments == nil ||
		len(order.PurchaseUnits[0].Payments.Captures) == 0 {
		return payments.Payment{}, &adapters.Error{
			Cause:   adapters.CauseBadResponse,
			Message: label + " has no capture (status " + order.Status + ")",
		}
	}
	unit := order.PurchaseUnits[0]
	capture := unit.Payments.Captures[0]
	switch capture.Status {
	case "COMPLETED":
	case "DECLINED", "FAILED":
		return payments.Payment{}, fmt.Errorf("%w: %w: %s capture %s is %s",
			ErrCaptureNotCompleted, payments.ErrCaptureDeclined, label, capture.ID, capture.Status)
	default:
		return payments.Payment{}, fmt.Errorf("%w: %w: %s capture %s is %s",
			ErrCaptureNotCompleted, payments.ErrCapturePending, label, capture.ID, capture.Status)
	}
	amount, err := parseAmount(capture.Amount)
	if err != nil {
		return payments.Payment{}, &adapters.Error{Cause: adapters.CauseBadResponse, Message: label + " capture amount", Err: err}
	}
	orderID := capture.CustomID
	if orderID == "" {
		orderID = unit.CustomID
	}
	if orderID == "" {
		orderID = unit.ReferenceID
	}
	return payments.Payment{OrderID: orderID, Reference: capture.ID, Amount: amount}, nil
}

// Refund refunds req.Amount of the capture req.PaymentReference, or what
// remains of it when req.Amount is zero. The PayPal-Request-Id is the key
// of payments.WithIdempotencyKey when ctx carries one, so that two
// deliberate refunds of one amount get two keys and a retried one reuses
// its key. Without a key it is made of the order, capture and amount, and
// a second refund of the same amount then returns the first.
func (g *Gateway) Refund(ctx context.Context, req payments.RefundRequest) (payments.Refund, error) {
	fallback := fmt.Sprintf("refund-%s-%s-%s-%s", req.OrderID, req.PaymentReference,
		req.Amount.Amount.String(), req.Amount.Currency)
	return g.RefundWithRequestID(ctx, req, payments.IdempotencyKeyFrom(ctx, fallback))
}

// RefundWithRequestID is Refund with the caller's PayPal-Request-Id, at
// most 108 characters per PayPal's Orders v2 reference, such as the id of the refund command.
func (g *Gateway) RefundWithRequestID(ctx context.Context, req payments.RefundRequest, requestID string) (payments.Refund, error) {
	if req.PaymentReference == "" {
		return payments.Refund{}, fmt.Errorf("%w: payment_reference is required", ErrInvalidCheckout)
	}
	// custom_id names the order in the refund resource, so the
	// PAYMENT.CAPTURE.REFUNDED webhook of this refund finds it directly.
	body := struct {
		Amount   *paypalsdk.Money `json:"amount,omitempty"`
		CustomID string           `json:"custom_id,omitempty"`
	}{CustomID: req.OrderID}
	if req.Amount.Amount != 0 {
		value, err := formatAmount(req.Amount)
		if err != nil {
			return payments.Refund{}, fmt.Errorf("refund paypal capture %s: %w", req.PaymentReference, err)
		}
		body.Amount = &value
	}
	encoded, err := json.Marshal(body)
	if err != nil {
		return payments.Refund{}, fmt.Errorf("encode paypal refund: %w", err)
	}
	var refund paypalsdk.RefundResponse
	err = g.call(ctx, request{
		method: http.MethodPost, path: "/v2/payments/captures/" + url.PathEscape(req.PaymentReference) + "/refund",
		requestID: requestID, body: encoded, what: "refund", out: &refund,
	})
	if err != nil {
		return payments.Refund{}, fmt.Errorf("refund paypal capture %s: %w", req.PaymentReference, err)
	}
	amount, err := parseAmount(refund.Amount)
	if err != nil || refund.ID == "" {
		return payments.Refund{}, &adapters.Error{
			Cause: adapters.CauseBadResponse, Message: "paypal refund without an id or amount", Err: err,
		}
	}
	return payments.Refund{Reference: refund.ID, Amount: amount}, nil
}
