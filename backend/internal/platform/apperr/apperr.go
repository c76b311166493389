// Package apperr defines the errors that command handlers return to the
// HTTP edge, which turns each kind into one status and the API's error body
// {"error": {"code", "message", "field"}}.
package apperr

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/go-playground/validator/v10"
)

// Kind selects the HTTP status of an Error.
type Kind int

const (
	KindInvalid         Kind = iota + 1 // 422: a field breaks a rule
	KindBadRequest                      // 400: the request cannot be read
	KindNotFound                        // 404
	KindConflict                        // 409: state forbids the command, or a concurrent change
	KindUnauthorized                    // 401
	KindForbidden                       // 403
	KindTooLarge                        // 413
	KindUnavailable                     // 503
	KindTooManyRequests                 // 429
)

// Error is an expected failure with a stable code and a message safe to show.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Field   string
	// RetryAfter, when set, becomes the Retry-After header of the answer.
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	text := e.Code + ": " + e.Message
	if e.Field != "" {
		text = e.Field + ": " + text
	}
	if e.Err != nil {
		text += ": " + e.Err.Error()
	}
	return text
}

func (e *Error) Unwrap() error { return e.Err }

// Invalid reports a field that breaks a rule, naming the JSON field.
func Invalid(field, code, message string) *Error {
	return &Error{Kind: KindInvalid, Code: code, Message: message, Field: field}
}

// BadRequest reports a request that cannot be read, such as malformed JSON.
func BadRequest(code, message string) *Error {
	return &Error{Kind: KindBadRequest, Code: code, Message: message}
}

// NotFound reports a missing resource.
func NotFound(code, message string) *Error {
	return &Error{Kind: KindNotFound, Code: code, Message: message}
}

// Conflict reports a command that the current state forbids.
func Conflict(code, message string) *Error {
	return &Error{Kind: KindConflict, Code: code, Message: message}
}

// As returns err as an *Error when it is one.
func As(err error) (*Error, bool) {
	var appErr *Error
	ok := errors.As(err, &appErr)
	return appErr, ok
}

var (
	validateOnce sync.Once
	validate     *validator.Validate
)

// Validator returns the shared validator, which reports fields by their
// JSON names and checks the "email" rule with ValidEmail.
func Validator() *validator.Validate {
	validateOnce.Do(func() {
		validate = validator.New(validator.WithRequiredStructEnabled())
		validate.RegisterTagNameFunc(func(field reflect.StructField) string {
			name, _, _ := strings.Cut(field.Tag.Get("json"), ",")
			if name == "-" {
				return ""
			}
			return name
		})
		// Replacing the standard "email" rule applies it to every struct
		// that uses the tag. RegisterValidation returns an error only for an
		// empty tag or a nil function.
		_ = validate.RegisterValidation("email", validateEmail)
	})
	return validate
}

// Validate checks v's `validate` tags and returns an Invalid error naming
// the first field at fault, by its JSON name.
func Validate(v any) error {
	err := Validator().Struct(v)
	if err == nil {
		return nil
	}
	var fieldErrors validator.ValidationErrors
	if !errors.As(err, &fieldErrors) || len(fieldErrors) == 0 {
		return fmt.Errorf("validate %T: %w", v, err)
	}
	first := fieldErrors[0]
	field := jsonPath(first.Namespace())
	return Invalid(field, "invalid_"+first.Tag(), describe(field, first))
}

// jsonPath drops the struct name that validator puts first in a namespace.
func jsonPath(namespace string) string {
	_, rest, found := strings.Cut(namespace, ".")
	if !found {
		return namespace
	}
	return rest
}

// unitOf names what a length rule counts: characters of a string, items
// of a list; numbers need no unit.
func unitOf(fe validator.FieldError) string {
	switch fe.Kind() {
	case reflect.String:
		return " characters"
	case reflect.Slice, reflect.Map, reflect.Array:
		return " items"
	}
	return ""
}

func describe(field string, fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return field + " is required"
	case "min", "gte":
		return fmt.Sprintf("%s must be at least %s%s", field, fe.Param(), unitOf(fe))
	case "max", "lte":
		return fmt.Sprintf("%s must be at most %s%s", field, fe.Param(), unitOf(fe))
	case "oneof":
		return fmt.Sprintf("%s must be one of: %s", field, strings.ReplaceAll(fe.Param(), " ", ", "))
	case "email":
		return field + " must be an email address"
	case "url", "http_url":
		return field + " must be an http or https URL"
	default:
		return fmt.Sprintf("%s is invalid (rule %s)", field, fe.Tag())
	}
}
