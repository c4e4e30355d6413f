package rest

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// webPage is the whole web UI: one HTML file with inline CSS and JS that
// talks to /api/v1 with a token kept in sessionStorage.
//
//go:embed web/index.html
var webPage []byte

// serveWebPage answers GET /.
func serveWebPage(c *gin.Context) {
	c.Header("Cache-Control", "no-cache")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, "text/html; charset=utf-8", webPage)
}
