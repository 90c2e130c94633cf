package playwright_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
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
	"github.com/tokend-dev/tokend/playwright"
	"github.com/tokend-dev/tokend/storage/storagetest"
	"github.com/tokend-dev/tokend/wire"
)

const (
	testSub    = "00000000-0000-0000-0000-0000000000aa"
	testTenant = "00000000-0000-0000-0000-0000000000bb"
	armVersion = "2024-12-01"
	// Principals of the fake issuer: an owner of everything (control and
	// data plane), a reader of both, and an ARM owner without data roles.
	owner    = "11111111-0000-0000-0000-000000000001"
	reader   = "11111111-0000-0000-0000-000000000002"
	outsider = "11111111-0000-0000-0000-000000000003"
)

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fakeIssuer stands in for the identity package: it signs HS256 JWTs over
// any claims, and authenticates "Bearer good-<oid>" (an Entra token for
// either audience) and its own JWTs (running the registered validators, as
// the issuer does on every authentication).
type fakeIssuer struct {
	key        []byte
	clock      *clock
	validators []func(ctx context.Context, payload []byte) error
}

func (f *fakeIssuer) Sign(_ context.Context, claims map[string]any) (string, error) {
	c := map[string]any{"iss": "https://tokend.test/" + testTenant + "/v2.0"}
	for k, v := range claims {
		c[k] = v
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(payload)
	m := hmac.New(sha256.New, f.key)
	m.Write([]byte(input))
	return input + "." + enc.EncodeToString(m.Sum(nil)), nil
}

func unauthenticated(msg string) error {
	return &tokend.AuthenticationError{Code: "InvalidAuthenticationToken", Message: msg,
		Challenge: `Bearer authorization_uri="https://tokend.test/` + testTenant + `", error="invalid_token"`}
}

func (f *fakeIssuer) Authenticate(ctx context.Context, r *http.Request, aud tokend.Audience) (*tokend.Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, &tokend.AuthenticationError{Code: "AuthenticationFailed", Message: "Authentication failed. The 'Authorization' header is missing.",
			Challenge: `Bearer authorization_uri="https://tokend.test/` + testTenant + `"`}
	}
	raw, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return nil, unauthenticated("not a bearer token")
	}
	if oid, ok := strings.CutPrefix(raw, "good-"); ok {
		return &tokend.Principal{ObjectID: oid, TenantID: testTenant, ClientID: "client-" + oid}, nil
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, unauthenticated("malformed token")
	}
	m := hmac.New(sha256.New, f.key)
	m.Write([]byte(parts[0] + "." + parts[1]))
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	if !hmac.Equal(sig, m.Sum(nil)) {
		return nil, unauthenticated("bad signature")
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Oid string `json:"oid"`
		Tid string `json:"tid"`
		Jti string `json:"jti"`
		Res string `json:"xms_tkd_res"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, unauthenticated("bad payload")
	}
	if aud == tokend.AudiencePlaywright && c.Aud != playwright.Audience {
		return nil, unauthenticated("wrong audience " + c.Aud)
	}
	if f.clock.Now().Unix() >= c.Exp {
		return nil, unauthenticated("expired")
	}
	for _, v := range f.validators {
		if err := v(ctx, payload); err != nil {
			return nil, unauthenticated("refused: " + err.Error())
		}
	}
	return &tokend.Principal{ObjectID: c.Oid, TenantID: c.Tid, TokenID: c.Jti, Resource: c.Res}, nil
}

// fakeRBAC grants owner everything, reader the read actions, and outsider
// every control-plane action but no data action; a resource-bound
// principal acts only within its resource, as identity's authorizer does.
type fakeRBAC struct{}

func (fakeRBAC) check(p *tokend.Principal, action, scope string, data bool) error {
	deny := &tokend.AuthorizationError{PrincipalID: p.ObjectID, Action: action, Scope: scope}
	if p.Resource != "" && scope != p.Resource && !strings.HasPrefix(scope, p.Resource+"/") {
		return deny
	}
	read := strings.HasSuffix(strings.ToLower(action), "/read")
	switch {
	case p.ObjectID == owner:
		return nil
	case p.ObjectID == reader && read:
		return nil
	case p.ObjectID == outsider && !data:
		return nil
	}
	return deny
}

func (r fakeRBAC) Authorize(_ context.Context, p *tokend.Principal, action, scope string) error {
	return r.check(p, action, scope, false)
}

func (r fakeRBAC) AuthorizeData(_ context.Context, p *tokend.Principal, action, scope string) error {
	return r.check(p, action, scope, true)
}

// env is a tokend with the Playwright provider on one store, served over
// TLS the way server.Server routes it.
type env struct {
	t      testing.TB
	store  tokend.Store
	svc    *playwright.Service
	srv    *httptest.Server
	issuer *fakeIssuer
	clock  *clock
}

type envOption func(*playwright.Config)

func newEnv(t testing.TB, open func(testing.TB) tokend.Store, opts ...envOption) *env {
	t.Helper()
	store := open(t)
	ctx := context.Background()
	if err := store.CreateSubscription(ctx, &tokend.Subscription{ID: testSub, TenantID: testTenant, DisplayName: "s", State: "Enabled", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	clk := &clock{now: time.Date(2026, 11, 21, 12, 0, 0, 123456789, time.UTC)}
	issuer := &fakeIssuer{key: []byte("test signing key"), clock: clk}
	rt := arm.NewRouter(arm.Config{Store: store, Now: clk.Now})
	rt.UseAuth(issuer, fakeRBAC{})
	cfg := playwright.Config{Store: store, Router: rt, Signer: issuer, Now: clk.Now}
	for _, o := range opts {
		o(&cfg)
	}
	svc, err := playwright.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	svc.Register()
	issuer.validators = append(issuer.validators, svc.ValidatePayload)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		trace := &wire.Trace{RequestID: "req-" + fmt.Sprint(time.Now().UnixNano())}
		w.Header().Set("x-ms-request-id", trace.RequestID)
		if c := r.Header.Get("x-ms-client-request-id"); c != "" {
			w.Header().Set("x-ms-client-request-id", c)
		}
		r = r.WithContext(wire.WithTrace(r.Context(), trace))
		if strings.HasPrefix(strings.ToLower(r.URL.Path), "/"+playwright.MountPath+"/") || r.URL.Path == "/"+playwright.MountPath {
			svc.ServeHTTP(w, r)
			return
		}
		rt.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return &env{t: t, store: store, svc: svc, srv: srv, issuer: issuer, clock: clk}
}

func newSQLiteEnv(t testing.TB, opts ...envOption) *env {
	return newEnv(t, storagetest.Engines()[0].Open, opts...)
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
	if resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusAccepted {
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
