package console

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// The charts are drawn here: each step at its time in the window (the
// newest at the right edge), heights on a scale from 0 to the chart's
// peak, and the same in words for those who do not see the picture.
func TestMetricsCharts(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 5, 22, 0, 0, 0, time.UTC)
	m := &metricsAnswer{StepSeconds: 5, WindowSeconds: 600, Since: t0}
	m.Totals.TokensIssued, m.Totals.ClientErrors, m.Totals.Throttled = 12, 3, 1
	for i, x := range []float64{0, 1, 2, 0.4} {
		m.Samples = append(m.Samples, metricsSample{Time: t0.Add(time.Duration(i+1) * 5 * time.Second), TokensIssued: x, ClientErrors: x / 2, Throttled: x / 4})
	}
	d := chartsOf(m)
	if len(d.Charts) != 3 || !d.Sampled || d.Step != "5 seconds" || d.Window != "10 minutes" {
		t.Fatalf("charts %+v", d)
	}
	tokens := d.Charts[0].Lines[0]
	if want := "292.5,57.0 295.0,30.0 297.5,3.0 300.0,46.2"; tokens.Points != want {
		t.Errorf("token points %q, want %q", tokens.Points, want)
	}
	if want := "Tokens issued: 0.4 a second now, at most 2 in the last 10 minutes; 12 since the node started."; tokens.Summary != want {
		t.Errorf("summary %q", tokens.Summary)
	}
	// The 4xx and 5xx lines share a scale: the 4xx peak (1) is the top.
	if errs := d.Charts[1]; errs.Peak != "1" || !strings.HasSuffix(errs.Lines[0].Points, "300.0,46.2") || !strings.HasSuffix(errs.Lines[1].Points, "300.0,57.0") {
		t.Errorf("errors chart %+v", errs)
	}

	var buf bytes.Buffer
	v := &view{Title: "Metrics", Active: "metrics", Template: "metrics.html", User: "u@contoso.example", Data: d}
	if err := pages["metrics.html"].ExecuteTemplate(&buf, "metrics.html", v); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{
		`<polyline class="line tokens" points="292.5,57.0 295.0,30.0 297.5,3.0 300.0,46.2"`,
		`class="line server-errors"`, `class="line throttled"`,
		`hx-trigger="every 5s"`, `hx-select="#charts"`,
		"429 answers (throttled): 0.1 a second now", `aria-current="page">Metrics`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s:\n%s", want, page)
		}
	}
	if strings.Contains(page, "style=") || strings.Contains(page, "<script>") {
		t.Error("inline style or script: the CSP refuses them")
	}
}

// Before the first step only the totals are known.
func TestMetricsChartsEmpty(t *testing.T) {
	t.Parallel()
	m := &metricsAnswer{StepSeconds: 5, WindowSeconds: 600}
	m.Totals.TokensIssued = 2
	d := chartsOf(m)
	if d.Sampled || d.Charts[0].Lines[0].Points != "" || d.Charts[0].Lines[0].Summary != "Tokens issued: none sampled yet; 2 since the node started." {
		t.Errorf("empty %+v", d.Charts[0])
	}
}
