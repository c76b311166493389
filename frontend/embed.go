// Package frontend embeds the built single-page app (storefront and admin)
// so that the esimscan binary serves it without files on disk.
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Files returns the built SPA: index.html and its assets. Before the SPA is
// built (npm run build), it contains no index.html.
func Files() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the folder exists
	}
	return sub
}
