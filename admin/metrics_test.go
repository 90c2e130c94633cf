package admin_test

import (
	"testing"
	"time"

	"github.com/tokend-dev/tokend/admin"
	"github.com/tokend-dev/tokend/storage/storagetest"
)

// The metrics read turns the node's steps into per-second rates, oldest
// first, with the totals since the node started.
func TestMetricsView(t *testing.T) {
	t.Parallel()
	h := newHarness(t, storagetest.SQLite(t))
	var v admin.MetricsView
	h.must(reader, "GET", "/admin/v1/metrics", "", 200, &v)
	if v.StepSeconds != 5 || v.WindowSeconds != 600 || !v.Since.Equal(metricsStart) {
		t.Errorf("step %v window %v since %v", v.StepSeconds, v.WindowSeconds, v.Since)
	}
	if v.Totals != (admin.MetricsTotalsView{TokensIssued: 10, ClientErrors: 6, Throttled: 1}) {
		t.Errorf("totals %+v", v.Totals)
	}
	want := []admin.MetricsSampleView{
		{Time: metricsStart.Add(5 * time.Second), Seconds: 5, TokensIssued: 2, ClientErrors: 1},
		{Time: metricsStart.Add(10 * time.Second), Seconds: 5, ClientErrors: 0.2, Throttled: 0.2},
	}
	if len(v.Samples) != len(want) {
		t.Fatalf("samples %+v", v.Samples)
	}
	for i := range want {
		if !v.Samples[i].Time.Equal(want[i].Time) {
			t.Errorf("sample %d at %v, want %v", i, v.Samples[i].Time, want[i].Time)
		}
		v.Samples[i].Time = want[i].Time
		if v.Samples[i] != want[i] {
			t.Errorf("sample %d: %+v, want %+v", i, v.Samples[i], want[i])
		}
	}
	status, _ := h.do(nobody, "GET", "/admin/v1/metrics", "")
	if status != 403 {
		t.Errorf("without a role: %d", status)
	}
}
