// Package benchplot draws the charts of a `tokend bench --json` result. It
// lives apart from package bench, and only cmd/tokend-plot imports it, so the
// plotting, font and PDF packages it needs stay out of the server binary.
package benchplot

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tokend-dev/tokend/bench"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Plot draws the report's charts into dir and returns the files written:
// bench-throughput.png (requests/s per scenario, one bar per engine and
// cluster size, the bare HTTPS ceiling as a line) and bench-latency.png
// (p50, p90 and p99 per scenario and configuration on a log scale).
func Plot(r *bench.Report, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	g := groupResults(r)
	if len(g.scenarios) == 0 {
		return nil, fmt.Errorf("the report has no measured scenario to plot")
	}
	var files []string
	charts := []struct {
		name string
		draw func(*grouped, *bench.Report) (*plot.Plot, error)
	}{
		{"bench-throughput.png", throughputPlot},
		{"bench-latency.png", latencyPlot},
	}
	for _, c := range charts {
		name, draw := c.name, c.draw
		p, err := draw(g, r)
		if err != nil {
			return files, fmt.Errorf("%s: %w", name, err)
		}
		path := filepath.Join(dir, name)
		w := vg.Length(math.Max(16, 2.2*float64(len(g.scenarios)))) * vg.Centimeter
		if err := p.Save(w, 11*vg.Centimeter, path); err != nil {
			return files, fmt.Errorf("save %s: %w", path, err)
		}
		files = append(files, path)
	}
	return files, nil
}

// grouped is the measured results indexed by scenario and configuration,
// in report order.
type grouped struct {
	scenarios []string
	configs   []string
	at        map[[2]string]*bench.Result
}

func groupResults(r *bench.Report) *grouped {
	g := &grouped{at: map[[2]string]*bench.Result{}}
	seenS, seenC := map[string]bool{}, map[string]bool{}
	for _, res := range r.Results {
		if res.Requests == 0 {
			continue
		}
		if !seenS[res.Scenario] {
			seenS[res.Scenario] = true
			g.scenarios = append(g.scenarios, res.Scenario)
		}
		if l := res.Label(); !seenC[l] {
			seenC[l] = true
			g.configs = append(g.configs, l)
		}
		g.at[[2]string{res.Scenario, res.Label()}] = res
	}
	return g
}

func subtitle(r *bench.Report) string {
	return fmt.Sprintf("%s, %d cores, %d workers, %s per scenario, %s",
		r.Machine.CPU, r.Machine.Cores, r.Workers, time.Duration(r.Duration), r.Date.Format("2006-01-02"))
}

// barWidth fits the configurations' bars side by side in one scenario's slot.
func barWidth(configs int) vg.Length {
	return vg.Length(math.Min(18, 42/float64(max(configs, 1)))) * vg.Millimeter / 2
}

func throughputPlot(g *grouped, r *bench.Report) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Throughput per scenario (requests/s, higher is better)\n" + subtitle(r)
	p.Y.Label.Text = "requests/s"
	p.Y.Min = 0
	p.Legend.Top = true
	p.Legend.Padding = vg.Points(3)
	w := barWidth(len(g.configs))
	top := 0.0
	for i, c := range g.configs {
		vals := make(plotter.Values, len(g.scenarios))
		for j, s := range g.scenarios {
			if res := g.at[[2]string{s, c}]; res != nil {
				vals[j] = res.Throughput
				top = math.Max(top, res.Throughput)
			}
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, err
		}
		bars.Color = plotutil.Color(i)
		bars.LineStyle.Width = 0
		bars.Offset = w * vg.Length(float64(i)-float64(len(g.configs)-1)/2)
		p.Add(bars)
		p.Legend.Add(c, bars)
	}
	// The bare HTTPS ceiling as a line when it fits; when it is far above
	// every bar it would flatten them, so the title says it instead.
	if h := r.Ceiling.HTTPS.Throughput; h > 0 && h > 2*top {
		p.Title.Text += fmt.Sprintf(", bare HTTPS ceiling %s/s", bench.FormatRate(h))
	} else if h > 0 {
		line := plotter.NewFunction(func(float64) float64 { return h })
		line.Color = color.Gray{Y: 90}
		line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		line.Width = vg.Points(1)
		p.Add(line)
		p.Legend.Add(fmt.Sprintf("bare HTTPS ceiling (%s/s)", bench.FormatRate(h)), line)
		top = math.Max(top, h)
	}
	// Headroom above the tallest bar for the legend.
	p.Y.Max = top * 1.35
	p.NominalX(g.scenarios...)
	p.X.Min, p.X.Max = -0.6, float64(len(g.scenarios))-0.4
	p.Add(plotter.NewGrid())
	return p, nil
}

// percentileShapes mark p50, p90 and p99.
var percentileShapes = []struct {
	name  string
	get   func(bench.Latency) time.Duration
	glyph draw.GlyphDrawer
}{
	{"p50", func(l bench.Latency) time.Duration { return l.P50 }, draw.CircleGlyph{}},
	{"p90", func(l bench.Latency) time.Duration { return l.P90 }, draw.TriangleGlyph{}},
	{"p99", func(l bench.Latency) time.Duration { return l.P99 }, draw.BoxGlyph{}},
}

func latencyPlot(g *grouped, r *bench.Report) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Latency per scenario (ms, log scale, lower is better): p50 to p99\n" + subtitle(r)
	p.Y.Label.Text = "milliseconds"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.TickerFunc(logTicks125)
	p.Legend.Top = true
	p.Legend.Left = true // the slowest scenarios tend to come last
	p.Legend.Padding = vg.Points(3)
	step := 0.6 / float64(max(len(g.configs), 1)) // x units: a scenario's slot is 1 wide
	lo, hi := math.Inf(1), 0.0
	for i, c := range g.configs {
		col := plotutil.Color(i)
		off := step * (float64(i) - float64(len(g.configs)-1)/2)
		var legendGlyph *plotter.Scatter
		for k, ps := range percentileShapes {
			var pts plotter.XYs
			for j, s := range g.scenarios {
				res := g.at[[2]string{s, c}]
				if res == nil {
					continue
				}
				ms := float64(ps.get(res.Latency)) / float64(time.Millisecond)
				if ms <= 0 {
					continue
				}
				lo, hi = math.Min(lo, ms), math.Max(hi, ms)
				pts = append(pts, plotter.XY{X: float64(j) + off, Y: ms})
				if k == 0 {
					// The p50–p99 range as a vertical line.
					top := float64(res.Latency.P99) / float64(time.Millisecond)
					l, err := plotter.NewLine(plotter.XYs{{X: float64(j) + off, Y: ms}, {X: float64(j) + off, Y: top}})
					if err != nil {
						return nil, err
					}
					l.Color, l.Width = col, vg.Points(1.5)
					p.Add(l)
				}
			}
			if len(pts) == 0 {
				continue
			}
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(3), Shape: ps.glyph}
			p.Add(sc)
			if k == 0 {
				legendGlyph = sc
			}
		}
		if legendGlyph != nil {
			p.Legend.Add(c, legendGlyph)
		}
	}
	if hi == 0 {
		return nil, fmt.Errorf("no latency recorded")
	}
	// Gray glyphs in the legend say which mark is which percentile.
	for _, ps := range percentileShapes {
		p.Legend.Add(ps.name, glyphThumb{Color: color.Gray{Y: 80}, Radius: vg.Points(3), Shape: ps.glyph})
	}
	p.Y.Min = math.Pow(10, math.Floor(math.Log10(lo)))
	// Headroom above the highest mark for the legend.
	p.Y.Max = math.Pow(10, math.Ceil(math.Log10(hi*1.05))) * 3
	p.NominalX(g.scenarios...)
	p.X.Min, p.X.Max = -0.6, float64(len(g.scenarios))-0.4
	p.Add(plotter.NewGrid())
	return p, nil
}

// logTicks125 labels 1, 2 and 5 of every decade when the range spans few
// decades (the default log ticks label only powers of ten).
func logTicks125(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	decades := math.Log10(hi / lo)
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v < lo*0.999 || v > hi*1.001 {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || decades <= 3 {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// glyphThumb is a legend entry that is only a glyph.
type glyphThumb draw.GlyphStyle

func (g glyphThumb) Thumbnail(c *draw.Canvas) { c.DrawGlyph(draw.GlyphStyle(g), c.Center()) }
