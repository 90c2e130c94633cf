package server

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the server's Prometheus instruments.
type Metrics struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	storage  *prometheus.HistogramVec
	refused  prometheus.Counter
}

// NewMetrics registers the instruments on a fresh registry (not the global
// one, so tests can run several servers in one process).
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tokend_http_requests_total", Help: "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tokend_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		storage: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tokend_storage_operation_duration_seconds", Help: "Storage operation latency by operation and outcome.",
			Buckets: []float64{.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .1, 1},
		}, []string{"op", "outcome"}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tokend_connections_refused_total", Help: "Connections closed at accept: the peer address held its cap of open connections.",
		}),
	}
	m.Registry.MustRegister(m.requests, m.latency, m.storage, m.refused,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) observe(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// ObserveStorage records one storage operation; pass it to the storage
// engine as its observer.
func (m *Metrics) ObserveStorage(op string, d time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.storage.WithLabelValues(op, outcome).Observe(d.Seconds())
}

func (m *Metrics) connRefused() { m.refused.Inc() }
