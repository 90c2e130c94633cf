package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// BenchmarkPlaywrightBulk is the browsers gateway's bulk throughput with
// Playwright's own ends (docs/performance.md, issue 15): playwright-core
// from npm connected to `playwright run-server` (Debian's Chromium), once
// directly and once through tokend, a separate process as deployed, with
// an access token. Each round echoes 4 MiB on both paths through the
// browser server's request API (bulk.js), which carries the bytes over
// the WebSocket without Chromium in their way. "plain" serves tokend over
// HTTP (--http, behind a TLS-terminating proxy; the gateway splices),
// "tls" over its own TLS (the default; the client's bytes are decrypted
// and re-encrypted):
//
//	go test ./e2e -run '^$' -bench PlaywrightBulk -benchtime 100x
func BenchmarkPlaywrightBulk(b *testing.B) {
	nodeDir, chromium := browsersPrereqs(b)
	upstream := startBrowserServer(b, nodeDir)
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = io.Copy(w, r.Body)
	}))
	b.Cleanup(echo.Close)
	for _, mode := range []string{"plain", "tls"} {
		b.Run(mode, func(b *testing.B) {
			args := []string{"--playwright-browser-server", upstream}
			if mode == "plain" {
				args = append(args, "--http")
			}
			tk := Start(b, args...)
			ws := createWorkspaceOverHTTP(b, tk, "bulk-"+mode)
			_, jwt := mintWorkspaceToken(b, tk, ws, "bulk")
			endpoint := strings.Replace(tk.URL, "http", "ws", 1) + "/playwrightworkspaces/" + ws + "/browsers?os=Linux&api-version=2025-09-01"
			const size = 4 << 20
			cmd := exec.Command("node", filepath.Join(nodeDir, "bulk.js"), upstream, endpoint, jwt, fmt.Sprint(b.N), fmt.Sprint(size), echo.URL)
			cmd.Dir = nodeDir
			cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
			if mode == "tls" {
				cmd.Env = append(cmd.Env, "NODE_EXTRA_CA_CERTS="+filepath.Join(tk.DataDir, "ca.pem"))
			}
			cmd.Stderr = os.Stderr
			b.ResetTimer()
			out, err := cmd.Output()
			b.StopTimer()
			var res struct {
				DirectMS  float64   `json:"direct_ms"`
				GatewayMS float64   `json:"gateway_ms"`
				Ratios    []float64 `json:"ratios"`
				Error     string
			}
			if jerr := json.Unmarshal(out, &res); err != nil || jerr != nil || res.Error != "" || len(res.Ratios) != b.N {
				b.Fatalf("bulk.js: %v %v %s\n%s", err, jerr, out, tk.Output())
			}
			slices.Sort(res.Ratios)
			mbps := func(ms float64) float64 { return float64(b.N) * 2 * size / 1e6 / (ms / 1e3) }
			b.ReportMetric(mbps(res.DirectMS), "direct-MB/s")
			b.ReportMetric(mbps(res.GatewayMS), "gateway-MB/s")
			b.ReportMetric(100*res.DirectMS/res.GatewayMS, "ratio-%")
			b.ReportMetric(100*res.Ratios[len(res.Ratios)/2], "median-pair-ratio-%")
		})
	}
}

// createWorkspaceOverHTTP creates a workspace with local auth enabled by
// a plain ARM PUT (the SDK's bearer policy refuses http://, which the
// plain benchmark serves) and returns its workspace id.
func createWorkspaceOverHTTP(t testing.TB, tk *Tokend, name string) string {
	t.Helper()
	resp, body := tk.PostToken(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {tk.Boot.ClientID},
		"client_secret": {tk.Boot.ClientSecret}, "scope": {"https://management.core.windows.net//.default"}})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &tok) != nil {
		t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	resp, body = tk.Do(t, http.MethodPut, "/subscriptions/"+tk.Boot.SubscriptionID+"/resourceGroups/bench/providers/Microsoft.LoadTestService/playwrightWorkspaces/"+name+"?api-version=2025-09-01",
		map[string]any{"location": "eastus", "properties": map[string]any{"localAuth": "Enabled"}}, tok.AccessToken)
	var ws struct {
		Properties struct {
			WorkspaceID string `json:"workspaceId"`
		} `json:"properties"`
	}
	if resp.StatusCode/100 != 2 || json.Unmarshal(body, &ws) != nil || ws.Properties.WorkspaceID == "" {
		t.Fatalf("create workspace %s: %d %s", name, resp.StatusCode, body)
	}
	return ws.Properties.WorkspaceID
}
