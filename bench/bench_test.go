package bench

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	var d []time.Duration
	for i := 1; i <= 1000; i++ {
		d = append(d, time.Duration(i)*time.Microsecond)
	}
	cases := []struct {
		q    float64
		want time.Duration
	}{
		{0.5, 500 * time.Microsecond},
		{0.9, 900 * time.Microsecond},
		{0.99, 990 * time.Microsecond},
		{0.999, 999 * time.Microsecond},
		{1, 1000 * time.Microsecond},
		{0, time.Microsecond},
	}
	for _, c := range cases {
		if got := percentile(d, c.q); got != c.want {
			t.Errorf("percentile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile of nothing = %v", got)
	}
}

func TestSummarizeMergesWorkers(t *testing.T) {
	t.Parallel()
	l := summarize([][]time.Duration{{3 * time.Millisecond, time.Millisecond}, {2 * time.Millisecond}, nil})
	if l.Count != 3 || l.P50 != 2*time.Millisecond || l.Max != 3*time.Millisecond || l.Mean != 2*time.Millisecond {
		t.Fatalf("summary %+v", l)
	}
}

func TestParseStat(t *testing.T) {
	t.Parallel()
	// The command name may hold spaces and parentheses.
	stat := []byte("4242 (tok (end) d) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 150 0 0 20 0 9 0 100 123456 789 18446744073709551615")
	got, err := parseStatCPU(stat)
	if err != nil {
		t.Fatal(err)
	}
	if want := 4 * time.Second; got != want {
		t.Fatalf("cpu = %v, want %v (utime 250 + stime 150 ticks)", got, want)
	}
	if _, err := parseStatCPU([]byte("garbage")); err == nil {
		t.Fatal("garbage parsed")
	}
	rss, hwm := parseStatusMem([]byte("Name:\ttokend\nVmHWM:\t  20480 kB\nVmRSS:\t  10240 kB\n"))
	if rss != 10<<20 || hwm != 20<<20 {
		t.Fatalf("rss %d hwm %d", rss, hwm)
	}
}

func TestReadProcSelf(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	s, err := readProc(0)
	if err != nil {
		t.Fatal(err)
	}
	if s.rss <= 0 {
		t.Fatalf("rss %d", s.rss)
	}
}

// TestRunLoad drives a TLS server whose every tenth answer is a 503: the
// run counts the errors, keeps a sample with the body, and records only
// successes inside the window.
func TestRunLoad(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%10 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":{"code":"Busy"}}`))
			return
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	client := srv.Client()
	next := func(ctx context.Context, _ int) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/x", nil)
	}
	res := runLoad(context.Background(), client, LoadSpec{Workers: 2, Warmup: 50 * time.Millisecond, Duration: 300 * time.Millisecond}, next)
	if res.Requests == 0 || res.Throughput <= 0 {
		t.Fatalf("nothing measured: %+v", res)
	}
	if res.Errors == 0 || len(res.ErrorSamples) == 0 {
		t.Fatalf("errors not counted: %+v", res)
	}
	s := res.ErrorSamples[0]
	if s.Status != http.StatusServiceUnavailable || !strings.Contains(s.Body, "Busy") || s.Path != "/x" {
		t.Fatalf("sample %+v", s)
	}
	if int64(res.Requests+res.Errors) > n.Load() {
		t.Fatalf("%d recorded + %d errors > %d served", res.Requests, res.Errors, n.Load())
	}
}

// TestRunLoadStopsOnCancel: a cancelled run returns promptly and does not
// blame the server for the requests it cut.
func TestRunLoadStopsOnCancel(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	next := func(ctx context.Context, _ int) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	}
	start := time.Now()
	res := runLoad(ctx, srv.Client(), LoadSpec{Workers: 2, Duration: time.Minute}, next)
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("cancelled run took %v", el)
	}
	if res.Errors != 0 {
		t.Fatalf("cancellation counted as %d errors", res.Errors)
	}
}

func TestCeilingFor(t *testing.T) {
	t.Parallel()
	c := &Ceiling{Cores: 2, HTTPS: LoadResult{Throughput: 20000},
		Sign: []SignCost{{Alg: "ES256", JOSESign: 8000, PrimSign: 9000}, {Alg: "RS256", JOSESign: 900, PrimSign: 1000}}}
	cases := []struct {
		b    Bound
		alg  string
		want float64
	}{
		{BoundHTTPS, "ES256", 20000},
		{BoundSign, "ES256", 18000}, // min(9000×2, 20000)
		{BoundSign, "RS256", 2000},  // min(1000×2, 20000)
		{BoundSign, "none", 20000},  // unknown algorithm: only the round trip bounds
	}
	for _, tc := range cases {
		if got := c.For(tc.b, tc.alg); got != tc.want {
			t.Errorf("For(%s, %s) = %v, want %v", tc.b, tc.alg, got, tc.want)
		}
	}
}

func TestMeasureSigning(t *testing.T) {
	t.Parallel()
	costs, err := measureSigning(context.Background(), 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(costs) != 3 {
		t.Fatalf("%d algorithms", len(costs))
	}
	for _, c := range costs {
		if c.JOSESign <= 0 || c.JOSEVerify <= 0 || c.PrimSign <= 0 || c.PrimVerify <= 0 || c.TokenBytes == 0 {
			t.Errorf("%+v", c)
		}
	}
}

func TestMeasureHTTPS(t *testing.T) {
	t.Parallel()
	res, _, err := measureHTTPS(context.Background(), LoadSpec{Workers: 2, Warmup: 20 * time.Millisecond, Duration: 200 * time.Millisecond}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 {
		t.Fatalf("%+v", res)
	}
}

func TestSelectScenarios(t *testing.T) {
	t.Parallel()
	all, err := SelectScenarios("")
	if err != nil || len(all) != len(Scenarios()) {
		t.Fatalf("all: %d %v", len(all), err)
	}
	seen := map[string]bool{}
	for _, s := range all {
		if seen[s.Name()] {
			t.Errorf("duplicate scenario name %s", s.Name())
		}
		seen[s.Name()] = true
	}
	two, err := SelectScenarios("arm-get, pw-page50")
	if err != nil || len(two) != 2 || two[1].Name() != "pw-page50" {
		t.Fatalf("%v %v", two, err)
	}
	if _, err := SelectScenarios("nope"); err == nil || !strings.Contains(err.Error(), "arm-get") {
		t.Fatalf("unknown scenario: %v", err)
	}
}

func TestTokenAlg(t *testing.T) {
	t.Parallel()
	// {"alg":"ES256","typ":"JWT"}
	if got := tokenAlg("eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.e30.sig"); got != "ES256" {
		t.Fatalf("alg %q", got)
	}
	if got := tokenAlg("opaque"); got != "" {
		t.Fatalf("alg of opaque token %q", got)
	}
}

func sampleReport() *Report {
	r := &Report{Date: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Workers: 8,
		Duration: Duration(10 * time.Second), Warmup: Duration(2 * time.Second),
		Machine: Machine{CPU: "Test CPU", Cores: 2, GOMAXPROCS: 2, LoadBefore: []float64{0.5, 0.4, 0.3}},
		Ceiling: Ceiling{Cores: 2, HTTPS: LoadResult{Throughput: 15000, Latency: Latency{P50: 400 * time.Microsecond}},
			Sign: []SignCost{{Alg: "ES256", JOSESign: 20000, PrimSign: 25000, JOSEVerify: 8000, PrimVerify: 9000}}}}
	for i, engine := range []string{"sqlite", "postgres", "postgres"} {
		nodes := 1
		if i == 2 {
			nodes = 2
		}
		for j, s := range []string{"token", "arm-get", "pw-list"} {
			base := time.Duration(j+1) * 300 * time.Microsecond
			r.Results = append(r.Results, &Result{Engine: engine, Nodes: nodes, Scenario: s, Status: "ok",
				LoadResult: LoadResult{Requests: 1000, Throughput: float64(3000 * (j + 1) / (i + 1)),
					Latency: Latency{Count: 1000, P50: base, P90: 2 * base, P99: 5 * base, Max: 20 * base}},
				Server: &ProcUsage{Cores: 1.2, RSSBytes: 80 << 20}, Ceiling: 15000, OfCeiling: 0.2})
		}
	}
	r.Results = append(r.Results, &Result{Engine: "sqlite", Nodes: 1, Scenario: "apim-get", Status: "skipped", Reason: "not available"})
	return r
}

func TestReportRoundTripAndTable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := sampleReport()
	path := filepath.Join(dir, "r.json")
	if err := WriteJSON(path, r); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Results) != len(r.Results) || time.Duration(back.Duration) != 10*time.Second ||
		back.Results[1].Latency.P50 != r.Results[1].Latency.P50 {
		t.Fatalf("round trip lost data: %+v", back)
	}
	var b strings.Builder
	if err := WriteTable(&b, back); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"postgres×2", "arm-get", "3,000", "skipped", "ES256", "Test CPU"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"postgres://u:secret@h:5432/db?x=1": "postgres://u:***@h:5432/db?x=1",
		"postgres://u@h/db":                 "postgres://u@h/db",
		"not a url":                         "not a url",
	}
	for in, want := range cases {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNotAvailable(t *testing.T) {
	t.Parallel()
	missing := &apiError{Status: http.StatusNotFound, Code: "InvalidResourceNamespace"}
	if err := notAvailable(missing); !errors.Is(err, ErrNotAvailable) {
		t.Fatalf("%v is not ErrNotAvailable", err)
	}
	for _, other := range []error{
		&apiError{Status: http.StatusNotFound, Code: "ResourceNotFound"},
		&apiError{Status: http.StatusBadRequest, Code: "InvalidResourceNamespace"},
		errors.New("boom"),
		nil,
	} {
		if err := notAvailable(other); errors.Is(err, ErrNotAvailable) {
			t.Errorf("%v became ErrNotAvailable", other)
		}
	}
}

func TestParallel(t *testing.T) {
	t.Parallel()
	var sum atomic.Int64
	if err := parallel(context.Background(), 100, 4, func(_ context.Context, i int) error {
		sum.Add(int64(i))
		return nil
	}); err != nil || sum.Load() != 4950 {
		t.Fatalf("sum %d err %v", sum.Load(), err)
	}
	boom := errors.New("boom")
	var calls atomic.Int64
	err := parallel(context.Background(), 1000, 2, func(ctx context.Context, i int) error {
		calls.Add(1)
		if i == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || calls.Load() == 1000 {
		t.Fatalf("err %v after %d calls: the first error should stop the rest", err, calls.Load())
	}
}

func TestCPUCost(t *testing.T) {
	t.Parallel()
	// 1,000 req/s using 0.5 server cores, 0.3 client cores and 0.2 database
	// cores on 2 cores: 500 + 300 + 200 µs per request, 2,000 req/s if CPU
	// were the only limit.
	c := cpuCost(1000, 2, &ProcUsage{Cores: 0.5}, ProcUsage{Cores: 0.3}, 0.2)
	if c.ServerPerRequest != 500*time.Microsecond || c.ClientPerRequest != 300*time.Microsecond ||
		c.DBPerRequest != 200*time.Microsecond || c.Rate != 2000 {
		t.Fatalf("%+v", c)
	}
	if c := cpuCost(1000, 2, nil, ProcUsage{Cores: 0.3}, 0); c.Rate != 0 {
		t.Fatalf("a remote server's cost is unknown, got rate %v", c.Rate)
	}
}

func TestParseStatChildrenCPU(t *testing.T) {
	t.Parallel()
	stat := []byte("2200 (postgres) S 1 2200 2200 0 -1 4194560 1234 0 0 0 250 150 300 200 20 0 9 0 100 123456 789")
	got, err := parseStatChildrenCPU(stat)
	if err != nil || got != 5*time.Second {
		t.Fatalf("children cpu %v %v, want 5s (cutime 300 + cstime 200 ticks)", got, err)
	}
}
