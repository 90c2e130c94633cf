package playwrightworkspaces_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	azarm "github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/prometheus/client_golang/prometheus"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/internal/azurespec"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/internal/pwwsclient"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/playwright"
	"github.com/tokend-dev/tokend/playwrightworkspaces"
)

const (
	testSub    = "00000000-0000-0000-0000-0000000000aa"
	testTenant = "00000000-0000-0000-0000-0000000000bb"
	// Principals; their roles are the env's (roles), changeable mid-test.
	owner       = "22222222-0000-0000-0000-000000000001"
	contributor = "22222222-0000-0000-0000-000000000002"
	reader      = "22222222-0000-0000-0000-000000000003"
)

// roles is the test's RBAC: each principal's one role at the root, as
// Azure's Owner ("*"), Contributor ("*" but Authorization writes) and
// Reader ("*/read") grant control-plane actions.
type roles struct {
	mu sync.Mutex
	of map[string]string
}

func (r *roles) set(oid, role string) {
	r.mu.Lock()
	r.of[oid] = role
	r.mu.Unlock()
}

func (r *roles) authorizer() *testkit.Authorizer {
	return &testkit.Authorizer{Rule: func(p *tokend.Principal, action, _ string, data bool) bool {
		r.mu.Lock()
		role := r.of[p.ObjectID]
		r.mu.Unlock()
		if data {
			// Only the accounts' surfaces check data actions: here each
			// role stands for its Playwright Testing namesake.
			return role == "Owner" || role == "Contributor" || role == "Reader" && strings.HasSuffix(strings.ToLower(action), "/read")
		}
		switch role {
		case "Owner":
			return true
		case "Contributor":
			return !strings.HasPrefix(strings.ToLower(action), "microsoft.authorization/")
		case "Reader":
			return strings.HasSuffix(strings.ToLower(action), "/read")
		}
		return false
	}}
}

type env struct {
	t        testing.TB
	store    tokend.Store
	srv      *httptest.Server
	handler  http.Handler
	clock    *testkit.Clock
	roles    *roles
	browsers *playwright.Gateway
	metrics  *prometheus.Registry
}

// newEnv serves both Playwright providers on store; gateway, when given,
// configures their browsers gateway.
func newEnv(t testing.TB, store tokend.Store, gateway ...playwright.GatewayConfig) *env {
	t.Helper()
	testkit.Subscription(t, store, testSub, testTenant)
	clk := testkit.NewClock(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
	issuer := testkit.NewIssuer(testTenant, clk)
	issuer.Audiences[playwright.SurfaceAudience] = playwright.Audience
	reg := prometheus.NewRegistry()
	var browsers *playwright.Gateway
	if len(gateway) > 0 {
		gc := gateway[0]
		gc.Registerer = reg
		var err error
		if browsers, err = playwright.NewGateway(gc); err != nil {
			t.Fatal(err)
		}
	}
	svc, err := playwrightworkspaces.New(playwrightworkspaces.Config{Store: store, Signer: issuer, Now: clk.Now, Browsers: browsers})
	if err != nil {
		t.Fatal(err)
	}
	old, err := playwright.New(playwright.Config{Store: store, Signer: issuer, Now: clk.Now, Browsers: browsers})
	if err != nil {
		t.Fatal(err)
	}
	providers := []*pipeline.Provider{svc.Describe(), old.Describe()}
	for _, p := range providers {
		for _, v := range p.TokenValidators {
			issuer.AddValidator(v)
		}
	}
	rs := &roles{of: map[string]string{owner: "Owner", contributor: "Contributor", reader: "Reader"}}
	h := testkit.Stack{
		Store: store, Providers: providers,
		Options: pipeline.Options{Authenticator: issuer, Authorizer: rs.authorizer()},
		ARM:     arm.Config{Now: clk.Now},
	}.Handler(t)
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, store: store, srv: srv, handler: h, clock: clk, roles: rs, browsers: browsers, metrics: reg}
}

type staticCredential string

func (c staticCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(c), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// noRedirects is the server's client without following redirects: the
// browsers operation's 302 is the answer, not a hop.
func (e *env) noRedirects() *http.Client {
	c := *e.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

func (e *env) validating() *azuretest.CheckingTransport {
	return &azuretest.CheckingTransport{Inner: e.noRedirects(), Check: func(req *http.Request, resp *http.Response, body []byte) {
		validateResponse(e.t, req, resp, body)
	}}
}

func (e *env) cloud() cloud.Configuration {
	return cloud.Configuration{Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
		cloud.ResourceManager: {Audience: "https://management.core.windows.net/", Endpoint: e.srv.URL},
	}}
}

// workspaces is the ARM client calling as principal oid at apiVersion.
func (e *env) workspaces(oid, apiVersion string) *pwwsclient.WorkspacesClient {
	c, err := pwwsclient.NewWorkspacesClient(testSub, apiVersion, staticCredential("good-"+oid), &azarm.ClientOptions{
		ClientOptions: azcore.ClientOptions{Cloud: e.cloud(), Transport: e.validating(), Retry: policy.RetryOptions{MaxRetries: -1}},
		// The registration policy would register Microsoft.LoadTestService
		// on a 409 MissingSubscriptionRegistration; tokend answers none.
		DisableRPRegistration: true,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// dataPlane is the data-plane client calling with token.
func (e *env) dataPlane(token string) *pwwsclient.Client {
	c, err := pwwsclient.NewClient(e.srv.URL, staticCredential(token), &pwwsclient.ClientOptions{
		ClientOptions: azcore.ClientOptions{Transport: e.validating(), Retry: policy.RetryOptions{MaxRetries: -1}},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// do sends a raw request (token "" sends none) and validates the answer.
func (e *env) do(t testing.TB, method, path string, body any, token string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	return azuretest.Send(t, e.validating(), azuretest.NewRequest(t, method, e.srv.URL+path, body, token, headers...))
}

func workspacePath(group, name string) string {
	return "/subscriptions/" + testSub + "/resourceGroups/" + group + "/providers/Microsoft.LoadTestService/playwrightWorkspaces/" + name
}

// createWorkspace creates a workspace as owner and returns its id.
func (e *env) createWorkspace(t testing.TB, group, name, localAuth string) string {
	t.Helper()
	resp, body := e.do(t, http.MethodPut, workspacePath(group, name)+"?api-version=2025-10-01",
		map[string]any{"location": "westus3", "properties": map[string]any{"localAuth": localAuth}}, "good-"+owner)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create workspace: %d %s", resp.StatusCode, body)
	}
	var ws struct {
		Properties struct {
			WorkspaceID string `json:"workspaceId"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(body, &ws); err != nil {
		t.Fatal(err)
	}
	return ws.Properties.WorkspaceID
}

// errorCode reads an error envelope's code and checks x-ms-error-code.
func errorCode(t testing.TB, resp *http.Response, body []byte) (code, target string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Target string } `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("status %d: not an error envelope: %s", resp.StatusCode, body)
	}
	if h := resp.Header.Get("x-ms-error-code"); h != e.Error.Code {
		t.Errorf("x-ms-error-code = %q, body code %q", h, e.Error.Code)
	}
	return e.Error.Code, e.Error.Target
}

// validateResponse checks a body against the official definition its
// request's operation answers with.
func validateResponse(t testing.TB, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	path := strings.ToLower(req.URL.Path)
	dataPlane := strings.HasPrefix(path, "/"+playwrightworkspaces.MountPath+"/")
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && resp.ContentLength != int64(len(body)) {
		t.Errorf("%s %s: %d bytes of JSON with Content-Length %d", req.Method, req.URL.Path, len(body), resp.ContentLength)
	}
	switch resp.StatusCode {
	case http.StatusNoContent, http.StatusAccepted, http.StatusFound:
		if len(bytes.TrimSpace(body)) != 0 {
			t.Errorf("%s %s: %d with a body: %s", req.Method, req.URL.Path, resp.StatusCode, body)
		}
		return
	}
	armSpec := azurespec.PlaywrightWorkspacesARM
	if req.URL.Query().Get("api-version") == "2025-09-01" {
		armSpec = azurespec.PlaywrightWorkspacesARM20250901
	}
	if resp.StatusCode >= 400 {
		if dataPlane {
			azurespec.Validate(t, azurespec.PlaywrightWorkspaces, "Azure.Core.Foundations.ErrorResponse", body)
		} else {
			azurespec.Validate(t, "common-types/resource-management/v6/types.json", "ErrorResponse", body)
		}
		if resp.Header.Get("x-ms-error-code") == "" {
			t.Errorf("%s %s: %d without x-ms-error-code", req.Method, req.URL.Path, resp.StatusCode)
		}
		return
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	last := segs[len(segs)-1]
	switch {
	case dataPlane && len(segs) == 2:
		// Workspace metadata: not in the published spec (metadata_test.go
		// checks it against the npm package's type).
	case dataPlane && last == "access-tokens":
		azurespec.Validate(t, azurespec.PlaywrightWorkspaces, "PagedAccessToken", body)
	case dataPlane && last == "test-runs":
		azurespec.Validate(t, azurespec.PlaywrightWorkspaces, "PagedTestRun", body)
	case dataPlane && len(segs) == 4 && segs[2] == "test-runs":
		azurespec.Validate(t, azurespec.PlaywrightWorkspaces, "TestRun", body)
	case dataPlane:
		azurespec.Validate(t, azurespec.PlaywrightWorkspaces, "AccessToken", body)
	case !strings.Contains(path, "/providers/microsoft.loadtestservice"):
		// Microsoft.Resources: the router's.
	case last == "checknameavailability":
		azurespec.Validate(t, "common-types/resource-management/v6/types.json", "CheckNameAvailabilityResponse", body)
	case last == "playwrightquotas":
		azurespec.Validate(t, armSpec, "PlaywrightQuotaListResult", body)
	case len(segs) > 1 && segs[len(segs)-2] == "playwrightquotas":
		azurespec.Validate(t, armSpec, "PlaywrightQuota", body)
	case last == "quotas":
		azurespec.Validate(t, armSpec, "PlaywrightWorkspaceQuotaListResult", body)
	case len(segs) > 1 && segs[len(segs)-2] == "quotas":
		azurespec.Validate(t, armSpec, "PlaywrightWorkspaceQuota", body)
	case last == "operations":
		azurespec.Validate(t, "common-types/resource-management/v6/types.json", "OperationListResult", body)
	case last == "playwrightworkspaces":
		azurespec.Validate(t, armSpec, "PlaywrightWorkspaceListResult", body)
	default:
		azurespec.Validate(t, armSpec, "PlaywrightWorkspace", body)
	}
}

// claims decodes a JWT's payload without checking its signature, as the
// npm packages do.
func claims(t testing.TB, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }
