package handlers

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the service's Prometheus metrics, on a registry of their
// own so tests and several servers in one process do not collide.
type Metrics struct {
	Registry  *prometheus.Registry
	Messages  *prometheus.CounterVec // by msg type and outcome
	Latency   prometheus.Histogram   // callback handling time
	DedupHits prometheus.Counter     // re-deliveries answered from the dedup store
	Errors    *prometheus.CounterVec // by kind
	Pushes    *prometheus.CounterVec // replies pushed with message/send, by outcome
	RateLimit prometheus.Counter     // messages refused by the per-user rate limit
}

// NewMetrics registers the metrics and the Go runtime collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "songnuan_messages_total", Help: "WeCom callback messages by message type and outcome.",
		}, []string{"type", "outcome"}),
		Latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "songnuan_callback_seconds", Help: "Time to answer a WeCom callback POST.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5},
		}),
		DedupHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "songnuan_dedup_hits_total", Help: "Re-delivered messages answered without handling them again.",
		}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "songnuan_errors_total", Help: "Errors by kind.",
		}, []string{"kind"}),
		Pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "songnuan_pushed_replies_total", Help: "Replies sent with message/send instead of passively, by outcome.",
		}, []string{"outcome"}),
		RateLimit: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "songnuan_rate_limited_total", Help: "Messages refused by the per-user rate limit.",
		}),
	}
	m.Registry.MustRegister(m.Messages, m.Latency, m.DedupHits, m.Errors, m.Pushes, m.RateLimit,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
