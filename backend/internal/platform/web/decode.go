package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"esimscan/backend/internal/platform/apperr"
)

// MaxBodyBytes is the server-wide request body limit; routes set lower
// limits with LimitBody.
const MaxBodyBytes = 1 << 20

// DefaultBodyLimit is the limit of ordinary JSON endpoints.
const DefaultBodyLimit = 64 << 10

// LimitBody rejects requests whose body is larger than limit bytes with a
// 413 naming the limit, before any handler reads it.
func LimitBody(limit int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if len(c.Body()) > limit {
			return &apperr.Error{
				Kind:    apperr.KindTooLarge,
				Code:    "body_too_large",
				Message: fmt.Sprintf("request body is %d bytes; this endpoint accepts at most %d bytes", len(c.Body()), limit),
			}
		}
		return c.Next()
	}
}

// DecodeJSON decodes the request body into v. A malformed body answers 400;
// a value of the wrong type answers 422 naming the field.
func DecodeJSON(c *fiber.Ctx, v any) error {
	body := bytes.TrimSpace(c.Body())
	if len(body) == 0 {
		return apperr.BadRequest("invalid_json", "request body is empty; send a JSON object")
	}
	// No field accepts a NUL character, and some stores and terminals
	// truncate or misread text at one.
	if bytes.Contains(body, []byte(`\u0000`)) || bytes.IndexByte(body, 0) >= 0 {
		return apperr.BadRequest("invalid_json", "request body contains a NUL character (\\u0000), which no field accepts")
	}
	decoder := json.NewDecoder(bytes.NewReader(body))
	decoder.UseNumber()
	if err := decoder.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := decoder.Token(); !errors.Is(err, io.EOF) {
		return apperr.BadRequest("invalid_json", "request body has data after the JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		expected := jsonKind(typeErr.Type.Kind().String())
		if strings.HasPrefix(typeErr.Type.Kind().String(), "int") || strings.HasPrefix(typeErr.Type.Kind().String(), "uint") {
			expected = "whole number"
		}
		return apperr.Invalid(typeErr.Field, "invalid_type",
			fmt.Sprintf("%s must be a %s, not %s", typeErr.Field, expected, typeErr.Value))
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return apperr.BadRequest("invalid_json", fmt.Sprintf("request body is not valid JSON (at byte %d)", syntaxErr.Offset))
	}
	return apperr.BadRequest("invalid_json", "request body is not a valid JSON object: "+err.Error())
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "text"
	case "bool":
		return "boolean"
	case "int", "int64", "int32", "uint64", "float64":
		return "number"
	case "map", "struct":
		return "object"
	case "slice":
		return "array"
	}
	return goKind
}

// RequestID returns the request's id, set by the RequestIDs middleware.
func RequestID(c *fiber.Ctx) string {
	if id, ok := c.Locals(requestIDKey).(string); ok {
		return id
	}
	return ""
}

type localsKey int

const requestIDKey localsKey = 1

// RequestIDs gives every request an id, echoed in the X-Request-ID header.
func RequestIDs() fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := uuid.NewString()
		c.Locals(requestIDKey, id)
		c.Set("X-Request-ID", id)
		return c.Next()
	}
}
