// Package metrics defines goapi's Prometheus metrics in their own registry,
// with the Go runtime and process collectors.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Registry is the Prometheus registry and the metrics that goapi records.
type Registry struct {
	Prometheus   *prometheus.Registry
	HTTPRequests *prometheus.CounterVec
	HTTPDuration *prometheus.HistogramVec
	HTTPInFlight prometheus.Gauge
	HealthChecks *prometheus.CounterVec
	ItemsWritten prometheus.Counter
	ItemsDeleted prometheus.Counter
}

// NewRegistry creates the registry and registers every goapi metric in it.
func NewRegistry() *Registry {
	r := &Registry{
		Prometheus: prometheus.NewRegistry(),
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "goapi",
			Name:      "http_requests_total",
			Help:      "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "goapi",
			Name:      "http_request_duration_seconds",
			Help:      "HTTP request latency in seconds by route pattern and method.",
			Buckets:   prometheus.DefBuckets,
		}, []string{"route", "method"}),
		HTTPInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "goapi",
			Name:      "http_requests_in_flight",
			Help:      "HTTP requests being served.",
		}),
		HealthChecks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "goapi",
			Name:      "grpc_health_checks_total",
			Help:      "gRPC health checks by reported status.",
		}, []string{"status"}),
		ItemsWritten: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "goapi",
			Name:      "items_written_total",
			Help:      "Items created or replaced.",
		}),
		ItemsDeleted: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "goapi",
			Name:      "items_deleted_total",
			Help:      "Items deleted.",
		}),
	}
	r.Prometheus.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		r.HTTPRequests, r.HTTPDuration, r.HTTPInFlight, r.HealthChecks, r.ItemsWritten, r.ItemsDeleted,
	)
	return r
}
