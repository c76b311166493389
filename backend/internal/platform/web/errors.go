// Package web holds what every Fiber route shares: the error contract,
// JSON decoding with field-named errors, body limits and request ids.
package web

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
)

// ErrorBody is the API's error document.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail names what failed; Field is the JSON field at fault, if one is.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

var statusOfKind = map[apperr.Kind]int{
	apperr.KindInvalid:         fiber.StatusUnprocessableEntity,
	apperr.KindBadRequest:      fiber.StatusBadRequest,
	apperr.KindNotFound:        fiber.StatusNotFound,
	apperr.KindConflict:        fiber.StatusConflict,
	apperr.KindUnauthorized:    fiber.StatusUnauthorized,
	apperr.KindForbidden:       fiber.StatusForbidden,
	apperr.KindTooLarge:        fiber.StatusRequestEntityTooLarge,
	apperr.KindUnavailable:     fiber.StatusServiceUnavailable,
	apperr.KindTooManyRequests: fiber.StatusTooManyRequests,
}

// ErrorHandler turns every error a handler returns into the API's error
// body, in one place. A server fault gets status 500 with a request id
// and no detail, and the detail goes to the log.
func ErrorHandler(logger zerolog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		status, body := describe(err)
		_, expected := apperr.As(err)
		if status >= 500 && !expected {
			logger.Error().Err(err).Str("request_id", RequestID(c)).Str("method", c.Method()).
				Str("path", c.Path()).Msg("request failed")
			body.Message = fmt.Sprintf("internal error (request id %s)", RequestID(c))
		}
		if appErr, ok := apperr.As(err); ok && appErr.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(appErr.RetryAfter.Seconds()+0.999)))
		}
		return c.Status(status).JSON(ErrorBody{Error: body})
	}
}

func describe(err error) (int, ErrorDetail) {
	if appErr, ok := apperr.As(err); ok {
		status, known := statusOfKind[appErr.Kind]
		if !known {
			status = fiber.StatusInternalServerError
		}
		return status, ErrorDetail{Code: appErr.Code, Message: appErr.Message, Field: appErr.Field}
	}
	if errors.Is(err, esrepo.ErrConflict) {
		return fiber.StatusConflict, ErrorDetail{Code: "conflict", Message: esrepo.ErrConflict.Error()}
	}
	var fiberErr *fiber.Error
	if errors.As(err, &fiberErr) {
		return fiberErr.Code, fiberDetail(fiberErr)
	}
	return fiber.StatusInternalServerError, ErrorDetail{Code: "internal"}
}

func fiberDetail(err *fiber.Error) ErrorDetail {
	switch err.Code {
	case fiber.StatusNotFound:
		return ErrorDetail{Code: "not_found", Message: "no such endpoint"}
	case fiber.StatusMethodNotAllowed:
		return ErrorDetail{Code: "method_not_allowed", Message: "method not allowed on this endpoint"}
	case fiber.StatusRequestEntityTooLarge:
		return ErrorDetail{Code: "body_too_large", Message: fmt.Sprintf("request body is larger than the server limit of %d bytes", MaxBodyBytes)}
	default:
		return ErrorDetail{Code: "http_error", Message: err.Message}
	}
}
