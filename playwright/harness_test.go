package playwright_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/santhosh-tekuri/jsonschema/v6"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/internal/azurespec"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/internal/pwclient"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/playwright"
)

const (
	testSub    = "00000000-0000-0000-0000-0000000000aa"
	testTenant = "00000000-0000-0000-0000-0000000000bb"
	armVersion = "2024-12-01"
	// Principals of the test issuer (rbac): an owner of everything (control
	// and data plane), a reader of both, and an ARM owner without data roles.
	owner    = "11111111-0000-0000-0000-000000000001"
	reader   = "11111111-0000-0000-0000-000000000002"
	outsider = "11111111-0000-0000-0000-000000000003"
)

// rbac grants owner everything, reader the read actions, and outsider
// every control-plane action but no data action; testkit.Authorizer
// confines a resource-bound principal (an access token) to its resource
// first, as identity's authorizer does.
func rbac() *testkit.Authorizer {
	return &testkit.Authorizer{Rule: func(p *tokend.Principal, action, _ string, data bool) bool {
		read := strings.HasSuffix(strings.ToLower(action), "/read")
		switch p.ObjectID {
		case owner:
			return true
		case reader:
			return read
		case outsider:
			return !data
		}
		return false
	}}
}

// newIssuer is the test issuer on clk: "Bearer good-<oid>" for any
// surface, and its own JWTs, which the data plane takes only with
// Playwright's aud.
func newIssuer(clk *testkit.Clock) *testkit.Issuer {
	issuer := testkit.NewIssuer(testTenant, clk)
	issuer.Audiences[playwright.SurfaceAudience] = playwright.Audience
	return issuer
}

// env is a tokend with the Playwright provider on one store, composed and
// served over TLS as the app composes it (testkit.Stack), with the test
// issuer and rbac in place of identity.
type env struct {
	t     testing.TB
	store tokend.Store
	svc   *playwright.Service
	// handler is the served handler tree, for in-process requests.
	handler http.Handler
	srv     *httptest.Server
	clock   *testkit.Clock
}

type envOption func(*playwright.Config)

func newEnv(t testing.TB, store tokend.Store, opts ...envOption) *env {
	t.Helper()
	testkit.Subscription(t, store, testSub, testTenant)
	clk := testkit.NewClock(time.Date(2026, 11, 21, 12, 0, 0, 123456789, time.UTC))
	issuer := newIssuer(clk)
	cfg := playwright.Config{Store: store, Signer: issuer, Now: clk.Now}
	for _, o := range opts {
		o(&cfg)
	}
	svc, err := playwright.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := svc.Describe()
	// As the app registers them with the real issuer: a deleted access
	// token is refused on every authentication.
	for _, v := range p.TokenValidators {
		issuer.AddValidator(v)
	}
	h := testkit.Stack{
		Store: store, Providers: []*pipeline.Provider{p},
		Options: pipeline.Options{Authenticator: issuer, Authorizer: rbac()},
		ARM:     arm.Config{Now: clk.Now},
	}.Handler(t)
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, store: store, svc: svc, handler: h, srv: srv, clock: clk}
}

// staticCredential hands out one bearer token.
type staticCredential string

func (c staticCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(c), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// validating checks every response against the official spec before the
// client sees it.
func validating(t testing.TB, inner azuretest.Doer) *azuretest.CheckingTransport {
	return &azuretest.CheckingTransport{Inner: inner, Check: func(req *http.Request, resp *http.Response, body []byte) {
		validateResponse(t, req, resp, body)
	}}
}

// client is the generated-style data-plane client calling as token.
func (e *env) client(token string) *pwclient.Client {
	c, err := pwclient.NewClient(e.srv.URL+"/"+playwright.MountPath, staticCredential(token), &pwclient.ClientOptions{
		ClientOptions: azcore.ClientOptions{
			Transport: validating(e.t, e.srv.Client()),
			Retry:     policy.RetryOptions{MaxRetries: -1},
		},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// do sends a raw request and validates the response; token "" sends no
// Authorization header.
func (e *env) do(t testing.TB, method, path string, body any, token string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	u := path
	if !strings.HasPrefix(path, "https://") {
		u = e.srv.URL + path
	}
	return azuretest.Send(t, validating(t, e.srv.Client()), azuretest.NewRequest(t, method, u, body, token, headers...))
}

// errorCode reads an error envelope's code and checks x-ms-error-code.
func errorCode(t testing.TB, resp *http.Response, body []byte) (code, target, message string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Target, Message string } `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("status %d: not an error envelope: %s", resp.StatusCode, body)
	}
	if h := resp.Header.Get("x-ms-error-code"); h != e.Error.Code {
		t.Errorf("x-ms-error-code = %q, body code %q", h, e.Error.Code)
	}
	return e.Error.Code, e.Error.Target, e.Error.Message
}

const armCommonTypes = "common-types/resource-management/v5/types.json"

// validateResponse picks the spec definition a response must conform to
// from its request, and validates the body against it.
func validateResponse(t testing.TB, req *http.Request, resp *http.Response, body []byte) {
	t.Helper()
	path := strings.ToLower(req.URL.Path)
	dataPlane := strings.HasPrefix(path, "/"+playwright.MountPath+"/")
	// JSON answers go out in one piece with their length, as Azure's do,
	// not chunked (a list page is kilobytes).
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && resp.ContentLength != int64(len(body)) {
		t.Errorf("%s %s: %d bytes of JSON with Content-Length %d", req.Method, req.URL.Path, len(body), resp.ContentLength)
	}
	if resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusFound {
		if len(bytes.TrimSpace(body)) != 0 {
			t.Errorf("%s %s: %d with a body: %s", req.Method, req.URL.Path, resp.StatusCode, body)
		}
		return
	}
	if resp.StatusCode >= 400 {
		if dataPlane {
			azurespec.Validate(t, azurespec.Playwright, "Azure.Core.Foundations.ErrorResponse", body)
		} else {
			azurespec.Validate(t, armCommonTypes, "ErrorResponse", body)
		}
		if resp.Header.Get("x-ms-error-code") == "" {
			t.Errorf("%s %s: %d without x-ms-error-code", req.Method, req.URL.Path, resp.StatusCode)
		}
		return
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	last := segs[len(segs)-1]
	switch {
	case !dataPlane && !strings.Contains(path, "/providers/microsoft.azureplaywrightservice"):
		// Microsoft.Resources (resource groups): the router's, not ours.
	case dataPlane && !req.URL.Query().Has("api-version"):
		// The dashboard page behind dashboardUri: not part of any API.
	case dataPlane && len(segs) == 3:
		azurespec.Validate(t, azurespec.Playwright, "Microsoft.PlaywrightTesting.Shared.Account", body)
	case dataPlane && last == "access-tokens":
		if sel := req.URL.Query().Get("$select"); sel != "" {
			validateSelected(t, body, sel)
		} else {
			azurespec.Validate(t, azurespec.Playwright, "PagedAccessToken", body)
		}
	case dataPlane:
		azurespec.Validate(t, azurespec.Playwright, "AccessToken", body)
	case last == "checknameavailability":
		azurespec.Validate(t, armCommonTypes, "CheckNameAvailabilityResponse", body)
	case len(segs) > 2 && segs[len(segs)-2] == "operationstatuses":
		azurespec.Validate(t, armCommonTypes, "OperationStatusResult", body)
	case last == "operations":
		azurespec.Validate(t, armCommonTypes, "OperationListResult", body)
	case last == "accounts":
		azurespec.Validate(t, azurespec.PlaywrightARM, "AccountListResult", body)
	default:
		azurespec.Validate(t, azurespec.PlaywrightARM, "Account", body)
	}
}

var selectSchemas sync.Map // $select → *jsonschema.Schema

// validateSelected checks a $select page: PagedAccessToken whose items
// hold exactly the selected properties, each conforming to the spec's
// AccessToken property (the spec's required list cannot hold: $select
// leaves properties out by design).
func validateSelected(t testing.TB, body []byte, sel string) {
	t.Helper()
	s, ok := selectSchemas.Load(sel)
	if !ok {
		spec := "file://" + filepath.ToSlash(filepath.Join(azurespec.Dir(t), azurespec.Playwright))
		props := map[string]any{}
		var required []any
		for _, f := range strings.Split(sel, ",") {
			f = strings.TrimSpace(f)
			props[f] = map[string]any{"$ref": spec + "#/definitions/AccessToken/properties/" + f}
			required = append(required, f)
		}
		doc := map[string]any{
			"type": "object", "required": []any{"value"},
			"properties": map[string]any{
				"value": map[string]any{"type": "array", "items": map[string]any{
					"type": "object", "properties": props, "required": required, "additionalProperties": false,
				}},
				"nextLink": map[string]any{"$ref": spec + "#/definitions/PagedAccessToken/properties/nextLink"},
			},
			"additionalProperties": false,
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft4)
		loc := "mem:///select-" + url.PathEscape(sel) + ".json"
		if err := c.AddResource(loc, doc); err != nil {
			t.Fatal(err)
		}
		compiled, err := c.Compile(loc)
		if err != nil {
			t.Fatalf("compile $select schema: %v", err)
		}
		s, _ = selectSchemas.LoadOrStore(sel, compiled)
	}
	if err := azurespec.Check(s.(*jsonschema.Schema), body); err != nil {
		t.Errorf("$select=%s page does not conform: %v\nbody: %s", sel, err, body)
	}
}

// accountPath is an account's ARM path.
func accountPath(group, name string) string {
	return "/subscriptions/" + testSub + "/resourceGroups/" + group + "/providers/Microsoft.AzurePlaywrightService/accounts/" + name
}

// createAccount creates an account through ARM and returns its data-plane
// id, read from dashboardUri.
func (e *env) createAccount(t testing.TB, group, name string) string {
	t.Helper()
	resp, body := e.do(t, http.MethodPut, accountPath(group, name)+"?api-version="+armVersion, map[string]any{"location": "eastus"}, "good-"+owner)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create account: %d %s", resp.StatusCode, body)
	}
	var acct struct {
		Properties struct {
			DashboardURI string `json:"dashboardUri"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(body, &acct); err != nil {
		t.Fatal(err)
	}
	return acct.Properties.DashboardURI[strings.LastIndexByte(acct.Properties.DashboardURI, '/')+1:]
}

func ptr[T any](v T) *T { return &v }
