// Package httpapi serves the inventory as JSON over HTTP:
//
//	GET    /v1/items        list items
//	GET    /v1/items/{id}   one item
//	PUT    /v1/items/{id}   create or replace an item
//	DELETE /v1/items/{id}   delete an item
//	GET    /healthz         store reachability
//	GET    /version         build information
//	GET    /metrics         Prometheus metrics
package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"example.com/goapi/internal/metrics"
	"example.com/goapi/internal/store"
)

// NewRouter returns the handler for all routes, with request IDs, panic
// recovery, access logs and request metrics.
func NewRouter(items store.Store, registry *metrics.Registry, logger *zap.Logger) http.Handler {
	h := &handlers{items: items, metrics: registry, logger: logger}
	router := chi.NewRouter()
	router.Use(middleware.RequestID, middleware.RealIP, middleware.Recoverer)
	router.Use(accessLog(logger), recordMetrics(registry))
	router.Use(middleware.Timeout(30 * time.Second))

	router.Get("/healthz", h.health)
	router.Get("/version", h.version)
	router.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(registry.Prometheus, promhttp.HandlerOpts{}))
	router.Route("/v1/items", func(r chi.Router) {
		r.Get("/", h.listItems)
		r.Get("/{id}", h.getItem)
		r.Put("/{id}", h.putItem)
		r.Delete("/{id}", h.deleteItem)
	})
	return router
}

// accessLog logs one structured line per request after it is served.
func accessLog(logger *zap.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			started := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			logger.Info("request served",
				zap.String("request_id", middleware.GetReqID(r.Context())),
				zap.String("method", r.Method),
				zap.String("path", r.URL.Path),
				zap.Int("status", ww.Status()),
				zap.Int("bytes", ww.BytesWritten()),
				zap.Duration("duration", time.Since(started)),
			)
		})
	}
}

// recordMetrics counts requests and their latency by route pattern rather
// than by path, so that item IDs do not create new label values.
func recordMetrics(registry *metrics.Registry) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			registry.HTTPInFlight.Inc()
			defer registry.HTTPInFlight.Dec()
			started := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			route := chi.RouteContext(r.Context()).RoutePattern()
			if route == "" {
				route = "unmatched"
			}
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK
			}
			registry.HTTPRequests.WithLabelValues(route, r.Method, strconv.Itoa(status)).Inc()
			registry.HTTPDuration.WithLabelValues(route, r.Method).Observe(time.Since(started).Seconds())
		})
	}
}

func middlewareRequestID(r *http.Request) string {
	return middleware.GetReqID(r.Context())
}
