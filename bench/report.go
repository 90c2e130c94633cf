package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"
)

// WriteTable writes the report as aligned tables: the ceiling, then one row
// per scenario and configuration, then the samples of any errors.
func WriteTable(w io.Writer, r *Report) error {
	bw := &errWriter{w: w}
	m := r.Machine
	fmt.Fprintf(bw, "machine: %s, %d cores (GOMAXPROCS %d), %s, load %s before / %s after\n",
		m.CPU, m.Cores, m.GOMAXPROCS, m.GoVersion, fmtLoad(m.LoadBefore), fmtLoad(m.LoadAfter))
	fmt.Fprintf(bw, "workers: %d closed-loop over HTTPS keep-alive, %s measured after %s warm-up; run took %s\n\n",
		r.Workers, time.Duration(r.Duration), time.Duration(r.Warmup), time.Duration(r.Elapsed).Round(time.Second))

	t := newTable("<ceiling (per CPU-second)", "sign/s go-jose", "sign/s primitive", "verify/s go-jose", "verify/s primitive")
	for _, s := range r.Ceiling.Sign {
		t.row(s.Alg, FormatRate(s.JOSESign), FormatRate(s.PrimSign), FormatRate(s.JOSEVerify), FormatRate(s.PrimVerify))
	}
	t.write(bw)
	h := r.Ceiling.HTTPS
	fmt.Fprintf(bw, "bare HTTPS JSON round trip: %s req/s, p50 %s, p99 %s, using %.2f cores (client and server in one process): %s req/s at %d cores' CPU\n\n",
		FormatRate(h.Throughput), fmtDur(h.Latency.P50), fmtDur(h.Latency.P99), r.Ceiling.HTTPSCores,
		FormatRate(r.Ceiling.HTTPSCPURate), r.Ceiling.Cores)

	t = newTable("<engine", "<scenario", "req/s", "p50", "p90", "p99", "max", "errors", "srv cores", "db cores", "srv RSS",
		"cli cores", "ceiling", "% ceil", "srv µs/req", "cpu req/s", "% ceil cpu", "<target")
	var notRun []*Result
	for _, res := range r.Results {
		if res.Requests == 0 && res.Errors == 0 {
			notRun = append(notRun, res)
			continue
		}
		srvCores, srvRSS, dbCores := "-", "-", "-"
		if res.DBCores != nil {
			dbCores = fmt.Sprintf("%.2f", *res.DBCores)
		}
		if res.Server != nil {
			srvCores = fmt.Sprintf("%.2f", res.Server.Cores)
			srvRSS = fmt.Sprintf("%d MiB", res.Server.RSSBytes>>20)
		}
		t.row(res.Label(), res.Scenario, FormatRate(res.Throughput),
			fmtDur(res.Latency.P50), fmtDur(res.Latency.P90), fmtDur(res.Latency.P99), fmtDur(res.Latency.Max),
			fmt.Sprint(res.Errors), srvCores, dbCores, srvRSS, fmt.Sprintf("%.2f", res.Client.Cores),
			FormatRate(res.Ceiling), fmtPct(res.OfCeiling), fmtMicros(res.CPU.ServerPerRequest),
			FormatRate(res.CPU.Rate), fmtPct(res.OfCeilingCPU), res.Target)
	}
	t.write(bw)
	for _, res := range notRun {
		fmt.Fprintf(bw, "%s %s: %s: %s\n", res.Label(), res.Scenario, res.Status, oneLine(res.Reason, 300))
	}
	for _, res := range r.Results {
		for _, e := range res.ErrorSamples {
			fmt.Fprintf(bw, "error sample %s %s: %s\n", res.Label(), res.Scenario, e)
		}
	}
	return bw.err
}

// WriteJSON writes the report to path.
func WriteJSON(path string, r *Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ReadJSON reads a report written by WriteJSON.
func ReadJSON(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// fmtDur prints a latency with three significant digits in a readable unit.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}

// FormatRate prints a rate with thousands separators.
func FormatRate(v float64) string {
	if v <= 0 {
		return "-"
	}
	n := int64(v + 0.5)
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func fmtMicros(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(d)/float64(time.Microsecond))
}

func fmtPct(f float64) string {
	if f <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", f*100)
}

func fmtLoad(l []float64) string {
	if len(l) == 0 {
		return "?"
	}
	return fmt.Sprintf("%.2f", l[0])
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// errWriter remembers the first write error so the table code can ignore
// them until the end.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// table is a plain-text table: columns whose header starts with "<" are
// left-aligned, the others (figures) right-aligned.
type table struct {
	head []string
	left []bool
	rows [][]string
}

func newTable(head ...string) *table {
	t := &table{}
	for _, h := range head {
		left := strings.HasPrefix(h, "<")
		t.head = append(t.head, strings.TrimPrefix(h, "<"))
		t.left = append(t.left, left)
	}
	return t
}

func (t *table) row(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) {
	width := make([]int, len(t.head))
	for _, r := range append([][]string{t.head}, t.rows...) {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range append([][]string{t.head}, t.rows...) {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if t.left[i] {
				b.WriteString(c + pad)
			} else {
				b.WriteString(pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}
