package app_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tokend-dev/tokend/admin"
)

// /admin/v1/metrics follows the server's own counters: a token issued
// and a throttled read show in the totals at once and in a sampled step
// within a step or two.
func TestMetricsMove(t *testing.T) {
	t.Parallel()
	l := newLimited(t)
	const from = "198.51.100.7"
	// read reads the metrics; ARM's per-principal read limit (3 at once)
	// counts these reads too, so the fake clock refills it first.
	read := func(bearer string) admin.MetricsView {
		t.Helper()
		l.clock.Advance(5 * time.Second)
		req := httptest.NewRequest(http.MethodGet, "https://tokend.test/admin/v1/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+bearer)
		w := l.do(req, from)
		var v admin.MetricsView
		if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &v) != nil {
			t.Fatalf("GET /admin/v1/metrics: %d %s", w.Code, w.Body)
		}
		return v
	}
	// eventually waits for a step in which pick is above zero.
	eventually := func(bearer, what string, pick func(admin.MetricsSampleView) float64) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			for _, s := range read(bearer).Samples {
				if pick(s) > 0 {
					return
				}
			}
		}
		t.Errorf("no sampled step shows %s", what)
	}

	w := l.token(l.secret, from)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %d %s", w.Code, w.Body)
	}
	before := read(tok.AccessToken)
	if before.Totals.TokensIssued < 1 || before.StepSeconds != 0.02 {
		t.Fatalf("after a token: %+v", before)
	}
	eventually(tok.AccessToken, "the token issued", func(s admin.MetricsSampleView) float64 { return s.TokensIssued })

	// ARM reads: 3 at once, then 429.
	throttled := false
	for range 5 {
		if l.arm(tok.AccessToken, from).Code == http.StatusTooManyRequests {
			throttled = true
		}
	}
	if !throttled {
		t.Fatal("no ARM read was throttled")
	}
	after := read(tok.AccessToken)
	if after.Totals.Throttled <= before.Totals.Throttled || after.Totals.ClientErrors <= before.Totals.ClientErrors {
		t.Errorf("totals before %+v, after a 429 %+v", before.Totals, after.Totals)
	}
	eventually(tok.AccessToken, "the 429", func(s admin.MetricsSampleView) float64 { return s.Throttled })
}
