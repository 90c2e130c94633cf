package admin

import (
	"context"
	"math"
	"net/http"
	"time"

	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// MetricsSource is this node's recent traffic, sampled from the server's
// request counter (server.Recent; app adapts it).
type MetricsSource interface {
	// Step is the sampling interval, Window how far back Steps reach.
	Step() time.Duration
	Window() time.Duration
	// Steps are the sampled intervals in the window, oldest first.
	Steps() []MetricsStep
	// Totals are the counts since the node's metrics were made, and when
	// its history began.
	Totals() (MetricsCounts, time.Time)
}

// MetricsCounts are answers counted: tokens issued (200s of the token and
// managed-identity endpoints), 4xx (429 included), 5xx and 429.
type MetricsCounts struct {
	TokensIssued, ClientErrors, ServerErrors, Throttled float64
}

// MetricsStep is what was counted from Start to End.
type MetricsStep struct {
	Start, End time.Time
	MetricsCounts
}

// MetricsView is GET /admin/v1/metrics: this node's last minutes as
// per-second rates, one sample a step, and the totals since it started.
type MetricsView struct {
	StepSeconds   float64             `json:"stepSeconds"`
	WindowSeconds float64             `json:"windowSeconds"`
	Since         time.Time           `json:"since"`
	Totals        MetricsTotalsView   `json:"totals"`
	Samples       []MetricsSampleView `json:"samples"`
}

// MetricsTotalsView are counts since Since.
type MetricsTotalsView struct {
	TokensIssued int64 `json:"tokensIssued"`
	ClientErrors int64 `json:"clientErrors"`
	ServerErrors int64 `json:"serverErrors"`
	Throttled    int64 `json:"throttled"`
}

// MetricsSampleView is one step ending at Time, in answers per second.
type MetricsSampleView struct {
	Time         time.Time `json:"time"`
	Seconds      float64   `json:"seconds"`
	TokensIssued float64   `json:"tokensIssued"`
	ClientErrors float64   `json:"clientErrors"`
	ServerErrors float64   `json:"serverErrors"`
	Throttled    float64   `json:"throttled"`
}

func (s *Service) metricsRoutes() []pipeline.Route {
	return []pipeline.Route{route(http.MethodGet, "/metrics", ActionMetricsRead, s.readMetrics)}
}

func (s *Service) readMetrics(context.Context, *pipeline.Request) (*wire.Response, error) {
	src := s.cfg.Metrics
	if src == nil {
		return nil, wire.Errorf(http.StatusNotFound, "MetricsNotSampled", "This node does not sample its metrics.")
	}
	return wire.JSON(http.StatusOK, ToMetricsView(src)), nil
}

// ToMetricsView reads src into the API's shape.
func ToMetricsView(src MetricsSource) MetricsView {
	totals, since := src.Totals()
	steps := src.Steps()
	v := MetricsView{
		StepSeconds: src.Step().Seconds(), WindowSeconds: src.Window().Seconds(), Since: since.UTC(),
		Totals: MetricsTotalsView{TokensIssued: int64(totals.TokensIssued), ClientErrors: int64(totals.ClientErrors),
			ServerErrors: int64(totals.ServerErrors), Throttled: int64(totals.Throttled)},
		Samples: make([]MetricsSampleView, 0, len(steps)),
	}
	for _, st := range steps {
		secs := st.End.Sub(st.Start).Seconds()
		if secs <= 0 {
			continue
		}
		rate := func(n float64) float64 { return math.Round(n/secs*1000) / 1000 }
		v.Samples = append(v.Samples, MetricsSampleView{Time: st.End.UTC(), Seconds: math.Round(secs*1000) / 1000,
			TokensIssued: rate(st.TokensIssued), ClientErrors: rate(st.ClientErrors),
			ServerErrors: rate(st.ServerErrors), Throttled: rate(st.Throttled)})
	}
	return v
}
