package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The audit log end to end: tokend started with --audit-log (and
// --audit-db); a client signs in with the Azure SDK, reads a container
// app's secrets and gets its auth token, another sign-in fails, the CLI
// creates a client. Every act is a line of one chain that `tokend audit
// verify` accepts with no other input; no secret or token is in it; and an
// edited line makes verify fail and name the line.
func TestAuditLog(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	tk := Start(t, "--audit-log", path, "--audit-db")
	arm := tk.ARMToken(t)

	rg := "/subscriptions/" + tk.Boot.SubscriptionID + "/resourceGroups/audited"
	call := func(method, p string, body any, want int) []byte {
		t.Helper()
		resp, b := tk.Do(t, method, p, body, arm)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s", method, p, resp.StatusCode, b)
		}
		return b
	}
	call("PUT", rg+"?api-version=2021-04-01", `{"location":"eastus"}`, http.StatusCreated)
	appSecret := "audited-app-secret-51c7"
	app := rg + "/providers/Microsoft.App/containerApps/auditapp"
	call("PUT", app+"?api-version=2025-01-01", `{"location":"eastus","properties":{"configuration":{"secrets":[{"name":"s1","value":"`+appSecret+`"}]},"template":{"containers":[{"name":"main","image":"nginx"}]}}}`, http.StatusCreated)
	call("POST", app+"/listSecrets?api-version=2025-01-01", nil, http.StatusOK)
	var authTok struct {
		Properties struct{ Token string } `json:"properties"`
	}
	if err := json.Unmarshal(call("POST", app+"/getAuthtoken?api-version=2025-01-01", nil, http.StatusOK), &authTok); err != nil || authTok.Properties.Token == "" {
		t.Fatalf("getAuthtoken: %v", err)
	}
	wrong := tk.Boot.ClientSecret + "x"
	if resp, b := tk.PostToken(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {tk.Boot.ClientID},
		"client_secret": {wrong}, "scope": {"https://management.azure.com/.default"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d %s", resp.StatusCode, b)
	}
	created := tk.CreateClientWith(t, "audited-cli")

	// The chain holds what happened, in order, and verifies.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, l := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
		var ev struct{ Action, Result, RequestID string }
		if err := json.Unmarshal(l, &ev); err != nil {
			t.Fatalf("line %s: %v", l, err)
		}
		actions = append(actions, ev.Action+":"+ev.Result)
	}
	for _, want := range []string{
		"token.issue:success",
		"Microsoft.Resources/subscriptions/resourceGroups/write:success",
		"Microsoft.App/containerApps/write:success",
		"Microsoft.App/containerApps/listSecrets/action:success",
		"Microsoft.App/containerApps/getAuthToken/action:success",
		"authn.failure:failure",
	} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("no %s event in %v", want, actions)
		}
	}
	for what, s := range map[string]string{
		"client secret": tk.Boot.ClientSecret, "ARM token": arm, "container app secret": appSecret,
		"container app token": authTok.Properties.Token, "CLI client's secret": created.ClientSecret,
	} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the %s is in the audit log in clear", what)
		}
	}
	if out, errOut, err := tk.runCLI("audit", "verify", path); err != nil || !bytes.HasPrefix(out, []byte("OK:")) {
		t.Fatalf("verify of the intact log: %v\n%s%s", err, out, errOut)
	}

	// Every node's events and the CLI's are in the database too.
	var events []struct{ Node, Action, Principal string }
	tk.cliJSON(t, &events, "audit", "list", "--limit", "1000")
	var cli, server int
	for _, ev := range events {
		switch {
		case ev.Node == "cli" && ev.Action == "client.create" && strings.HasPrefix(ev.Principal, "cli:"):
			cli++
		case ev.Node != "cli":
			server++
		}
	}
	if cli != 1 || server != len(actions) {
		t.Fatalf("audit list: %d CLI events (want 1), %d server events (want %d)", cli, server, len(actions))
	}

	// Edit one line: verify fails, naming the line after it.
	lines := bytes.SplitAfter(raw, []byte("\n"))
	lines[1] = bytes.Replace(lines[1], []byte(`"result":"success"`), []byte(`"result":"failure"`), 1)
	if err := os.WriteFile(path, bytes.Join(lines, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := tk.runCLI("audit", "verify", path, "--output", "json")
	if err == nil {
		t.Fatalf("verify accepted an edited log:\n%s", out)
	}
	var res struct {
		Break *struct {
			Line int
		}
	}
	if jerr := json.Unmarshal(out, &res); jerr != nil || res.Break == nil || res.Break.Line != 3 {
		t.Fatalf("verify of the edited log: %v\n%s", jerr, out)
	}
}
