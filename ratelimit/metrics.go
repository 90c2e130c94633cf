package ratelimit

import "github.com/prometheus/client_golang/prometheus"

// metrics count what the guard refused and the failures it saw. Label
// values come from fixed sets (limit names, reason codes), never from
// clients.
type metrics struct {
	throttled *prometheus.CounterVec
	failures  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tokend_throttled_requests_total",
			Help: "Requests refused with 429 by the limit that refused them.",
		}, []string{"limit"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tokend_failed_authentications_total",
			Help: "Failed client and bearer-token authentications by reason.",
		}, []string{"reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.throttled, m.failures)
	}
	return m
}
