package app

import (
	"time"

	"github.com/tokend-dev/tokend/admin"
	"github.com/tokend-dev/tokend/server"
)

// tokenRoutes are the route labels (identity's and its managed-identity
// surface's) whose 200 answers each issued a token: what the console's
// token-rate chart counts. TestMetricsMove fails when one is renamed.
var tokenRoutes = []string{"identity:token", "identity:token-v1", "msi:app-service", "msi:cloud-shell", "msi:imds"}

// recentMetrics is server.Recent as the management API reads it.
type recentMetrics struct{ r *server.Recent }

func (m recentMetrics) Step() time.Duration   { return m.r.Step() }
func (m recentMetrics) Window() time.Duration { return m.r.Window() }

func (m recentMetrics) Steps() []admin.MetricsStep {
	samples := m.r.Samples()
	out := make([]admin.MetricsStep, len(samples))
	for i, s := range samples {
		out[i] = admin.MetricsStep{Start: s.Start, End: s.End, MetricsCounts: countsOf(s.Counts)}
	}
	return out
}

func (m recentMetrics) Totals() (admin.MetricsCounts, time.Time) {
	c, since := m.r.Totals()
	return countsOf(c), since
}

func countsOf(c server.Counts) admin.MetricsCounts {
	return admin.MetricsCounts{TokensIssued: c.Tokens, ClientErrors: c.ClientErrors, ServerErrors: c.ServerErrors, Throttled: c.Throttled}
}
