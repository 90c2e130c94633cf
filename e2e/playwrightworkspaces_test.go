package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/internal/pwwsclient"
)

// TestPlaywrightWorkspaces: a workspace created with a generated-style ARM
// client as the bootstrap client, an access token made with the CLI
// (`tokend playwright tokens create --workspace`), that token passing the
// @azure/playwright package's own check and opening the workspace's data
// plane, Entra tokens for the Playwright and the management audiences
// accepted there too, and the token refused once deleted with the CLI.
func TestPlaywrightWorkspaces(t *testing.T) {
	t.Parallel()
	tk := Start(t)
	ctx := context.Background()
	wc, err := pwwsclient.NewWorkspacesClient(tk.Boot.SubscriptionID, "", tk.Credential(t), tk.ARMOptions())
	if err != nil {
		t.Fatal(err)
	}
	poller, err := wc.BeginCreateOrUpdate(ctx, "pw-e2e", "e2e-workspace", pwwsclient.Workspace{
		Location:   ptrTo("eastus"),
		Properties: &pwwsclient.WorkspaceProperties{LocalAuth: ptrTo(pwwsclient.EnablementStatusEnabled)},
	})
	if err != nil {
		t.Fatalf("create workspace: %v", err)
	}
	ws, err := poller.PollUntilDone(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := *ws.Properties.WorkspaceID
	if *ws.Properties.DataplaneURI != tk.URL {
		t.Errorf("dataplaneUri %q, want %q", *ws.Properties.DataplaneURI, tk.URL)
	}

	cli := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(binary, append(append([]string{"playwright", "tokens"}, args...), "--data", tk.DataDir, "-o", "json")...).CombinedOutput()
		if err != nil {
			t.Fatalf("tokend playwright tokens %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	var created struct{ ID, Name, JWTToken string }
	if err := json.Unmarshal([]byte(cli("create", "--workspace", id, "--name", "e2e-token", "--lifetime", "240h")), &created); err != nil {
		t.Fatal(err)
	}
	serviceURL := "wss://" + strings.TrimPrefix(tk.URL, "https://") + "/playwrightworkspaces/" + id + "/browsers"
	if err := azuretest.PlaywrightPATCheck(serviceURL, created.JWTToken, "pwid", time.Now()); err != nil {
		t.Errorf("@azure/playwright's check refuses the CLI's token: %v", err)
	}
	meta := "/playwrightworkspaces/" + id + "?api-version=2025-09-01"
	for name, token := range map[string]string{
		"access token":     created.JWTToken,
		"playwright Entra": tk.Token(t, "https://playwright.microsoft.com/.default"),
		"management Entra": tk.ARMToken(t),
	} {
		if resp, body := tk.Do(t, http.MethodGet, meta, nil, token); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d %s", name, resp.StatusCode, body)
		}
	}
	var listed []struct{ ID string }
	if err := json.Unmarshal([]byte(cli("list", "--workspace", id)), &listed); err != nil || len(listed) != 1 || listed[0].ID != created.ID {
		t.Errorf("list: %v %+v", err, listed)
	}
	cli("delete", created.ID, "--workspace", id)
	if resp, body := tk.Do(t, http.MethodGet, meta, nil, created.JWTToken); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("deleted token: %d %s", resp.StatusCode, body)
	}
}
