package server

import (
	"io/fs"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

const missingSPA = `<!doctype html><title>esimScan</title>
<p>The web interface was not built into this binary. Run <code>make build</code>, which builds the
SPA before the binary. The JSON API under /api works without it.</p>`

// serveSPA serves the embedded single-page app. Paths that are not a file
// get index.html, so the SPA's own router handles them (history API
// fallback). Hashed assets are cached for a year, index.html never.
func serveSPA(files fs.FS) fiber.Handler {
	index, indexErr := fs.ReadFile(files, "index.html")
	return func(c *fiber.Ctx) error {
		if strings.HasPrefix(c.Path(), "/api/") || c.Path() == "/api" {
			return fiber.ErrNotFound
		}
		if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
			return fiber.ErrMethodNotAllowed
		}
		name := strings.TrimPrefix(path.Clean(c.Path()), "/")
		if name != "" && name != "index.html" {
			if content, err := fs.ReadFile(files, name); err == nil {
				c.Type(path.Ext(name))
				if strings.HasPrefix(name, "assets/") {
					c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
				}
				return c.Send(content)
			}
			if path.Ext(name) != "" {
				return fiber.ErrNotFound
			}
		}
		c.Set(fiber.HeaderCacheControl, "no-cache")
		c.Type("html")
		if indexErr != nil {
			return c.SendString(missingSPA)
		}
		return c.Send(index)
	}
}
