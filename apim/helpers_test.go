package apim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/apimanagement/armapimanagement/v3"
	"github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/apim"
	"github.com/tokend-dev/tokend/internal/azurespec"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/seal"
	"github.com/tokend-dev/tokend/wire"
)

// env is tokend's handler tree, composed as the server composes it
// (testkit.Stack: the server's routing and middleware, ARM with
// Microsoft.Resources, and the APIM provider), over one store.
type env struct {
	t     testing.TB
	store tokend.Store
	h     http.Handler
	sub   string
	group string
	log   *azuretest.SyncBuffer // what the pipelines and the server logged
}

const (
	apiVersion = "2024-05-01"
	// testSub is the subscription of the tests that need no other.
	testSub = "00000000-0000-0000-0000-000000000000"
)

func testBox(t testing.TB) *seal.Box {
	t.Helper()
	box, err := seal.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// provider is the APIM provider over store, as the composition gets it.
func provider(t testing.TB, store tokend.Store) *pipeline.Provider {
	t.Helper()
	p, err := apim.New(apim.Config{Store: store, Box: testBox(t)})
	if err != nil {
		t.Fatal(err)
	}
	return p.Describe()
}

// newEnvOn serves store with the options given (the zero Options: no
// authentication, no authorization) in subscription sub, which it
// creates, and resource group group, which the first PUT creates.
func newEnvOn(t testing.TB, store tokend.Store, sub, group string, opts pipeline.Options) *env {
	t.Helper()
	testkit.Subscription(t, store, sub, "t")
	log := &azuretest.SyncBuffer{}
	h := testkit.Stack{Store: store, Providers: []*pipeline.Provider{provider(t, store)}, Options: opts, Log: log}.Handler(t)
	return &env{t: t, store: store, h: h, sub: sub, group: group, log: log}
}

// onEachEngine runs fn in parallel subtests, one per engine, each on a
// fresh env without authentication.
func onEachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		fn(t, newEnvOn(t, store, testSub, "rg1", pipeline.Options{}))
	})
}

func (e *env) servicePath(name string) string {
	return "/subscriptions/" + e.sub + "/resourceGroups/" + e.group + "/providers/Microsoft.ApiManagement/service/" + name
}

func (e *env) serverPath(service, authsid string) string {
	return e.servicePath(service) + "/authorizationServers/" + authsid
}

// response is a recorded answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// do sends a request through the handler tree; path may carry a query, and gets
// the api-version unless it has one. headers are name, value pairs.
func (e *env) do(method, path string, body any, headers ...string) response {
	e.t.Helper()
	if !strings.Contains(path, "api-version=") {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "api-version=" + apiVersion
	}
	req := httptest.NewRequest(method, "https://tokend.test"+path, azuretest.Body(e.t, body))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return response{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

// Schema names in the 2022-08-01 spec.
const (
	defContract   = "AuthorizationServerContract"
	defCollection = "AuthorizationServerCollection"
	defSecrets    = "AuthorizationServerSecretsContract"
	defError      = "ErrorResponse"
	// defService has no saved spec (apimdeployment.json is not among the
	// specs); service bodies are checked by the official v3 model instead.
	defService = "ApiManagementServiceResource"
)

// expect checks the status and validates the body against the spec
// definition for it (error bodies against APIM's ErrorResponse).
func (e *env) expect(r response, status int, definition string) {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	validate(e.t, r, definition)
}

func validate(t testing.TB, r response, definition string) {
	t.Helper()
	switch {
	case definition == "":
		if len(r.body) != 0 {
			t.Errorf("unexpected body %s", r.body)
		}
	case definition == defService:
		var sr armapimanagement.ServiceResource
		if err := json.Unmarshal(r.body, &sr); err != nil {
			t.Fatalf("service body does not decode as armapimanagement.ServiceResource: %v\n%s", err, r.body)
		}
		if sr.ID == nil || sr.Name == nil || sr.Type == nil || *sr.Type != "Microsoft.ApiManagement/service" || sr.Location == nil ||
			sr.SKU == nil || sr.SKU.Name == nil || sr.SKU.Capacity == nil || sr.Etag == nil || sr.Properties == nil ||
			sr.Properties.PublisherEmail == nil || sr.Properties.PublisherName == nil ||
			sr.Properties.ProvisioningState == nil || *sr.Properties.ProvisioningState != "Succeeded" || sr.Properties.GatewayURL == nil {
			t.Errorf("service body lacks what clients need: %s", r.body)
		}
	case definition == defError:
		azurespec.Validate(t, azurespec.APIMRoot, defError, r.body)
		if r.header.Get("x-ms-error-code") == "" {
			t.Errorf("error without x-ms-error-code")
		}
	default:
		azurespec.Validate(t, azurespec.APIMDefinitions, definition, r.body)
	}
}

// apimError is APIM's error envelope.
type apimError struct {
	Error struct {
		Code    string             `json:"code"`
		Message string             `json:"message"`
		Target  *string            `json:"target"`
		Details []wire.ErrorDetail `json:"details"`
	} `json:"error"`
}

// expectError checks an error answer: status, code, envelope, and (when
// targets are given) one detail naming each target.
func (e *env) expectError(r response, status int, code string, targets ...string) apimError {
	e.t.Helper()
	e.expect(r, status, defError)
	var ae apimError
	r.decode(e.t, &ae)
	if ae.Error.Code != code {
		e.t.Errorf("code %q, want %q (%s)", ae.Error.Code, code, r.body)
	}
	if ae.Error.Target != nil {
		e.t.Errorf("APIM's envelope has no top-level target: %s", r.body)
	}
	if ae.Error.Message == "" {
		e.t.Errorf("empty message: %s", r.body)
	}
	var got []string
	for _, d := range ae.Error.Details {
		got = append(got, d.Target)
		if d.Code == "" || d.Message == "" {
			e.t.Errorf("detail without code or message: %+v", d)
		}
	}
	sort.Strings(got)
	want := append([]string(nil), targets...)
	sort.Strings(want)
	if len(targets) > 0 && !reflect.DeepEqual(got, want) {
		e.t.Errorf("detail targets %v, want %v (%s)", got, want, r.body)
	}
	return ae
}

// serviceBody is a minimal valid service.
func serviceBody() map[string]any {
	return map[string]any{
		"location": "West Europe",
		"sku":      map[string]any{"name": "Developer", "capacity": 1},
		"properties": map[string]any{
			"publisherEmail": "apim@contoso.com",
			"publisherName":  "Contoso",
		},
	}
}

func (e *env) createService(name string) {
	e.t.Helper()
	r := e.do(http.MethodPut, e.servicePath(name), serviceBody())
	if r.status != http.StatusCreated && r.status != http.StatusOK {
		e.t.Fatalf("create service %s: %d %s", name, r.status, r.body)
	}
}

// serverBody is a valid authorization server, as the SDK harness sends it.
func serverBody(displayName string) map[string]any {
	return map[string]any{"properties": map[string]any{
		"authorizationEndpoint":      "https://login.example.com/oauth2/authorize",
		"authorizationMethods":       []string{"GET"},
		"bearerTokenSendingMethods":  []string{"authorizationHeader"},
		"clientAuthenticationMethod": []string{"Basic"},
		"clientId":                   "client-" + displayName,
		"clientRegistrationEndpoint": "https://registration.example.com/register",
		"clientSecret":               "s3cret-" + displayName,
		"defaultScope":               "read write",
		"description":                "created by a test",
		"displayName":                displayName,
		"grantTypes":                 []string{"authorizationCode", "clientCredentials"},
		"supportState":               true,
		"tokenEndpoint":              "https://login.example.com/oauth2/token",
		"resourceOwnerUsername":      "owner",
		"resourceOwnerPassword":      "pw-" + displayName,
	}}
}

func (e *env) createServer(service, authsid, displayName string) string {
	e.t.Helper()
	r := e.do(http.MethodPut, e.serverPath(service, authsid), serverBody(displayName))
	e.expect(r, http.StatusCreated, defContract)
	return r.header.Get("ETag")
}

// countServers is how many servers of service storage holds.
func (e *env) countServers(service string) int64 {
	e.t.Helper()
	page, err := e.store.ListAuthorizationServers(e.t.Context(), tokend.AuthorizationServerQuery{ServiceKey: strings.ToLower(e.servicePath(service))})
	if err != nil {
		e.t.Fatal(err)
	}
	return page.Count
}

// jsonDiff lists the paths where got and want differ, ignoring the named
// top-level or nested keys (by key name).
func jsonDiff(got, want any, ignore map[string]bool, path string) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %v, want an object", path, got)}
		}
		var out []string
		keys := map[string]bool{}
		for k := range w {
			keys[k] = true
		}
		for k := range g {
			keys[k] = true
		}
		for k := range keys {
			if ignore[k] {
				continue
			}
			out = append(out, jsonDiff(g[k], w[k], ignore, path+"."+k)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
		}
		var out []string
		for i := range w {
			out = append(out, jsonDiff(g[i], w[i], ignore, fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	default:
		if !reflect.DeepEqual(got, want) {
			return []string{fmt.Sprintf("%s: got %v, want %v", path, got, want)}
		}
		return nil
	}
}
