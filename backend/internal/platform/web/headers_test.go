package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/rs/zerolog"

	"esimscan/backend/internal/platform/apperr"
)

func TestSecurityHeaders_onEveryResponse(t *testing.T) {
	app := fiber.New(fiber.Config{ErrorHandler: ErrorHandler(zerolog.Nop())})
	app.Use(SecurityHeaders())
	app.Get("/ok", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Get("/invalid", func(c *fiber.Ctx) error { return apperr.Invalid("name", "invalid_required", "name is required") })
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
		"X-Frame-Options":         "DENY",
		"Content-Security-Policy": "frame-ancestors 'none'",
	}
	for _, path := range []string{"/ok", "/invalid", "/missing"} {
		response, err := app.Test(httptest.NewRequest(http.MethodGet, path, nil))
		if err != nil {
			t.Fatal(err)
		}
		for name, value := range want {
			if got := response.Header.Get(name); got != value {
				t.Errorf("%s: %s = %q; want %q", path, name, got, value)
			}
		}
	}
}

func storeURLOf(t *testing.T, publicURL string) string {
	t.Helper()
	app := fiber.New()
	app.Use(PublicURL(publicURL))
	app.Get("/url", func(c *fiber.Ctx) error { return c.SendString(StoreURL(c)) })
	request := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/url", nil)
	request.Host = "127.0.0.1:8080"
	request.Header.Set("X-Forwarded-Host", "evil.example")
	request.Header.Set("X-Forwarded-Proto", "https")
	response, err := app.Test(request)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(response.Body)
	return string(body)
}

func TestStoreURL_ignoresForwardedHeaders(t *testing.T) {
	if got := storeURLOf(t, "https://shop.example.com"); got != "https://shop.example.com" {
		t.Errorf("with a public URL: %q; want https://shop.example.com", got)
	}
	if got := storeURLOf(t, ""); got != "http://127.0.0.1:8080" {
		t.Errorf("without a public URL: %q; want the request's own host", got)
	}
}

func TestStrictTransportSecurity_maxAgeInSeconds(t *testing.T) {
	app := fiber.New()
	app.Use(StrictTransportSecurity(HSTSMaxAge))
	app.Get("/ok", func(c *fiber.Ctx) error { return c.SendString("ok") })
	response, err := app.Test(httptest.NewRequest(http.MethodGet, "/ok", nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := response.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
		t.Errorf("Strict-Transport-Security = %q; want max-age=31536000", got)
	}
}
