package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/app"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/ratelimit"
	"github.com/tokend-dev/tokend/seal"
	"github.com/tokend-dev/tokend/server"
	"github.com/tokend-dev/tokend/storage/storagetest"
)

const rlTenant = "6f0f7b43-0000-4000-8000-000000000002"

type limited struct {
	t       *testing.T
	app     *app.App
	metrics *server.Metrics
	clock   *testkit.Clock
	client  string
	secret  string
}

// newLimited composes tokend with the shipped limits (ARM reads lowered to
// 3 at once, 1 a second, to reach them) on a fake clock, its metrics
// sampled every 20 ms.
func newLimited(t *testing.T) *limited {
	t.Helper()
	store := storagetest.SQLite(t)
	box, err := seal.New(bytes.Repeat([]byte{4}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateTenant(t.Context(), &tokend.Tenant{ID: rlTenant, DisplayName: "t", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	clock := testkit.NewClock(time.Now())
	limits := ratelimit.Defaults()
	limits.Now = clock.Now
	limits.ARMReads = ratelimit.Limit{Rate: 1, Burst: 3}
	metrics := server.NewMetrics()
	a, err := app.New(t.Context(), app.Config{Store: store, Box: box, TenantID: rlTenant, Metrics: metrics, RateLimits: &limits,
		MetricsStep: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	boot, err := a.Identity.EnsureBootstrap(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return &limited{t: t, app: a, metrics: metrics, clock: clock, client: boot.Client.ID, secret: boot.Secret}
}

func (l *limited) do(req *http.Request, from string) *httptest.ResponseRecorder {
	req.RemoteAddr = from + ":40000"
	w := httptest.NewRecorder()
	l.app.Handler().ServeHTTP(w, req)
	return w
}

func (l *limited) token(secret, from string) *httptest.ResponseRecorder {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {l.client}, "client_secret": {secret},
		"scope": {"https://management.azure.com/.default"}}
	req := httptest.NewRequest(http.MethodPost, "https://tokend.test/"+rlTenant+"/oauth2/v2.0/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return l.do(req, from)
}

func (l *limited) arm(bearer, from string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "https://tokend.test/subscriptions?api-version=2022-12-01", nil)
	req.Header.Set("Authorization", "Bearer "+bearer)
	return l.do(req, from)
}

func (l *limited) metricsPage() string {
	w := httptest.NewRecorder()
	l.metrics.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return w.Body.String()
}

// bruteForce sends n wrong secrets, from the sources from(i) names, and
// counts the answers by status; every 429 is checked for Retry-After and
// Entra's AADSTS50196 body. It returns the largest Retry-After.
func (l *limited) bruteForce(n int, from func(i int) string) (map[int]int, time.Duration) {
	t := l.t
	t.Helper()
	statuses, longest := map[int]int{}, time.Duration(0)
	for i := range n {
		w := l.token("wrong-secret", from(i))
		statuses[w.Code]++
		if w.Code != http.StatusTooManyRequests {
			continue
		}
		var secs int
		if _, err := fmt.Sscan(w.Header().Get("Retry-After"), &secs); err != nil || secs < 1 || secs > 60 {
			t.Fatalf("429 with Retry-After %q", w.Header().Get("Retry-After"))
		}
		longest = max(longest, time.Duration(secs)*time.Second)
		var body struct {
			Error      string `json:"error"`
			ErrorCodes []int  `json:"error_codes"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || len(body.ErrorCodes) != 1 || body.ErrorCodes[0] != 50196 {
			t.Fatalf("429 body is not Entra's AADSTS50196: %s", w.Body)
		}
	}
	return statuses, longest
}

// 600 wrong secrets in a burst, from one source or against one client id
// from 600 sources: the first 100 are checked (401), the rest refused with
// 429, Retry-After and AADSTS50196; the right secret is refused too until
// Retry-After has passed, then works.
func TestBruteForceIsThrottled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		from  func(i int) string
		right string // where the right secret is then sent from
		// throttled is the limit that refused the burst
		throttled string
	}{
		{"one source", func(int) string { return "192.0.2.1" }, "192.0.2.1", `tokend_throttled_requests_total{limit="failures_source"} 501`},
		{"one client id", func(i int) string { return fmt.Sprintf("10.0.%d.%d", i/250, i%250+1) }, "198.51.100.1",
			`tokend_throttled_requests_total{limit="failures_client"} 501`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := newLimited(t)
			statuses, wait := l.bruteForce(600, tc.from)
			if statuses[http.StatusUnauthorized] != 100 || statuses[http.StatusTooManyRequests] != 500 {
				t.Fatalf("answers by status: %v, want 100 × 401 and 500 × 429", statuses)
			}
			if w := l.token(l.secret, tc.right); w.Code != http.StatusTooManyRequests {
				t.Fatalf("the right secret within Retry-After: %d", w.Code)
			}
			l.clock.Advance(wait)
			if w := l.token(l.secret, tc.right); w.Code != http.StatusOK {
				t.Fatalf("the right secret after Retry-After: %d %s", w.Code, w.Body)
			}
			page := l.metricsPage()
			for _, want := range []string{`tokend_failed_authentications_total{reason="invalid_client_secret"} 100`, tc.throttled} {
				if !strings.Contains(page, want) {
					t.Errorf("metrics lack %s", want)
				}
			}
		})
	}
}

// ARM: random bearers spend the source's failure budget and are then
// refused in ARM's envelope; a principal's reads carry ARM's remaining
// counter and are throttled past the limit, with Retry-After.
func TestARMLimits(t *testing.T) {
	t.Parallel()
	l := newLimited(t)
	w := l.token(l.secret, "198.51.100.1")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %d %s", w.Code, w.Body)
	}
	for i, want := range []struct {
		status    int
		remaining string
	}{{200, "2"}, {200, "1"}, {200, "0"}, {429, "0"}} {
		w := l.arm(tok.AccessToken, "198.51.100.1")
		if w.Code != want.status || w.Header().Get("x-ms-ratelimit-remaining-subscription-reads") != want.remaining {
			t.Fatalf("read %d: %d, remaining %q; want %d, %q: %s", i, w.Code,
				w.Header().Get("x-ms-ratelimit-remaining-subscription-reads"), want.status, want.remaining, w.Body)
		}
		if w.Code == 429 && (w.Header().Get("Retry-After") != "1" || !strings.Contains(w.Body.String(), `"code":"TooManyRequests"`)) {
			t.Fatalf("ARM 429: Retry-After %q %s", w.Header().Get("Retry-After"), w.Body)
		}
	}
	l.clock.Advance(time.Second)
	if w := l.arm(tok.AccessToken, "198.51.100.1"); w.Code != 200 {
		t.Fatalf("a read after the refill: %d", w.Code)
	}

	statuses := map[int]int{}
	for i := range 600 {
		w := l.arm(fmt.Sprintf("random-%d", i), "203.0.113.9")
		statuses[w.Code]++
		if w.Code == 429 && !strings.Contains(w.Body.String(), `"code":"TooManyRequests"`) {
			t.Fatalf("ARM 429 body: %s", w.Body)
		}
	}
	if statuses[401] != 100 || statuses[429] != 500 {
		t.Fatalf("random bearers by status: %v", statuses)
	}
	if page := l.metricsPage(); !strings.Contains(page, `tokend_failed_authentications_total{reason="bearer_InvalidAuthenticationToken"} 100`) {
		t.Errorf("bearer failures are not counted:\n%s", page)
	}
}

// The security headers are on ARM's and identity's answers (and on their
// errors), HSTS included over TLS.
func TestSecurityHeadersOnSurfaces(t *testing.T) {
	t.Parallel()
	l := newLimited(t)
	for name, w := range map[string]*httptest.ResponseRecorder{
		"identity token":     l.token(l.secret, "198.51.100.1"),
		"identity error":     l.token("wrong", "198.51.100.2"),
		"identity discovery": l.do(httptest.NewRequest(http.MethodGet, "https://tokend.test/"+rlTenant+"/v2.0/.well-known/openid-configuration", nil), "198.51.100.3"),
		"ARM 401":            l.arm("nonsense", "198.51.100.4"),
		"ARM 404":            l.do(httptest.NewRequest(http.MethodGet, "https://tokend.test/providers/Nope?api-version=2022-12-01", nil), "198.51.100.5"),
	} {
		h := w.Header()
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" ||
			h.Get("X-Frame-Options") != "DENY" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			!strings.HasPrefix(h.Get("Strict-Transport-Security"), "max-age=") {
			t.Errorf("%s (%d): security headers missing: %v", name, w.Code, h)
		}
	}
}
