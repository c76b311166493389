package web

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/platform/apperr"
	"esimscan/backend/internal/platform/esrepo"
)

type settings struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func newTestApp() *fiber.App {
	app := fiber.New(fiber.Config{ErrorHandler: ErrorHandler(zerolog.Nop()), BodyLimit: MaxBodyBytes})
	app.Use(RequestIDs())
	app.Post("/decode", LimitBody(1024), func(c *fiber.Ctx) error {
		var body settings
		if err := DecodeJSON(c, &body); err != nil {
			return err
		}
		return c.JSON(body)
	})
	app.Get("/conflict", func(c *fiber.Ctx) error { return fmt.Errorf("save provider: %w", esrepo.ErrConflict) })
	app.Get("/invalid", func(c *fiber.Ctx) error { return apperr.Invalid("margin_percent", "invalid_max", "too high") })
	app.Get("/boom", func(c *fiber.Ctx) error { return errors.New("database password is hunter2") })
	return app
}

type errorBody struct {
	Error ErrorDetail `json:"error"`
}

func call(t *testing.T, app *fiber.App, method, path, body string) (int, errorBody) {
	t.Helper()
	request := httptest.NewRequest(method, path, strings.NewReader(body))
	request.Header.Set("Content-Type", "application/json")
	response, err := app.Test(request, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	content, _ := io.ReadAll(response.Body)
	var decoded errorBody
	_ = json.Unmarshal(content, &decoded)
	return response.StatusCode, decoded
}

func TestDecodeJSON_errorsNameTheField(t *testing.T) {
	app := newTestApp()
	status, body := call(t, app, "POST", "/decode", `{"name": "x", "count": "many"}`)
	if status != http.StatusUnprocessableEntity || body.Error.Field != "count" {
		t.Errorf("wrong type: %d %+v", status, body)
	}
	status, body = call(t, app, "POST", "/decode", `{"name": `)
	if status != http.StatusBadRequest || body.Error.Code != "invalid_json" {
		t.Errorf("malformed: %d %+v", status, body)
	}
	status, body = call(t, app, "POST", "/decode", ``)
	if status != http.StatusBadRequest || body.Error.Code != "invalid_json" {
		t.Errorf("empty: %d %+v", status, body)
	}
	status, body = call(t, app, "POST", "/decode", `{"name": "x"} {"name": "y"}`)
	if status != http.StatusBadRequest {
		t.Errorf("trailing data: %d %+v", status, body)
	}
}

func TestLimitBody_answersJSONNamingTheLimit(t *testing.T) {
	app := newTestApp()
	status, body := call(t, app, "POST", "/decode", `{"name": "`+strings.Repeat("a", 2000)+`"}`)
	if status != http.StatusRequestEntityTooLarge || body.Error.Code != "body_too_large" {
		t.Fatalf("route limit: %d %+v", status, body)
	}
	if !strings.Contains(body.Error.Message, "1024") {
		t.Errorf("message does not name the limit: %q", body.Error.Message)
	}
}

func TestServerBodyLimit_answersJSON(t *testing.T) {
	app := newTestApp()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(listener)
	defer app.Shutdown()

	// Announce a body over the server limit and send none of it: the server
	// answers from the Content-Length alone, so the client never races a
	// connection reset while writing a large body.
	conn, err := net.DialTimeout("tcp", listener.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST /decode HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", MaxBodyBytes+10)
	response, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	var body errorBody
	content, _ := io.ReadAll(response.Body)
	if err := json.Unmarshal(content, &body); err != nil {
		t.Fatalf("server limit answer is not JSON: %q", content)
	}
	if response.StatusCode != http.StatusRequestEntityTooLarge || body.Error.Code != "body_too_large" {
		t.Errorf("server limit: %d %+v", response.StatusCode, body)
	}
}

func TestErrorHandler_mapsKinds(t *testing.T) {
	app := newTestApp()
	status, body := call(t, app, "GET", "/conflict", "")
	if status != http.StatusConflict || body.Error.Code != "conflict" {
		t.Errorf("conflict: %d %+v", status, body)
	}
	status, body = call(t, app, "GET", "/invalid", "")
	if status != http.StatusUnprocessableEntity || body.Error.Field != "margin_percent" {
		t.Errorf("invalid: %d %+v", status, body)
	}
	status, body = call(t, app, "GET", "/missing", "")
	if status != http.StatusNotFound || body.Error.Code != "not_found" {
		t.Errorf("missing route: %d %+v", status, body)
	}
}

func TestErrorHandler_hidesServerFaults(t *testing.T) {
	status, body := call(t, newTestApp(), "GET", "/boom", "")
	if status != http.StatusInternalServerError {
		t.Fatalf("status = %d", status)
	}
	if strings.Contains(body.Error.Message, "hunter2") {
		t.Errorf("500 body reveals the cause: %q", body.Error.Message)
	}
	if !strings.Contains(body.Error.Message, "request id") {
		t.Errorf("500 body has no request id: %q", body.Error.Message)
	}
}

func TestDecodeJSON_rejectsNULCharacter(t *testing.T) {
	status, body := call(t, newTestApp(), "POST", "/decode", `{"name": "S\u0000x"}`)
	if status != http.StatusBadRequest || body.Error.Code != "invalid_json" {
		t.Errorf("NUL in a string: %d %+v", status, body)
	}
}

func TestErrorHandler_expectedUnavailableKeepsMessage(t *testing.T) {
	app := fiber.New(fiber.Config{ErrorHandler: ErrorHandler(zerolog.Nop())})
	app.Get("/ready", func(c *fiber.Ctx) error {
		return &apperr.Error{Kind: apperr.KindUnavailable, Code: "catching_up", Message: "read models are catching up"}
	})
	app.Get("/throttled", func(c *fiber.Ctx) error {
		return &apperr.Error{Kind: apperr.KindTooManyRequests, Code: "too_many_attempts", Message: "wait", RetryAfter: 90 * time.Second}
	})
	status, body := call(t, app, "GET", "/ready", "")
	if status != http.StatusServiceUnavailable || body.Error.Message != "read models are catching up" {
		t.Errorf("ready: %d %+v", status, body)
	}
	response, err := app.Test(httptest.NewRequest("GET", "/throttled", nil))
	if err != nil {
		t.Fatal(err)
	}
	if response.StatusCode != http.StatusTooManyRequests || response.Header.Get("Retry-After") != "90" {
		t.Errorf("throttled: %d Retry-After %q", response.StatusCode, response.Header.Get("Retry-After"))
	}
}
