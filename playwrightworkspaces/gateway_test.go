package playwrightworkspaces_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/pwwsclient"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/playwright"
)

// echoServer stands in for `npx playwright run-server`: a WebSocket server
// that echoes every message and records what each upgrade carried.
type echoServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []*http.Request
}

func newEchoServer(t testing.TB) *echoServer {
	e := &echoServer{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.seen = append(e.seen, r.Clone(context.Background()))
		e.mu.Unlock()
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 24)
		for {
			typ, msg, err := c.Read(context.Background())
			if err != nil {
				return
			}
			if err := c.Write(context.Background(), typ, msg); err != nil {
				return
			}
		}
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *echoServer) last() *http.Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.seen) == 0 {
		return nil
	}
	return e.seen[len(e.seen)-1]
}

func (e *echoServer) wsURL() string { return "ws://" + strings.TrimPrefix(e.URL, "http://") + "/" }

// dial opens a browser session at path (…/browsers?query) with token.
func (e *env) dial(t testing.TB, path, token string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	h := http.Header{"X-Playwright-Browser": {"chromium"}, "X-Playwright-Launch-Options": {`{"headless":true}`}}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, "wss://"+strings.TrimPrefix(e.srv.URL, "https://")+path,
		&websocket.DialOptions{HTTPClient: e.srv.Client(), HTTPHeader: h})
	if c != nil {
		t.Cleanup(func() { c.CloseNow() })
	}
	return c, resp, err
}

// roundTrip sends a message and reads its echo.
func roundTrip(t testing.TB, c *websocket.Conn, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatalf("write: %v", err)
	}
	_, got, err := c.Read(ctx)
	if err != nil || string(got) != msg {
		t.Fatalf("echo: %q %v", got, err)
	}
}

// refusedWith checks a refused upgrade's status and error code.
func refusedWith(t testing.TB, resp *http.Response, err error, status int, code string) {
	t.Helper()
	if err == nil || resp == nil {
		t.Fatalf("the session opened (%v), want %d %s", err, status, code)
	}
	body, _ := io.ReadAll(resp.Body)
	var e struct{ Error struct{ Code string } }
	_ = json.Unmarshal(body, &e)
	if resp.StatusCode != status || (code != "" && e.Error.Code != code) {
		t.Errorf("refused with %d %s, want %d %s", resp.StatusCode, body, status, code)
	}
}

// closedWithin waits for the server to end the session.
func closedWithin(t testing.TB, c *websocket.Conn, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	_, _, err := c.Read(ctx)
	if err == nil || errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		t.Fatalf("the session is still open after %s (%v)", d, err)
	}
}

func metricValue(t testing.TB, e *env, name string, labels ...string) float64 {
	t.Helper()
	families, err := e.metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, m := range f.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, l := range m.GetLabel() {
					if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue metric
				}
			}
			switch {
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			}
		}
	}
	return sum
}

// TestBrowserGateway: sessions through tokend to a WebSocket server, with
// the refusals the issue lists and a token deleted mid-session.
func TestBrowserGateway(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		echo := newEchoServer(t)
		e := newEnv(t, store, playwright.GatewayConfig{Upstream: echo.wsURL(), MaxSessions: 2, RecheckInterval: 200 * time.Millisecond})
		ws := e.createWorkspace(t, "rg", "gw-one", "Enabled")
		other := e.createWorkspace(t, "rg", "gw-two", "Enabled")
		tokenID, jwt := e.mintToken(t, contributor, ws, "session")
		path := "/playwrightworkspaces/" + ws + "/browsers?os=Linux&runId=8c2b6e1e-2b0c-4f4e-9a9f-0d9d7c7e6b01&sourceType=PlaywrightWorkspacesTestRun&api-version=2025-09-01"

		c, resp, err := e.dial(t, path, jwt)
		if err != nil {
			t.Fatalf("dial: %v (%v)", err, resp)
		}
		roundTrip(t, c, "hello browsers")
		up := echo.last()
		if up.Header.Get("Authorization") != "" || up.Header.Get("X-Playwright-Browser") != "chromium" ||
			up.URL.Query().Get("runId") != "8c2b6e1e-2b0c-4f4e-9a9f-0d9d7c7e6b01" || up.URL.Query().Get("os") != "Linux" {
			t.Errorf("upstream saw %v %v", up.URL, up.Header)
		}
		if got := e.browsers.Sessions(ws); got != 1 {
			t.Errorf("%d sessions open", got)
		}

		// Refusals, before any upgrade.
		_, resp, err = e.dial(t, path, "")
		refusedWith(t, resp, err, http.StatusUnauthorized, "")
		_, resp, err = e.dial(t, "/playwrightworkspaces/"+other+"/browsers?os=Linux", jwt)
		refusedWith(t, resp, err, http.StatusForbidden, "InvalidAccessToken")
		_, resp, err = e.dial(t, strings.Replace(path, "os=Linux", "os=Windows", 1), jwt)
		refusedWith(t, resp, err, http.StatusBadRequest, "UnsupportedOS")
		_, resp, err = e.dial(t, "/playwrightworkspaces/"+ws+"/browsers?api-version=2025-09-01", jwt)
		refusedWith(t, resp, err, http.StatusBadRequest, "InvalidParameter")
		e.roles.set(contributor, "Reader")
		_, resp, err = e.dial(t, path, jwt)
		refusedWith(t, resp, err, http.StatusForbidden, "")
		e.roles.set(contributor, "Contributor")
		if _, err := e.workspaces(owner, "").Update(context.Background(), "rg", "gw-two", pwwsclient.WorkspaceUpdate{
			Properties: &pwwsclient.WorkspaceUpdateProperties{LocalAuth: ptr(pwwsclient.EnablementStatusDisabled)}}); err != nil {
			t.Fatal(err)
		}
		_, jwtOther := e.mintToken(t, contributor, other, "other")
		_, resp, err = e.dial(t, "/playwrightworkspaces/"+other+"/browsers?os=Linux", jwtOther)
		refusedWith(t, resp, err, http.StatusForbidden, "AccessKeyBasedAuthNotSupported")
		// An Entra token with the role opens a session too.
		c2, _, err := e.dial(t, path, "good-"+owner)
		if err != nil {
			t.Fatalf("Entra session: %v", err)
		}
		roundTrip(t, c2, "entra")
		// The limit is 2 per workspace.
		_, resp, err = e.dial(t, path, jwt)
		refusedWith(t, resp, err, http.StatusTooManyRequests, "TooManySessions")
		c2.Close(websocket.StatusNormalClosure, "")

		// The token deleted mid-session: the session ends at once.
		if err := e.dataPlane("good-"+contributor).DeleteAccessToken(context.Background(), ws, tokenID); err != nil {
			t.Fatal(err)
		}
		closedWithin(t, c, 2*time.Second)
		_, resp, err = e.dial(t, path, jwt)
		refusedWith(t, resp, err, http.StatusUnauthorized, "")

		if v := metricValue(t, e, "tokend_playwright_browser_sessions_opened_total"); v != 2 {
			t.Errorf("opened %v", v)
		}
		if v := metricValue(t, e, "tokend_playwright_browser_sessions_refused_total", "reason", "limit"); v != 1 {
			t.Errorf("refused for the limit: %v", v)
		}
		// The client sees its connection cut before the gateway's session
		// ends (the relay returns after both halves close), so the session's
		// counters follow within moments, not at once.
		deadline := time.Now().Add(2 * time.Second)
		for metricValue(t, e, "tokend_playwright_browser_sessions_closed_total", "reason", "revoked") != 1 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if v := metricValue(t, e, "tokend_playwright_browser_sessions_closed_total", "reason", "revoked"); v != 1 {
			t.Errorf("closed as revoked: %v", v)
		}
		for metricValue(t, e, "tokend_playwright_browser_sessions_active") != 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if v := metricValue(t, e, "tokend_playwright_browser_sessions_active"); v != 0 {
			t.Errorf("active %v", v)
		}
	})
}

// TestBrowserSessionsEndWithTheirParent: deleting the workspace, or the
// token's row going away on another node (the periodic re-check), ends
// the sessions.
func TestBrowserSessionsEndWithTheirParent(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		echo := newEchoServer(t)
		e := newEnv(t, store, playwright.GatewayConfig{Upstream: echo.wsURL(), RecheckInterval: 100 * time.Millisecond})
		ws := e.createWorkspace(t, "rg", "gw-parent", "Enabled")
		tokenID, jwt := e.mintToken(t, contributor, ws, "parent")
		path := "/playwrightworkspaces/" + ws + "/browsers?os=Linux&api-version=2025-09-01"

		// Another node deletes the token: straight in storage.
		c, _, err := e.dial(t, path, jwt)
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, c, "x")
		if err := store.DeleteAccessToken(context.Background(), ws, tokenID); err != nil {
			t.Fatal(err)
		}
		closedWithin(t, c, 2*time.Second)

		_, jwt2 := e.mintToken(t, contributor, ws, "parent2")
		c, _, err = e.dial(t, path, jwt2)
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, c, "y")
		if resp, _ := e.do(t, http.MethodDelete, workspacePath("rg", "gw-parent")+"?api-version=2025-10-01", nil, "good-"+owner); resp.StatusCode != http.StatusNoContent {
			t.Fatal("delete workspace")
		}
		closedWithin(t, c, 2*time.Second)
	})
}

// TestLegacyBrowsersEndpoint: an account's sessions at the root,
// wss://{tokend}/accounts/{id}/browsers, as @azure/microsoft-playwright-testing
// connects; a plain GET is told to upgrade; no configured server is 503.
func TestLegacyBrowsersEndpoint(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		echo := newEchoServer(t)
		e := newEnv(t, store, playwright.GatewayConfig{Upstream: echo.wsURL()})
		resp, body := e.do(t, http.MethodPut, "/subscriptions/"+testSub+"/resourceGroups/rg/providers/Microsoft.AzurePlaywrightService/accounts/legacyAccount?api-version=2024-12-01",
			map[string]any{"location": "eastus"}, "good-"+owner)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create account: %d %s", resp.StatusCode, body)
		}
		var acct struct{ Properties struct{ DashboardURI string } }
		_ = json.Unmarshal(body, &acct)
		id := acct.Properties.DashboardURI[strings.LastIndexByte(acct.Properties.DashboardURI, '/')+1:]
		// As the old package's client: an Entra token for Playwright (the
		// test issuer's good-<oid>); owner holds every data action.
		c, resp, err := e.dial(t, "/accounts/"+id+"/browsers?os=linux&runId=2026-11-21T12:00:00Z&api-version=2024-12-01", "good-"+owner)
		if err != nil {
			t.Fatalf("dial: %v %v", err, resp)
		}
		roundTrip(t, c, "legacy")
		_, resp, err = e.dial(t, "/accounts/"+id+"/browsers", "good-"+reader)
		refusedWith(t, resp, err, http.StatusForbidden, "")
		resp, body = e.do(t, http.MethodGet, "/accounts/"+id+"/browsers", nil, "good-"+owner)
		if resp.StatusCode != http.StatusUpgradeRequired {
			t.Errorf("plain GET: %d %s", resp.StatusCode, body)
		}
		_, resp, err = e.dial(t, "/accounts/eastus_"+uuid.NewString()+"/browsers", "good-"+owner)
		refusedWith(t, resp, err, http.StatusNotFound, "AccountNotFound")

		none := newEnv(t, store)
		ws := none.createWorkspace(t, "rg2", "no-browsers", "Enabled")
		_, resp, err = none.dial(t, "/playwrightworkspaces/"+ws+"/browsers?os=Linux", "good-"+owner)
		refusedWith(t, resp, err, http.StatusServiceUnavailable, "NoBrowserServer")
	})
}

// TestRunSessionsCounted: sessions opened with a test run's runId count in
// its summary (numBrowserSessions, maxConcurrentBrowserSessions).
func TestRunSessionsCounted(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		echo := newEchoServer(t)
		e := newEnv(t, store, playwright.GatewayConfig{Upstream: echo.wsURL()})
		ws := e.createWorkspace(t, "rg", "gw-runs", "Enabled")
		_, jwt := e.mintToken(t, contributor, ws, "runs")
		runID := uuid.NewString()
		dp := e.dataPlane(jwt)
		if _, err := dp.CreateOrUpdateTestRun(context.Background(), ws, runID, pwwsclient.TestRunCreateOrUpdate{DisplayName: ptr("counted")}); err != nil {
			t.Fatal(err)
		}
		path := "/playwrightworkspaces/" + ws + "/browsers?os=Linux&runId=" + runID + "&api-version=2025-09-01"
		a, _, err := e.dial(t, path, jwt)
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := e.dial(t, path, jwt)
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, a, "a")
		roundTrip(t, b, "b")
		a.Close(websocket.StatusNormalClosure, "")
		b.Close(websocket.StatusNormalClosure, "")
		// A session without a runId, or of a run never created, counts nowhere.
		c, _, err := e.dial(t, "/playwrightworkspaces/"+ws+"/browsers?os=Linux&runId="+uuid.NewString(), jwt)
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, c, "c")
		deadline := time.Now().Add(5 * time.Second)
		for {
			var run *pwwsclient.TestRun
			for pager := dp.NewListTestRunsPager(ws); pager.More(); {
				page, err := pager.NextPage(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range page.Value {
					if *r.ID == runID {
						run = r
					}
				}
			}
			if run != nil && *run.Summary.NumBrowserSessions == 2 && *run.Summary.MaxConcurrentBrowserSessions == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the run's summary does not count its two sessions: %+v", run)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// TestBrowserGatewayUpstream: what the browser server does reaches the
// client: an unreachable server is a 502 counted as such, a server's own
// refusal is passed on.
func TestBrowserGatewayUpstream(t *testing.T) {
	t.Parallel()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no browser for you", http.StatusForbidden)
	}))
	t.Cleanup(refusing.Close)
	for _, tc := range []struct {
		name, upstream, body string
		status               int
	}{
		{"unreachable", "ws://" + strings.TrimPrefix(gone.URL, "http://") + "/", "BrowserServerUnavailable", http.StatusBadGateway},
		{"refusing", "ws://" + strings.TrimPrefix(refusing.URL, "http://") + "/", "no browser for you", http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
				e := newEnv(t, store, playwright.GatewayConfig{Upstream: tc.upstream})
				ws := e.createWorkspace(t, "rg-"+tc.name, "gw-"+tc.name, "Enabled")
				_, jwt := e.mintToken(t, contributor, ws, "upstream")
				_, resp, err := e.dial(t, "/playwrightworkspaces/"+ws+"/browsers?os=Linux", jwt)
				if err == nil || resp == nil {
					t.Fatalf("the session opened: %v", err)
				}
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.body) {
					t.Errorf("got %d %s, want %d %s", resp.StatusCode, body, tc.status, tc.body)
				}
				if tc.status == http.StatusBadGateway {
					if v := metricValue(t, e, "tokend_playwright_browser_sessions_refused_total", "reason", "upstream"); v != 1 {
						t.Errorf("refused as upstream: %v", v)
					}
				}
				if v := metricValue(t, e, "tokend_playwright_browser_sessions_active"); v != 0 {
					t.Errorf("active %v", v)
				}
			})
		})
	}
}

// TestManagedBrowserServerSessions: with a managed browser server the
// sessions go wherever it says it listens, and get 503
// BrowserServerRestarting while none does. The "CLI" is a script that
// announces the echo server as run-server announces itself.
func TestManagedBrowserServerSessions(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		echo := newEchoServer(t)
		cli := filepath.Join(t.TempDir(), "playwright")
		script := "#!/bin/sh\necho \"Listening on " + echo.wsURL() + "\"\nexec sleep 120\n"
		if err := os.WriteFile(cli, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		bs, err := playwright.StartBrowserServer(context.Background(), playwright.BrowserServerConfig{CLI: cli, StopTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = bs.Close() })
		e := newEnv(t, store, playwright.GatewayConfig{Server: bs})
		ws := e.createWorkspace(t, "rg", "gw-managed", "Enabled")
		_, jwt := e.mintToken(t, contributor, ws, "managed")
		path := "/playwrightworkspaces/" + ws + "/browsers?os=Linux"
		c, resp, err := e.dial(t, path, jwt)
		if err != nil {
			t.Fatalf("dial: %v (%v)", err, resp)
		}
		roundTrip(t, c, "through the managed server")
		c.Close(websocket.StatusNormalClosure, "")

		if err := bs.Close(); err != nil {
			t.Fatal(err)
		}
		_, resp, err = e.dial(t, path, jwt)
		refusedWith(t, resp, err, http.StatusServiceUnavailable, "BrowserServerRestarting")
		if v := metricValue(t, e, "tokend_playwright_browser_sessions_refused_total", "reason", "restarting"); v != 1 {
			t.Errorf("refused as restarting: %v", v)
		}
	})
}
