package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Engine builds the gin engine: the callback, /healthz, /readyz and
// /metrics. ready reports whether the store answers.
func Engine(cb *Callback, ready func(context.Context) error) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, _ any) {
		cb.Metrics.Errors.WithLabelValues("panic").Inc()
		cb.Log.Error("panic in handler", "path", c.FullPath())
		c.AbortWithStatus(http.StatusInternalServerError)
	}))
	r.GET("/wecom/callback", cb.Verify)
	r.POST("/wecom/callback", cb.Receive)
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	r.GET("/readyz", func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			c.String(http.StatusServiceUnavailable, "store unavailable")
			return
		}
		c.String(http.StatusOK, "ok")
	})
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(cb.Metrics.Registry, promhttp.HandlerOpts{})))
	return r
}
