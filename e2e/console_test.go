package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	apimv3 "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/apimanagement/armapimanagement/v3"
	cav3 "github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/appcontainers/armappcontainers/v3"
)

// The web console in a real browser: console.js (playwright-core, in
// e2e/browsers) drives Debian's Chromium through the journeys a person
// takes — sign in, create a Playwright access token and see it once,
// revoke it and see the data plane refuse it, assign a role and see a
// page open up, a Reader refused, a forged form and an expired session
// refused — runs axe-core on every page and saves a screenshot of each
// (into TOKEND_ARTIFACTS, else the test's temp directory). It needs what
// TestBrowsersThroughTokend needs and skips likewise.
func TestConsoleInABrowser(t *testing.T) {
	nodeDir, chromium := browsersPrereqs(t)
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "axe-core")); err != nil {
		t.Skipf("no axe-core (npm ci in e2e/browsers): %v", err)
	}
	t.Parallel()
	tk := Start(t, "--audit-db")
	// A second tokend whose console sessions last seconds: the expiry.
	short := Start(t, "--console-session-lifetime", "4s")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sub := tk.Boot.SubscriptionID
	scope := "/subscriptions/" + sub

	owner := tk.CreateUser(t, "olga@contoso.example", "--role", "Owner", "--scope", scope)
	tk.CLI(t, "roles", "assign", "--principal", owner.UserPrincipalName, "--role", "Tokend Administrator", "--scope", "/")
	reader := tk.CreateUser(t, "rita@contoso.example", "--role", "Reader", "--scope", scope)
	newcomer := tk.CreateUser(t, "nina@contoso.example")
	shortUser := short.CreateUser(t, "sam@contoso.example", "--role", "Reader", "--scope", "/subscriptions/"+short.Boot.SubscriptionID)

	resp, body := tk.Do(t, http.MethodPut, scope+"/resourceGroups/console/providers/Microsoft.LoadTestService/playwrightWorkspaces/web?api-version=2025-09-01",
		`{"location":"eastus","properties":{"localAuth":"Enabled"}}`, tk.ARMToken(t))
	var ws struct{ Properties struct{ WorkspaceID string } }
	if err := json.Unmarshal(body, &ws); err != nil || resp.StatusCode/100 != 2 || ws.Properties.WorkspaceID == "" {
		t.Fatalf("workspace: %d %s", resp.StatusCode, body)
	}
	apps, err := cav3.NewContainerAppsClient(sub, tk.Credential(t), tk.ARMOptions())
	if err != nil {
		t.Fatal(err)
	}
	poll := &runtime.PollUntilDoneOptions{Frequency: 10 * time.Millisecond}
	if p, err := apps.BeginCreateOrUpdate(ctx, "console", "orders", caApp(sub, "console"), nil); err != nil {
		t.Fatal(err)
	} else if _, err := p.PollUntilDone(ctx, poll); err != nil {
		t.Fatal(err)
	}
	seedAPIM(ctx, t, tk)

	artifacts := os.Getenv("TOKEND_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	artifacts = filepath.Join(artifacts, "console")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]any{
		"url": tk.URL, "shortURL": short.URL, "tenant": tk.Boot.TenantID, "subscription": sub,
		"workspaceId": ws.Properties.WorkspaceID, "artifacts": artifacts, "chromium": chromium,
		"spki":     []string{spkiOf(t, tk.URL), spkiOf(t, short.URL)},
		"owner":    map[string]string{"upn": owner.UserPrincipalName, "password": owner.Password, "oid": owner.ObjectID},
		"reader":   map[string]string{"upn": reader.UserPrincipalName, "password": reader.Password, "oid": reader.ObjectID},
		"newcomer": map[string]string{"upn": newcomer.UserPrincipalName, "password": newcomer.Password, "oid": newcomer.ObjectID},
		"short":    map[string]string{"upn": shortUser.UserPrincipalName, "password": shortUser.Password},
	}
	js, _ := json.Marshal(cfg)
	// The journey took 80–120 s, and once more than three minutes, on two
	// cores under a load of 20 or more: it gets a bound of its own.
	journey, stop := context.WithTimeout(context.Background(), 6*time.Minute)
	defer stop()
	cmd := exec.CommandContext(journey, "node", filepath.Join(nodeDir, "console.js"))
	cmd.Dir = nodeDir
	cmd.Env = append(os.Environ(), "CONSOLE_E2E="+string(js), "NODE_EXTRA_CA_CERTS="+filepath.Join(tk.DataDir, "ca.pem"))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// console.js prints one JSON line per step: {"step":…,"ok":bool,…}.
	steps := map[string]bool{}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev struct {
			Step   string `json:"step"`
			OK     bool   `json:"ok"`
			Detail any    `json:"detail"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			t.Log(sc.Text())
			continue
		}
		steps[ev.Step] = ev.OK
		if !ev.OK {
			t.Errorf("%s: %v", ev.Step, ev.Detail)
		} else {
			t.Logf("%s: ok", ev.Step)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("console.js: %v", err)
	}
	for _, want := range []string{"sign in", "overview", "token shown once", "token not shown again", "data plane accepts",
		"revoked token refused", "page opens after assignment", "reader refused", "forged form refused", "expired session refused",
		"axe overview", "axe roles", "axe playwright", "axe tokens", "axe containerapps", "axe jwt", "axe apim", "container app token verified", "apim secrets revealed",
		"client secret shown once", "client secret not shown again", "axe apps", "axe app", "axe users", "managed identity environment",
		"axe identities", "axe keys", "key revocation asks first", "axe audit", "audit chain intact", "metrics charts", "axe metrics", "csp"} {
		if _, ok := steps[want]; !ok {
			t.Errorf("step %q did not run", want)
		}
	}
	shots, _ := filepath.Glob(filepath.Join(artifacts, "*.png"))
	if len(shots) < 7 {
		t.Errorf("%d screenshots in %s", len(shots), artifacts)
	}
	t.Logf("screenshots: %s", artifacts)
}

// spkiOf is the pin of the server certificate's key, for Chromium's
// --ignore-certificate-errors-spki-list (it ignores the CA files Node and
// Go read; a pin trusts exactly this server).
func spkiOf(t *testing.T, url string) string {
	t.Helper()
	conn, err := tls.Dial("tcp", strings.TrimPrefix(url, "https://"), &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // only the key is read
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sum := sha256.Sum256(conn.ConnectionState().PeerCertificates[0].RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func seedAPIM(ctx context.Context, t *testing.T, tk *Tokend) {
	t.Helper()
	f, err := apimv3.NewClientFactory(tk.Boot.SubscriptionID, tk.Credential(t), tk.ARMOptions())
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.NewServiceClient().BeginCreateOrUpdate(ctx, "console", "gateway", apimv3.ServiceResource{
		Location:   apimPtr("westeurope"),
		SKU:        &apimv3.ServiceSKUProperties{Name: apimPtr(apimv3.SKUTypeDeveloper), Capacity: apimPtr[int32](1)},
		Properties: &apimv3.ServiceProperties{PublisherEmail: apimPtr("apim@contoso.com"), PublisherName: apimPtr("Contoso")},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: 10 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	_, err = f.NewAuthorizationServerClient().CreateOrUpdate(ctx, "console", "gateway", "orders-oauth", apimv3.AuthorizationServerContract{
		Properties: &apimv3.AuthorizationServerContractProperties{
			AuthorizationEndpoint:      apimPtr("https://login.example.com/oauth2/authorize"),
			AuthorizationMethods:       []*apimv3.AuthorizationMethod{apimPtr(apimv3.AuthorizationMethodGET)},
			ClientID:                   apimPtr("orders-client"),
			ClientRegistrationEndpoint: apimPtr("https://registration.example.com/register"),
			ClientSecret:               apimPtr("orders-secret-e2e"),
			DisplayName:                apimPtr("Orders OAuth"),
			GrantTypes:                 []*apimv3.GrantType{apimPtr(apimv3.GrantTypeAuthorizationCode)},
			TokenEndpoint:              apimPtr("https://login.example.com/oauth2/token"),
		}}, nil)
	if err != nil {
		t.Fatal(err)
	}
}
