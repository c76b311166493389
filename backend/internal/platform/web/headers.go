package web

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
)

// SecurityHeaders sets on every response the headers that keep browsers
// from sniffing content types, leaking paths in Referer to other sites and
// framing the store's pages (clickjacking). It sets no script policy,
// which the SPA build would have to be checked against.
func SecurityHeaders() fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		c.Set(fiber.HeaderReferrerPolicy, "same-origin")
		c.Set(fiber.HeaderXFrameOptions, "DENY")
		c.Set(fiber.HeaderContentSecurityPolicy, "frame-ancestors 'none'")
		return c.Next()
	}
}

// HSTSMaxAge is how long browsers that saw the Strict-Transport-Security
// header keep reaching the store over HTTPS only.
const HSTSMaxAge = 365 * 24 * time.Hour

// StrictTransportSecurity sets the Strict-Transport-Security header with
// maxAge on every response. Use it only when the store is served over
// HTTPS, because browsers then refuse plain HTTP to the host for maxAge.
// It leaves out includeSubDomains, which would also bind other sites on
// subdomains of the store's host.
func StrictTransportSecurity(maxAge time.Duration) fiber.Handler {
	value := "max-age=" + strconv.FormatInt(int64(maxAge/time.Second), 10)
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderStrictTransportSecurity, value)
		return c.Next()
	}
}

const publicURLKey localsKey = 2

// PublicURL makes publicURL, such as https://shop.example.com, the address
// StoreURL returns for every request. An empty publicURL leaves StoreURL
// to the request's own address.
func PublicURL(publicURL string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if publicURL != "" {
			c.Locals(publicURLKey, publicURL)
		}
		return c.Next()
	}
}

// StoreURL returns the address customers open the store at, without a
// trailing slash: the one PublicURL set, or else the scheme of the
// connection and the request's Host header. It never reads X-Forwarded-Host
// or X-Forwarded-Proto, which any client can send.
func StoreURL(c *fiber.Ctx) string {
	if publicURL, ok := c.Locals(publicURLKey).(string); ok {
		return publicURL
	}
	scheme := "http"
	if c.Context().IsTLS() {
		scheme = "https"
	}
	return scheme + "://" + string(c.Request().Host())
}
