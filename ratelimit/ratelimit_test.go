package ratelimit

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/tokend-dev/tokend/internal/testkit"
)

func newGuard(t *testing.T, c Config) (*Guard, *testkit.Clock) {
	t.Helper()
	clock := testkit.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c.Now = clock.Now
	g, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return g, clock
}

func from(addr string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/t/oauth2/v2.0/token", nil)
	r.RemoteAddr = addr
	return r
}

// The failure budget: the burst is spent, then failures are refused with a
// Retry-After that, once waited, lets the next attempt in.
func TestFailureBudget(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		limit     Limit
		attempts  int
		wantAdmit int
		wantWait  time.Duration
	}{
		{"defaults, 600 in a burst", Defaults().FailuresPerSource, 600, 100, 100 * time.Millisecond},
		{"one a minute", Limit{Rate: 1.0 / 60, Burst: 3}, 10, 3, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, clock := newGuard(t, Config{FailuresPerSource: tc.limit})
			admitted, wait := 0, time.Duration(0)
			for range tc.attempts {
				w, ok := g.AdmitClient(from("192.0.2.1:5000"), "client")
				if !ok {
					wait = w
					continue
				}
				admitted++
				g.FailedClient(from("192.0.2.1:5000"), "client", "invalid_client_secret")
			}
			if admitted != tc.wantAdmit {
				t.Errorf("%d failures admitted, want %d", admitted, tc.wantAdmit)
			}
			if wait <= 0 || wait > tc.wantWait+time.Millisecond {
				t.Errorf("Retry-After %s, want at most %s", wait, tc.wantWait)
			}
			if _, ok := g.AdmitClient(from("198.51.100.7:1"), "client"); !ok {
				t.Error("another source is throttled by this one's failures")
			}
			clock.Advance(wait)
			if _, ok := g.AdmitClient(from("192.0.2.1:5000"), "client"); !ok {
				t.Error("still refused once Retry-After has passed")
			}
		})
	}
}

// Failures against one client id from many sources exhaust the client's
// budget; an unknown client id spends only the source's.
func TestFailuresPerClient(t *testing.T) {
	t.Parallel()
	g, _ := newGuard(t, Config{FailuresPerClient: Limit{Rate: 1, Burst: 5}})
	for i := range 5 {
		r := from("192.0.2." + string(rune('1'+i)) + ":1")
		if _, ok := g.AdmitClient(r, "victim"); !ok {
			t.Fatalf("failure %d refused", i)
		}
		g.FailedClient(r, "victim", "invalid_client_secret")
		g.FailedClient(r, "nobody", ReasonUnknownClient)
	}
	if _, ok := g.AdmitClient(from("203.0.113.9:1"), "victim"); ok {
		t.Error("the client's budget is spent, yet a new source is admitted for it")
	}
	if _, ok := g.AdmitClient(from("203.0.113.9:1"), "nobody"); !ok {
		t.Error("an unknown client id has a budget of its own")
	}
}

// Request limits spend a token per request, failures or not.
func TestTokenRequestLimits(t *testing.T) {
	t.Parallel()
	g, clock := newGuard(t, Config{TokenPerClient: Limit{Rate: 10, Burst: 10}, TokenPerSource: Limit{Rate: 30, Burst: 30}})
	n := 0
	for range 20 {
		if _, ok := g.AdmitClient(from("192.0.2.1:1"), "a"); ok {
			n++
		}
	}
	if n != 10 {
		t.Errorf("per client: %d admitted, want 10", n)
	}
	if _, ok := g.AdmitClient(from("192.0.2.1:1"), "b"); !ok {
		t.Error("another client from the same source is refused before the source limit")
	}
	n = 0
	for i := range 20 {
		if _, ok := g.AdmitClient(from("192.0.2.1:1"), string(rune('c'+i))); ok {
			n++
		}
	}
	if n != 9 {
		t.Errorf("per source: %d more admitted, want the 9 left of 30", n)
	}
	clock.Advance(time.Second)
	if _, ok := g.AdmitClient(from("192.0.2.1:1"), "a"); !ok {
		t.Error("refused after a second's refill")
	}
}

// Tables hold at most their bound of keys, however many keys pass.
func TestTablesAreBounded(t *testing.T) {
	t.Parallel()
	tab := newTable(Limit{Rate: 1, Burst: 1}, 1600)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10_000 {
				tab.spend(string(rune(w))+string(rune(i)), time.Now())
			}
		}()
	}
	wg.Wait()
	if n := tab.len(); n > 1600 {
		t.Errorf("%d keys held, bound 1600", n)
	}
}

func TestSource(t *testing.T) {
	t.Parallel()
	proxies, err := ParseProxies([]string{"10.0.0.0/8", "192.0.2.10"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, remote string
		xff          []string
		proxies      Proxies
		want         string
	}{
		{"no proxies: XFF ignored", "198.51.100.1:443", []string{"203.0.113.5"}, nil, "198.51.100.1"},
		{"untrusted peer: XFF ignored", "198.51.100.1:443", []string{"203.0.113.5"}, proxies, "198.51.100.1"},
		{"trusted peer: client from XFF", "10.1.2.3:443", []string{"203.0.113.5"}, proxies, "203.0.113.5"},
		{"forged left entries skipped", "10.1.2.3:443", []string{"1.1.1.1, 203.0.113.5"}, proxies, "203.0.113.5"},
		{"chain of trusted proxies", "10.1.2.3:443", []string{"203.0.113.5, 192.0.2.10", "10.9.9.9"}, proxies, "203.0.113.5"},
		{"malformed hop", "10.1.2.3:443", []string{"203.0.113.5, junk"}, proxies, "10.1.2.3"},
		{"IPv6 by /64", "[2001:db8:1:2:3:4:5:6]:443", nil, nil, "2001:db8:1:2::/64"},
		{"IPv4-mapped", "[::ffff:192.0.2.1]:443", nil, nil, "192.0.2.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := SourceKey(tc.proxies.Source(r)); got != tc.want {
				t.Errorf("source %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := ParseProxies([]string{"nonsense"}); err == nil {
		t.Error("a malformed proxy is accepted")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	if err := Defaults().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	c := Defaults()
	c.FailuresPerSource.Rate = 0.001 // a token every 1000 s: Retry-After beyond 60 s
	if err := c.Validate(); err == nil {
		t.Error("a limit refilling slower than one a minute is accepted")
	}
}
