package console

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// metricsAnswer is GET /admin/v1/metrics (admin.MetricsView).
type metricsAnswer struct {
	StepSeconds   float64   `json:"stepSeconds"`
	WindowSeconds float64   `json:"windowSeconds"`
	Since         time.Time `json:"since"`
	Totals        struct {
		TokensIssued int64 `json:"tokensIssued"`
		ClientErrors int64 `json:"clientErrors"`
		ServerErrors int64 `json:"serverErrors"`
		Throttled    int64 `json:"throttled"`
	} `json:"totals"`
	Samples []metricsSample `json:"samples"`
}

// metricsSample is one step, in answers per second.
type metricsSample struct {
	Time         time.Time `json:"time"`
	TokensIssued float64   `json:"tokensIssued"`
	ClientErrors float64   `json:"clientErrors"`
	ServerErrors float64   `json:"serverErrors"`
	Throttled    float64   `json:"throttled"`
}

// The sparklines' drawing box (viewBox units; CSS sizes the picture).
const (
	chartWidth  = 300
	chartHeight = 60
	chartPad    = 3
)

// chart is one sparkline: its lines share the vertical scale (0 to the
// peak of any of them).
type chart struct {
	ID, Title string
	Lines     []chartLine
	// Peak is the top of the scale, in answers per second.
	Peak string
}

// chartLine is one series: its points in viewBox units and what it says
// in words (the picture is hidden from screen readers; the words are not).
type chartLine struct {
	Class, Points, Summary string
}

type metricsData struct {
	Charts       []chart
	Step, Window string
	StepSeconds  int
	Since        string
	// Sampled: at least one step has passed since the node started.
	Sampled bool
}

// metrics shows this node's recent traffic as sparklines rendered here,
// in SVG: no script draws them. With JavaScript, htmx reloads the charts
// every step.
func (c *Console) metrics(ctx context.Context, v *view) error {
	v.Title, v.Active, v.Template = "Metrics", "metrics", "metrics.html"
	var m metricsAnswer
	if err := c.call(ctx, v, http.MethodGet, "/admin/v1/metrics", nil, &m); err != nil {
		return err
	}
	v.Data = chartsOf(&m)
	return nil
}

func chartsOf(m *metricsAnswer) *metricsData {
	step := time.Duration(m.StepSeconds * float64(time.Second))
	window := time.Duration(m.WindowSeconds * float64(time.Second))
	if window <= 0 {
		window = 10 * time.Minute
	}
	d := &metricsData{Step: spell(step), Window: spell(window), StepSeconds: max(int(m.StepSeconds), 1),
		Since: m.Since.UTC().Format("2006-01-02 15:04:05 UTC"), Sampled: len(m.Samples) > 0}
	series := func(pick func(i int) float64) []float64 {
		out := make([]float64, len(m.Samples))
		for i := range m.Samples {
			out[i] = pick(i)
		}
		return out
	}
	tokens := series(func(i int) float64 { return m.Samples[i].TokensIssued })
	client := series(func(i int) float64 { return m.Samples[i].ClientErrors })
	server := series(func(i int) float64 { return m.Samples[i].ServerErrors })
	throttled := series(func(i int) float64 { return m.Samples[i].Throttled })
	times := make([]time.Time, len(m.Samples))
	for i, s := range m.Samples {
		times[i] = s.Time
	}
	type line struct {
		class, label string
		values       []float64
		total        int64
	}
	mk := func(id, title string, ls ...line) chart {
		// The scale tops at the peak; with nothing counted, at 1 a second.
		top := 0.0
		for _, l := range ls {
			for _, x := range l.values {
				top = math.Max(top, x)
			}
		}
		if top <= 0 {
			top = 1
		}
		var lines []chartLine
		for _, l := range ls {
			lines = append(lines, chartLine{Class: l.class,
				Points:  sparkPoints(times, l.values, window, top),
				Summary: summary(l.label, l.values, l.total, window)})
		}
		return chart{ID: id, Title: title, Lines: lines, Peak: rate(top)}
	}
	d.Charts = []chart{
		mk("tokens", "Tokens issued", line{"tokens", "Tokens issued", tokens, m.Totals.TokensIssued}),
		mk("errors", "Errors", line{"client-errors", "4xx answers", client, m.Totals.ClientErrors},
			line{"server-errors", "5xx answers", server, m.Totals.ServerErrors}),
		mk("throttled", "Throttled", line{"throttled", "429 answers (throttled)", throttled, m.Totals.Throttled}),
	}
	return d
}

// sparkPoints places each value at its time within the window (the
// newest at the right edge) and its height on the scale 0..peak (> 0).
func sparkPoints(times []time.Time, values []float64, window time.Duration, peak float64) string {
	if len(values) == 0 {
		return ""
	}
	last := times[len(times)-1]
	var b strings.Builder
	for i, x := range values {
		age := last.Sub(times[i])
		if age > window {
			continue
		}
		px := chartWidth * (1 - age.Seconds()/window.Seconds())
		py := chartHeight - chartPad - x/peak*(chartHeight-2*chartPad)
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.1f,%.1f", px, py)
	}
	return b.String()
}

// summary says what a line shows: the latest step, the peak and the
// total since the node started.
func summary(label string, values []float64, total int64, window time.Duration) string {
	if len(values) == 0 {
		return fmt.Sprintf("%s: none sampled yet; %d since the node started.", label, total)
	}
	peak := 0.0
	for _, x := range values {
		peak = math.Max(peak, x)
	}
	return fmt.Sprintf("%s: %s a second now, at most %s in the last %s; %d since the node started.",
		label, rate(values[len(values)-1]), rate(peak), spell(window), total)
}

// spell writes a duration as people read it: "10 minutes", "5 seconds".
func spell(d time.Duration) string {
	switch {
	case d >= time.Minute && d%time.Minute == 0:
		if d == time.Minute {
			return "minute"
		}
		return strconv.Itoa(int(d/time.Minute)) + " minutes"
	case d == time.Second:
		return "second"
	default:
		return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " seconds"
	}
}

// rate prints a per-second rate with at most two decimals.
func rate(x float64) string { return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64) }
