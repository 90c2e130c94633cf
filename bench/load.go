package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// LoadSpec is one closed-loop run: Workers goroutines, each sending its next
// request as soon as the previous one completed, for Warmup (not recorded)
// then Duration (recorded).
type LoadSpec struct {
	Workers  int
	Warmup   time.Duration
	Duration time.Duration
	// OnWindow, when set, is called with true when the measured window
	// opens and with false when it closes (both before runLoad returns),
	// so resource use can be sampled over exactly the recorded requests.
	OnWindow func(open bool)
	// Observe, when set, receives every 2xx answer's body (Observer).
	Observe func(worker int, body []byte)
}

// NextRequest builds a worker's next request. It is called concurrently with
// distinct worker numbers, so per-worker state needs no lock.
type NextRequest func(ctx context.Context, worker int) (*http.Request, error)

// LoadResult is what one run measured.
type LoadResult struct {
	// Requests completed inside the measured window.
	Requests int `json:"requests"`
	// Throughput is Requests per second of the measured window.
	Throughput float64 `json:"throughput_rps"`
	Latency    Latency `json:"latency"`
	// Errors counts every failed request, warm-up included: a non-2xx
	// status, a transport error or a request that could not be built.
	Errors       int           `json:"errors"`
	ErrorSamples []ErrorSample `json:"error_samples,omitempty"`
}

// ErrorSample is one failed request, kept to be printed.
type ErrorSample struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Status int    `json:"status,omitempty"`
	Body   string `json:"body,omitempty"`
	Err    string `json:"error,omitempty"`
}

func (e ErrorSample) String() string {
	if e.Err != "" {
		return fmt.Sprintf("%s %s: %s", e.Method, e.Path, e.Err)
	}
	return fmt.Sprintf("%s %s: HTTP %d %s", e.Method, e.Path, e.Status, e.Body)
}

const (
	maxErrorSamples = 3
	maxSampleBody   = 600
)

// worker is one closed-loop client's state and record.
type worker struct {
	latencies []time.Duration
	errors    int
	samples   []ErrorSample
}

// runLoad drives next from spec.Workers closed-loop workers over client.
// A request counts when it completes inside [warm-up end, warm-up end +
// Duration): throughput is those completions over Duration, so requests in
// flight across either edge neither inflate nor deflate it. Each worker stops
// starting requests at the window's end and the run waits for the last ones
// (bounded by the client's timeout and ctx).
func runLoad(ctx context.Context, client *http.Client, spec LoadSpec, next NextRequest) LoadResult {
	workers := make([]*worker, spec.Workers)
	expect := 1024
	if spec.Duration > 0 {
		// Room for ~20k req/s per run without regrowing on the hot path.
		expect = int(spec.Duration.Seconds()*20000)/max(spec.Workers, 1) + 16
	}
	start := make(chan struct{})
	var t0 time.Time
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{latencies: make([]time.Duration, 0, expect)}
		workers[i] = w
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			w.loop(ctx, client, i, next, t0.Add(spec.Warmup), t0.Add(spec.Warmup+spec.Duration), spec.Observe)
		}(i)
	}
	t0 = time.Now()
	close(start)
	var edges sync.WaitGroup
	if spec.OnWindow != nil {
		edges.Add(1)
		go func() {
			defer edges.Done()
			sleepUntil(ctx, t0.Add(spec.Warmup))
			spec.OnWindow(true)
			sleepUntil(ctx, t0.Add(spec.Warmup+spec.Duration))
			spec.OnWindow(false)
		}()
	}
	wg.Wait()
	edges.Wait()

	res := LoadResult{}
	perWorker := make([][]time.Duration, len(workers))
	for i, w := range workers {
		perWorker[i] = w.latencies
		res.Errors += w.errors
		for _, s := range w.samples {
			if len(res.ErrorSamples) < maxErrorSamples {
				res.ErrorSamples = append(res.ErrorSamples, s)
			}
		}
	}
	res.Latency = summarize(perWorker)
	res.Requests = res.Latency.Count
	if spec.Duration > 0 {
		res.Throughput = float64(res.Requests) / spec.Duration.Seconds()
	}
	return res
}

func (w *worker) loop(ctx context.Context, client *http.Client, id int, next NextRequest, from, until time.Time, observeAll func(int, []byte)) {
	buf := make([]byte, 32<<10)
	var observe func([]byte)
	if observeAll != nil {
		observe = func(b []byte) { observeAll(id, b) }
	}
	for ctx.Err() == nil {
		begin := time.Now()
		if !begin.Before(until) {
			return
		}
		req, err := next(ctx, id)
		if err != nil {
			w.fail(ErrorSample{Err: "build request: " + err.Error()})
			continue
		}
		sent := time.Now()
		status, sample, err := roundTrip(client, req, buf, observe)
		done := time.Now()
		if err != nil || status/100 != 2 {
			if ctx.Err() != nil {
				return // the run was cancelled: not the server's error
			}
			s := ErrorSample{Method: req.Method, Path: req.URL.Path, Status: status, Body: sample}
			if err != nil {
				s.Err = err.Error()
			}
			w.fail(s)
			continue
		}
		if !done.Before(from) && done.Before(until) {
			w.latencies = append(w.latencies, done.Sub(sent))
		}
	}
}

func (w *worker) fail(s ErrorSample) {
	w.errors++
	if len(w.samples) < maxErrorSamples {
		w.samples = append(w.samples, s)
	}
	// A failing server answers fast; do not spin the CPU the other
	// scenarios' figures depend on.
	time.Sleep(time.Millisecond)
}

// roundTrip sends req and reads the whole response body (keep-alive needs
// it), returning the status and, for a non-2xx answer, the start of the
// body; a 2xx answer's body goes to observe when it is set.
func roundTrip(client *http.Client, req *http.Request, buf []byte, observe func([]byte)) (int, string, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		if observe != nil {
			// Into the worker's buffer: io.ReadAll's growing copies and the
			// garbage they leave were 8 % of the load generator's CPU in
			// token-refresh (a 3 KB answer per request).
			b, err := readInto(buf, resp.Body)
			if err == nil {
				observe(b)
			}
			return resp.StatusCode, "", err
		}
		_, err = io.CopyBuffer(io.Discard, resp.Body, buf)
		return resp.StatusCode, "", err
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxSampleBody))
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, string(b), nil
}

// readInto reads r to its end into buf, growing past it only for an
// answer larger than buf.
func readInto(buf []byte, r io.Reader) ([]byte, error) {
	b := buf[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// sleepUntil sleeps until t or until ctx is done.
func sleepUntil(ctx context.Context, t time.Time) {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}
