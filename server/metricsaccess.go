package server

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tokend-dev/tokend/wire"
)

// Handler serves the Prometheus exposition of the metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// serveMetrics answers /metrics on the public handler when it is exposed
// there, and reports whether it answered. The page names routes, counts
// failures and throttling: reconnaissance for an attacker, so by default
// it lives on a loopback listener of its own (serve --metrics-addr) and the public port
// answers as for any unknown path.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) bool {
	switch {
	case s.publicMetrics:
	case s.metricsToken != "":
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.metricsToken)) != 1 {
			wire.TraceFrom(r.Context()).Route = "metrics"
			w.Header().Set("WWW-Authenticate", `Bearer realm="tokend-metrics"`)
			wire.WriteError(w, wire.FamilyARM, wire.Errorf(http.StatusUnauthorized, "Unauthorized",
				"The metrics page requires the bearer token given to --metrics-token."))
			return true
		}
	default:
		return false
	}
	wire.TraceFrom(r.Context()).Route = "metrics"
	s.metrics.Handler().ServeHTTP(w, r)
	return true
}
