package bench

import (
	"math"
	"slices"
	"time"
)

// Latency summarizes recorded request latencies. Every latency is kept (not
// sampled or bucketed), so the percentiles are exact for the run.
type Latency struct {
	Count int           `json:"count"`
	Mean  time.Duration `json:"mean_ns"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	P999  time.Duration `json:"p999_ns"`
	Max   time.Duration `json:"max_ns"`
}

// summarize merges the workers' latency slices and computes the summary.
func summarize(perWorker [][]time.Duration) Latency {
	n := 0
	for _, w := range perWorker {
		n += len(w)
	}
	all := make([]time.Duration, 0, n)
	for _, w := range perWorker {
		all = append(all, w...)
	}
	slices.Sort(all)
	return summarizeSorted(all)
}

func summarizeSorted(all []time.Duration) Latency {
	if len(all) == 0 {
		return Latency{}
	}
	var sum time.Duration
	for _, d := range all {
		sum += d
	}
	return Latency{
		Count: len(all),
		Mean:  sum / time.Duration(len(all)),
		P50:   percentile(all, 0.50),
		P90:   percentile(all, 0.90),
		P99:   percentile(all, 0.99),
		P999:  percentile(all, 0.999),
		Max:   all[len(all)-1],
	}
}

// percentile is the nearest-rank percentile of sorted: the smallest value
// with at least q of the observations at or below it.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(q * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	if rank > len(sorted) {
		rank = len(sorted)
	}
	return sorted[rank-1]
}
