package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/tokend-dev/tokend/internal/pwwsclient"
)

// The browsers end-to-end test: a real Playwright client (playwright-core
// from npm, in e2e/browsers) opens Debian's Chromium through tokend's
// gateway with an access token, and loads a page from a local server;
// then the refusals. It needs node, e2e/browsers/node_modules (npm ci
// there) and /usr/bin/chromium (TOKEND_CHROMIUM); it skips without them
// unless TOKEND_REQUIRE_BROWSERS=1, as CI sets after installing them.

func browsersPrereqs(t testing.TB) (nodeDir, chromium string) {
	t.Helper()
	skip := t.Skipf
	if os.Getenv("TOKEND_REQUIRE_BROWSERS") == "1" {
		skip = t.Fatalf
	}
	chromium = os.Getenv("TOKEND_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	nodeDir, _ = filepath.Abs("browsers")
	if _, err := exec.LookPath("node"); err != nil {
		skip("no node: %v", err)
	}
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "playwright-core")); err != nil {
		skip("no playwright-core (npm ci in e2e/browsers): %v", err)
	}
	if _, err := os.Stat(chromium); err != nil {
		skip("no chromium: %v", err)
	}
	return nodeDir, chromium
}

// startBrowserServer runs `playwright run-server` (playwright-core's CLI)
// on a free port and returns its ws:// URL.
func startBrowserServer(t testing.TB, nodeDir string) string {
	t.Helper()
	cmd := exec.Command("node", filepath.Join(nodeDir, "node_modules", "playwright-core", "cli.js"),
		"run-server", "--host", "127.0.0.1", "--port", "0", "--unsafe")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	listening := regexp.MustCompile(`Listening on (ws://\S+)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case u := <-found:
		return u
	case <-time.After(30 * time.Second):
		t.Fatal("the browser server did not start within 30s")
	}
	return ""
}

// pwSession runs connect.js and returns its events.
type pwSession struct {
	cmd    *exec.Cmd
	events chan map[string]any
}

func connectBrowser(t *testing.T, nodeDir, chromium, caFile, endpoint, token, page string, hold bool) *pwSession {
	t.Helper()
	args := []string{filepath.Join(nodeDir, "connect.js"), endpoint, token, page}
	if hold {
		args = append(args, "hold")
	}
	cmd := exec.Command("node", args...)
	cmd.Dir = nodeDir
	cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+caFile, "CHROMIUM="+chromium)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	s := &pwSession{cmd: cmd, events: make(chan map[string]any, 8)}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var ev map[string]any
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				s.events <- ev
			}
		}
	}()
	return s
}

func (s *pwSession) next(t *testing.T) map[string]any {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			t.Fatal("the Playwright client exited without a word")
		}
		return ev
	case <-time.After(60 * time.Second):
		t.Fatal("the Playwright client said nothing for 60s")
	}
	return nil
}

// pageServer is the local page the browsers load.
func pageServer(t *testing.T) *httptest.Server {
	pages := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<!doctype html><title>tokend e2e page</title><p>served locally</p>")
	}))
	t.Cleanup(pages.Close)
	return pages
}

// createBrowsersWorkspace creates a workspace through the ARM client and
// returns its workspace id.
func createBrowsersWorkspace(t *testing.T, tk *Tokend, name string, localAuth pwwsclient.EnablementStatus) string {
	t.Helper()
	ctx := context.Background()
	wc, err := pwwsclient.NewWorkspacesClient(tk.Boot.SubscriptionID, "", tk.Credential(t), tk.ARMOptions())
	if err != nil {
		t.Fatal(err)
	}
	p, err := wc.BeginCreateOrUpdate(ctx, "browsers-e2e", name, pwwsclient.Workspace{Location: ptrTo("eastus"),
		Properties: &pwwsclient.WorkspaceProperties{LocalAuth: ptrTo(localAuth)}})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := p.PollUntilDone(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	return *ws.Properties.WorkspaceID
}

// mintWorkspaceToken creates an access token with the CLI.
func mintWorkspaceToken(t testing.TB, tk *Tokend, workspace, name string) (id, jwt string) {
	t.Helper()
	out, err := exec.Command(binary, "playwright", "tokens", "create", "--workspace", workspace, "--name", name,
		"--data", tk.DataDir, "-o", "json").CombinedOutput()
	if err != nil {
		t.Fatalf("tokens create: %v\n%s", err, out)
	}
	var tok struct{ ID, JWTToken string }
	if err := json.Unmarshal(out, &tok); err != nil {
		t.Fatal(err)
	}
	return tok.ID, tok.JWTToken
}

// browsersEndpoint is a workspace's browsers endpoint as the packages
// build it.
func browsersEndpoint(tk *Tokend, workspace string) string {
	return fmt.Sprintf("wss://%s/playwrightworkspaces/%s/browsers?os=Linux&runId=%s&api-version=2025-09-01",
		strings.TrimPrefix(tk.URL, "https://"), workspace, "6f1c0d52-6a3b-4d7e-9a36-3f7a0e6d1c11")
}

func TestBrowsersThroughTokend(t *testing.T) {
	nodeDir, chromium := browsersPrereqs(t)
	t.Parallel()
	upstream := startBrowserServer(t, nodeDir)
	tk := Start(t, "--playwright-browser-server", upstream)
	ctx := context.Background()

	pages := pageServer(t)

	create := func(name string, localAuth pwwsclient.EnablementStatus) string {
		return createBrowsersWorkspace(t, tk, name, localAuth)
	}
	ws, other, locked := create("browsers", "Enabled"), create("browsers-other", "Enabled"), create("browsers-locked", "Disabled")
	mint := func(workspace, name string) (id, jwt string) { return mintWorkspaceToken(t, tk, workspace, name) }
	host := strings.TrimPrefix(tk.URL, "https://")
	endpoint := func(workspace string) string { return browsersEndpoint(tk, workspace) }
	ca := filepath.Join(tk.DataDir, "ca.pem")
	tokenID, jwt := mint(ws, "e2e-browsers")

	t.Run("a page through tokend", func(t *testing.T) {
		s := connectBrowser(t, nodeDir, chromium, ca, endpoint(ws), jwt, pages.URL, false)
		if ev := s.next(t); ev["title"] != "tokend e2e page" {
			t.Fatalf("got %v", ev)
		}
	})

	_, lockedJWT := mint(locked, "e2e-locked")
	readerID, readerSecret := tk.CreateClient(t, "browsers-reader", "Reader")
	readerTok, err := tk.CredentialFor(t, readerID, readerSecret).GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://playwright.microsoft.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, endpoint, token string
		want                  []string
	}{
		{"no token", endpoint(ws), "", []string{"401"}},
		{"another workspace's token", endpoint(other), jwt, []string{"403", "InvalidAccessToken"}},
		{"a Reader's token", endpoint(ws), readerTok.Token, []string{"403"}},
		{"local auth disabled", endpoint(locked), lockedJWT, []string{"403", "AccessKeyBasedAuthNotSupported"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := connectBrowser(t, nodeDir, chromium, ca, tc.endpoint, tc.token, pages.URL, false).next(t)
			msg, _ := ev["error"].(string)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("refusal %q lacks %q (%v)", msg, w, ev)
				}
			}
		})
	}

	// The Playwright service packages as shipped, running a test suite.
	runSuite := func(t *testing.T, config, serviceURL, token string) {
		t.Helper()
		cmd := exec.Command("node", filepath.Join(nodeDir, "node_modules", "@playwright", "test", "cli.js"), "test",
			"--config", filepath.Join(nodeDir, "suite", config))
		cmd.Dir = filepath.Join(nodeDir, "suite")
		cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+ca, "CHROMIUM="+chromium, "PAGE_URL="+pages.URL,
			"PLAYWRIGHT_SERVICE_URL="+serviceURL, "PLAYWRIGHT_SERVICE_ACCESS_TOKEN="+token, "CI=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "1 passed") {
			t.Fatalf("the suite failed: %v\n%s", err, out)
		}
	}
	t.Run("@azure/playwright as shipped", func(t *testing.T) {
		_, suiteJWT := mint(ws, "e2e-suite")
		runSuite(t, "workspaces.config.js", fmt.Sprintf("wss://%s/playwrightworkspaces/%s/browsers", host, ws), suiteJWT)
	})
	t.Run("@azure/microsoft-playwright-testing as shipped", func(t *testing.T) {
		resp, body := tk.Do(t, http.MethodPut, "/subscriptions/"+tk.Boot.SubscriptionID+"/resourceGroups/browsers-e2e/providers/Microsoft.AzurePlaywrightService/accounts/browsersAccount?api-version=2024-12-01",
			map[string]any{"location": "eastus"}, tk.ARMToken(t))
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create account: %d %s", resp.StatusCode, body)
		}
		var acct struct{ Properties struct{ DashboardURI string } }
		_ = json.Unmarshal(body, &acct)
		id := acct.Properties.DashboardURI[strings.LastIndexByte(acct.Properties.DashboardURI, '/')+1:]
		out, err := exec.Command(binary, "playwright", "tokens", "create", "--account", id, "--name", "e2esuite",
			"--data", tk.DataDir, "-o", "json").CombinedOutput()
		if err != nil {
			t.Fatalf("tokens create: %v\n%s", err, out)
		}
		var tok struct{ JWTToken string }
		_ = json.Unmarshal(out, &tok)
		runSuite(t, "accounts.config.js", fmt.Sprintf("wss://%s/accounts/%s/browsers", host, id), tok.JWTToken)
	})

	t.Run("token deleted mid-session", func(t *testing.T) {
		s := connectBrowser(t, nodeDir, chromium, ca, endpoint(ws), jwt, pages.URL, true)
		if ev := s.next(t); ev["title"] != "tokend e2e page" {
			t.Fatalf("got %v", ev)
		}
		if ev := s.next(t); ev["ready"] != true {
			t.Fatalf("got %v", ev)
		}
		if out, err := exec.Command(binary, "playwright", "tokens", "delete", tokenID, "--workspace", ws, "--data", tk.DataDir).CombinedOutput(); err != nil {
			t.Fatalf("tokens delete: %v\n%s", err, out)
		}
		if ev := s.next(t); ev["disconnected"] != true {
			t.Errorf("the session outlived its token: %v", ev)
		}
	})
}
