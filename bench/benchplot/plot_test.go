package benchplot

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tokend-dev/tokend/bench"
)

// sampleReport is three configurations of three scenarios and one skipped
// result, which a chart must leave out.
func sampleReport() *bench.Report {
	r := &bench.Report{Date: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Workers: 8,
		Duration: bench.Duration(10 * time.Second),
		Machine:  bench.Machine{CPU: "Test CPU", Cores: 2},
		Ceiling:  bench.Ceiling{Cores: 2, HTTPS: bench.LoadResult{Throughput: 15000}}}
	for i, engine := range []string{"sqlite", "postgres", "postgres"} {
		for j, s := range []string{"token", "arm-get", "pw-list"} {
			base := time.Duration(j+1) * 300 * time.Microsecond
			r.Results = append(r.Results, &bench.Result{Engine: engine, Nodes: 1 + i/2, Scenario: s, Status: "ok",
				LoadResult: bench.LoadResult{Requests: 1000, Throughput: float64(3000 * (j + 1) / (i + 1)),
					Latency: bench.Latency{Count: 1000, P50: base, P90: 2 * base, P99: 5 * base, Max: 20 * base}}})
		}
	}
	r.Results = append(r.Results, &bench.Result{Engine: "sqlite", Nodes: 1, Scenario: "apim-get", Status: "skipped", Reason: "not available"})
	return r
}

func TestPlotWritesBothCharts(t *testing.T) {
	t.Parallel()
	files, err := Plot(sampleReport(), filepath.Join(t.TempDir(), "img"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("files %v", files)
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(fh)
		_ = fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if img.Bounds().Dx() < 300 {
			t.Errorf("%s is %v", f, img.Bounds())
		}
	}
}

func TestPlotRefusesAnEmptyReport(t *testing.T) {
	t.Parallel()
	if _, err := Plot(&bench.Report{}, t.TempDir()); err == nil {
		t.Fatal("an empty report plotted")
	}
}
