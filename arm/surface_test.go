package arm_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

const sub = "00000000-0000-0000-0000-0000000000aa"

type env struct {
	srv   *httptest.Server
	store tokend.Store
	auth  *testkit.HeaderAuth
}

// envConfig is what a test varies of the stack.
type envConfig struct {
	strict, anyVersion bool
	groupPageSize      int
}

// widgets is a provider of the test's own ("Microsoft.Test", in API
// Management's envelope) with a route for each way a handler can answer.
func widgets() *pipeline.Provider {
	const base = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Test/widgets"
	return &pipeline.Provider{
		Namespace: "Microsoft.Test", Family: wire.FamilyAPIM, Versions: wire.NewAPIVersions("2024-01-01"),
		Routes: []pipeline.Route{
			{Method: http.MethodPut, Pattern: base + "/{widgetName}", Handler: func(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
				if strings.Contains(string(r.Body), "invalid") {
					return nil, wire.BadRequest("InvalidProperty", "properties", "refused")
				}
				return wire.JSON(http.StatusOK, map[string]string{"name": r.Param("widgetName"), "action": "put"}), nil
			}},
			{Method: http.MethodGet, Pattern: base + "/{widgetName}", Handler: func(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
				return nil, fmt.Errorf("load widget %s: %w", r.Param("widgetName"), tokend.ErrNotFound)
			}},
			{Method: http.MethodGet, Pattern: base, Handler: func(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
				return wire.JSON(http.StatusOK, map[string]any{"value": []any{}}), nil
			}},
			// A collection nested in a widget: its handler answers 404 for a
			// missing widget (no widget exists here), as nested lists must.
			{Method: http.MethodGet, Pattern: base + "/{widgetName}/parts", Handler: func(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
				return nil, fmt.Errorf("load widget %s: %w", r.Param("widgetName"), tokend.ErrNotFound)
			}},
			{Method: http.MethodPost, Pattern: base + "/{widgetName}/explode", Handler: func(ctx context.Context, r *pipeline.Request) (*wire.Response, error) {
				return nil, fmt.Errorf("database on fire: secret=hunter2")
			}},
		},
	}
}

func newEnv(t *testing.T, store tokend.Store, cfg envConfig) *env {
	t.Helper()
	testkit.Subscription(t, store, sub, "t")
	auth := &testkit.HeaderAuth{}
	srv := testkit.Stack{
		Store: store, Providers: []*pipeline.Provider{widgets()},
		Options:       pipeline.Options{Authenticator: auth, Authorizer: auth, AnyAPIVersion: cfg.anyVersion},
		ARM:           arm.Config{StrictResourceGroups: cfg.strict},
		GroupPageSize: cfg.groupPageSize,
	}.ServePlain(t)
	return &env{srv: srv, store: store, auth: auth}
}

func (e *env) do(t *testing.T, method, path, body string, hdr ...string) (*http.Response, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer good-alice")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: body is not JSON: %s", method, path, b)
		}
	}
	return resp, m
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestPipelineErrors(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store, envConfig{})
		g := "/subscriptions/" + sub + "/resourcegroups/rg1"
		w := "/subscriptions/" + sub + "/resourceGroups/rgx/providers/Microsoft.Test/widgets/w1"
		if resp, m := e.do(t, "PUT", "/subscriptions/"+sub+"/resourceGroups/rgx?api-version=2021-04-01", `{"location":"eastus"}`); resp.StatusCode != 201 {
			t.Fatalf("create group: %d %v", resp.StatusCode, m)
		}
		cases := []struct {
			name, method, path, body string
			hdr                      []string
			status                   int
			code                     string
		}{
			{"missing api-version", "GET", g, "", nil, 400, "MissingApiVersionParameter"},
			{"unknown api-version", "GET", g + "?api-version=1999-01-01", "", nil, 400, "InvalidApiVersionParameter"},
			{"unknown subscription", "GET", "/subscriptions/11111111-0000-0000-0000-000000000000/resourcegroups/x?api-version=2021-04-01", "", nil, 404, "SubscriptionNotFound"},
			{"missing group", "GET", g + "?api-version=2021-04-01", "", nil, 404, "ResourceGroupNotFound"},
			{"unknown namespace", "GET", "/subscriptions/" + sub + "/providers/Microsoft.Nope/things?api-version=1", "", nil, 404, "InvalidResourceNamespace"},
			{"unknown type", "GET", "/subscriptions/" + sub + "/resourceGroups/rg1/providers/Microsoft.Test/gadgets/x?api-version=2024-01-01", "", nil, 404, "InvalidResourceType"},
			{"wrong method", "PATCH", w + "?api-version=2024-01-01", "{}", nil, 405, "MethodNotAllowed"},
			{"bad token", "GET", g + "?api-version=2021-04-01", "", []string{"Authorization", "Bearer forged"}, 401, "InvalidAuthenticationToken"},
			{"malformed JSON", "PUT", g + "?api-version=2021-04-01", `{"location":`, nil, 400, "InvalidRequestContent"},
			{"media type", "PUT", g + "?api-version=2021-04-01", `a=b`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "UnsupportedMediaType"},
			{"too large", "PUT", g + "?api-version=2021-04-01", `{"location":"` + strings.Repeat("x", 1<<20) + `"}`, nil, 413, "RequestEntityTooLarge"},
			{"location required", "PUT", g + "?api-version=2021-04-01", `{}`, nil, 400, "LocationRequired"},
			{"internal error hides details", "POST", w + "/explode?api-version=2024-01-01", "", nil, 500, "InternalServerError"},
			{"resource missing in an existing group", "GET", w + "?api-version=2024-01-01", "", nil, 404, "ResourceNotFound"},
			{"resource in a missing group", "GET", "/subscriptions/" + sub + "/resourceGroups/nogroup/providers/Microsoft.Test/widgets/w1?api-version=2024-01-01", "", nil, 404, "ResourceGroupNotFound"},
			{"list in a missing group", "GET", "/subscriptions/" + sub + "/resourceGroups/nogroup/providers/Microsoft.Test/widgets?api-version=2024-01-01", "", nil, 404, "ResourceGroupNotFound"},
			{"nested list in a missing group", "GET", "/subscriptions/" + sub + "/resourceGroups/nogroup/providers/Microsoft.Test/widgets/w1/parts?api-version=2024-01-01", "", nil, 404, "ResourceGroupNotFound"},
			{"nested list of a missing resource", "GET", w + "/parts?api-version=2024-01-01", "", nil, 404, "ResourceNotFound"},
		}
		for _, c := range cases {
			resp, m := e.do(t, c.method, c.path, c.body, c.hdr...)
			if resp.StatusCode != c.status || errCode(m) != c.code {
				t.Errorf("%s: got %d %v, want %d %s", c.name, resp.StatusCode, m, c.status, c.code)
			}
			if resp.Header.Get("x-ms-error-code") != c.code {
				t.Errorf("%s: x-ms-error-code = %q", c.name, resp.Header.Get("x-ms-error-code"))
			}
			if c.status == 405 && resp.Header.Get("Allow") == "" {
				t.Errorf("%s: no Allow header", c.name)
			}
			if c.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("%s: no Bearer challenge", c.name)
			}
			if c.status == 500 {
				msg := fmt.Sprint(m)
				if strings.Contains(msg, "hunter2") || strings.Contains(msg, "fire") || resp.Header.Get("x-ms-request-id") == "" || !strings.Contains(msg, resp.Header.Get("x-ms-request-id")) {
					t.Errorf("500 leaks internals or lacks the request id: %s", msg)
				}
			}
		}
		// The APIM-family provider answers in its own envelope: no top-level target.
		resp, m := e.do(t, "GET", w+"?api-version=2024-01-01", "")
		if resp.StatusCode != 404 {
			t.Fatalf("GET widget: %d", resp.StatusCode)
		}
		if _, has := m["error"].(map[string]any)["target"]; has {
			t.Errorf("APIM envelope carries a top-level target: %v", m)
		}
	})
}

func TestAuthorizationFailure(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store, envConfig{})
		e.auth.Deny("Microsoft.Resources/subscriptions/resourceGroups/write")
		resp, m := e.do(t, "PUT", "/subscriptions/"+sub+"/resourcegroups/rg?api-version=2021-04-01", `{"location":"eastus"}`)
		if resp.StatusCode != 403 || errCode(m) != "AuthorizationFailed" {
			t.Fatalf("got %d %v", resp.StatusCode, m)
		}
		msg := m["error"].(map[string]any)["message"].(string)
		for _, want := range []string{"alice", "Microsoft.Resources/subscriptions/resourceGroups/write", "/subscriptions/" + sub + "/resourcegroups/rg"} {
			if !strings.Contains(msg, want) {
				t.Errorf("403 message does not name %q: %s", want, msg)
			}
		}
	})
}

func TestResourceGroupLifecycle(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store, envConfig{})
		path := "/subscriptions/" + sub + "/resourceGroups/My-RG?api-version=2021-04-01"
		resp, m := e.do(t, "PUT", path, `{"location":"East US","tags":{"a":"b"}}`)
		if resp.StatusCode != 201 || m["name"] != "My-RG" || m["location"] != "eastus" {
			t.Fatalf("create: %d %v", resp.StatusCode, m)
		}
		// Another casing reaches the same group; the original casing is returned.
		resp, m = e.do(t, "GET", "/SUBSCRIPTIONS/"+sub+"/resourcegroups/my-rg?api-version=2021-04-01", "")
		if resp.StatusCode != 200 || m["id"] != "/subscriptions/"+sub+"/resourceGroups/My-RG" {
			t.Fatalf("get: %d %v", resp.StatusCode, m)
		}
		if resp, _ = e.do(t, "HEAD", path, ""); resp.StatusCode != 204 {
			t.Errorf("head: %d", resp.StatusCode)
		}
		if resp, m = e.do(t, "PUT", path, `{"location":"westus"}`); resp.StatusCode != 409 {
			t.Errorf("moving a group: %d %v", resp.StatusCode, m)
		}
		if resp, m = e.do(t, "PATCH", path, `{"tags":{"c":"d"}}`); resp.StatusCode != 200 || m["tags"].(map[string]any)["c"] != "d" {
			t.Errorf("patch: %d %v", resp.StatusCode, m)
		}
		// A PUT into a missing group creates it (the default convenience).
		if resp, m = e.do(t, "PUT", "/subscriptions/"+sub+"/resourceGroups/auto/providers/Microsoft.Test/widgets/w?api-version=2024-01-01", `{"location":"westus"}`); resp.StatusCode != 200 {
			t.Fatalf("put into missing group: %d %v", resp.StatusCode, m)
		}
		if resp, _ = e.do(t, "GET", "/subscriptions/"+sub+"/resourceGroups/auto?api-version=2021-04-01", ""); resp.StatusCode != 200 {
			t.Errorf("auto-created group missing: %d", resp.StatusCode)
		}
		// A PUT refused by the provider leaves no group behind.
		if resp, m = e.do(t, "PUT", "/subscriptions/"+sub+"/resourceGroups/refused/providers/Microsoft.Test/widgets/w?api-version=2024-01-01", `{"invalid":true}`); resp.StatusCode != 400 {
			t.Fatalf("refused put: %d %v", resp.StatusCode, m)
		}
		if resp, _ = e.do(t, "GET", "/subscriptions/"+sub+"/resourceGroups/refused?api-version=2021-04-01", ""); resp.StatusCode != 404 {
			t.Errorf("a refused PUT created its group: %d", resp.StatusCode)
		}
		if resp, _ = e.do(t, "DELETE", path, ""); resp.StatusCode != 200 {
			t.Errorf("delete: %d", resp.StatusCode)
		}
		if resp, m = e.do(t, "GET", path, ""); resp.StatusCode != 404 || errCode(m) != "ResourceGroupNotFound" {
			t.Errorf("get after delete: %d %v", resp.StatusCode, m)
		}
	})
}

func TestStrictResourceGroups(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store, envConfig{strict: true})
		resp, m := e.do(t, "PUT", "/subscriptions/"+sub+"/resourceGroups/none/providers/Microsoft.Test/widgets/w?api-version=2024-01-01", `{}`)
		if resp.StatusCode != 404 || errCode(m) != "ResourceGroupNotFound" {
			t.Fatalf("got %d %v", resp.StatusCode, m)
		}
	})
}

func TestAnyAPIVersion(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store, envConfig{anyVersion: true})
		if resp, m := e.do(t, "GET", "/subscriptions/"+sub+"?api-version=2099-01-01", ""); resp.StatusCode != 200 {
			t.Fatalf("got %d %v", resp.StatusCode, m)
		}
	})
}

// Paging follows absolute nextLinks that keep the query, and neither skips
// nor repeats a group when others are created between pages.
func TestListPagingStableUnderInserts(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store, envConfig{groupPageSize: 4})
		for i := 0; i < 25; i++ {
			if resp, m := e.do(t, "PUT", fmt.Sprintf("/subscriptions/%s/resourcegroups/g%02d?api-version=2021-04-01", sub, i*2), `{"location":"eastus"}`); resp.StatusCode != 201 {
				t.Fatalf("create: %d %v", resp.StatusCode, m)
			}
		}
		next := e.srv.URL + "/subscriptions/" + sub + "/resourcegroups?api-version=2021-04-01"
		seen := map[string]int{}
		pages := 0
		for next != "" {
			if !strings.HasPrefix(next, "http") || !strings.Contains(next, "api-version=2021-04-01") {
				t.Fatalf("nextLink is not absolute with api-version: %s", next)
			}
			resp, m := e.do(t, "GET", strings.TrimPrefix(next, e.srv.URL), "")
			if resp.StatusCode != 200 {
				t.Fatalf("page: %d %v", resp.StatusCode, m)
			}
			for _, v := range m["value"].([]any) {
				seen[v.(map[string]any)["name"].(string)]++
			}
			// Insert groups on both sides of the cursor between pages.
			pages++
			e.do(t, "PUT", fmt.Sprintf("/subscriptions/%s/resourcegroups/g%02d?api-version=2021-04-01", sub, pages*2+1), `{"location":"eastus"}`)
			next, _ = m["nextLink"].(string)
		}
		for i := 0; i < 25; i++ {
			name := fmt.Sprintf("g%02d", i*2)
			if seen[name] != 1 {
				t.Errorf("%s seen %d times", name, seen[name])
			}
		}
		for name, n := range seen {
			if n != 1 {
				t.Errorf("%s seen %d times", name, n)
			}
		}
	})
}

// $top is the total across pages, as ARM defines it for lists.
func TestListTopIsTotal(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store, envConfig{groupPageSize: 4})
		for i := 0; i < 11; i++ {
			if resp, m := e.do(t, "PUT", fmt.Sprintf("/subscriptions/%s/resourcegroups/t%02d?api-version=2021-04-01", sub, i), `{"location":"eastus"}`); resp.StatusCode != 201 {
				t.Fatalf("create: %d %v", resp.StatusCode, m)
			}
		}
		for _, c := range []struct{ top, want, pages int }{{3, 3, 1}, {4, 4, 1}, {9, 9, 3}, {50, 11, 3}} {
			next := fmt.Sprintf("%s/subscriptions/%s/resourcegroups?api-version=2021-04-01&%%24top=%d", e.srv.URL, sub, c.top)
			got, pages := 0, 0
			for next != "" {
				resp, m := e.do(t, "GET", strings.TrimPrefix(next, e.srv.URL), "")
				if resp.StatusCode != 200 {
					t.Fatalf("$top=%d: %d %v", c.top, resp.StatusCode, m)
				}
				got += len(m["value"].([]any))
				pages++
				next, _ = m["nextLink"].(string)
			}
			if got != c.want || pages != c.pages {
				t.Errorf("$top=%d: %d items over %d pages, want %d over %d", c.top, got, pages, c.want, c.pages)
			}
		}
		for _, bad := range []string{"%24top=0", "%24top=x", "%24skipToken=%21%21", "%24skipToken=" + base64.RawURLEncoding.EncodeToString([]byte("not json")), "%24skipToken=" + (wire.Continuation{Scope: "elsewhere"}).Encode("x"), "%24filter=tagName+eq+%27a%27"} {
			if resp, m := e.do(t, "GET", "/subscriptions/"+sub+"/resourcegroups?api-version=2021-04-01&"+bad, ""); resp.StatusCode != 400 {
				t.Errorf("%s: %d %v", bad, resp.StatusCode, m)
			}
		}
	})
}
