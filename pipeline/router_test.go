package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

// recorder is an authenticator, authorizer and scope that write down what
// the pipeline asked of them, in order.
type recorder struct {
	mu    sync.Mutex
	steps []string
}

func (r *recorder) note(s string) {
	r.mu.Lock()
	r.steps = append(r.steps, s)
	r.mu.Unlock()
}

func (r *recorder) Authenticate(_ context.Context, hr *http.Request, aud tokend.Audience) (*tokend.Principal, error) {
	r.note("authenticate " + string(aud))
	if hr.Header.Get("Authorization") != "Bearer ok" {
		return nil, &tokend.AuthenticationError{Code: "InvalidAuthenticationToken", Message: "no", Challenge: "Bearer realm=x"}
	}
	return &tokend.Principal{ObjectID: "alice"}, nil
}

func (r *recorder) Authorize(_ context.Context, p *tokend.Principal, action, scope string) error {
	r.note("authorize " + action + " at " + scope)
	if strings.Contains(action, "forbidden") {
		return &tokend.AuthorizationError{PrincipalID: p.ObjectID, Action: action, Scope: scope}
	}
	return nil
}

func (r *recorder) AuthorizeData(_ context.Context, _ *tokend.Principal, action, scope string) error {
	r.note("authorize-data " + action + " at " + scope)
	return nil
}

func (r *recorder) Resolve(_ context.Context, req *pipeline.Request) (string, error) {
	r.note("resolve")
	if req.Param("thing") == "missing" {
		return "", wire.Errorf(http.StatusNotFound, "ThingNotFound", "no thing")
	}
	req.Resolved = "thing:" + req.Param("thing")
	return "/things/" + req.Param("thing"), nil
}

func (r *recorder) Finish(_ context.Context, _ *pipeline.Request, resp *wire.Response, err error) (*wire.Response, error) {
	r.note("finish")
	return resp, err
}

func newRouter(t *testing.T, authz pipeline.Authorization) (*pipeline.Router, *recorder, *[]int) {
	t.Helper()
	rec := &recorder{}
	var statuses []int
	var mu sync.Mutex
	opts := &pipeline.Options{Authenticator: rec, Authorizer: rec, Hooks: pipeline.Hooks{
		Admit: func(_ context.Context, r *http.Request) error {
			rec.note("admit")
			if r.Header.Get("X-Flood") != "" {
				return wire.Errorf(http.StatusTooManyRequests, "TooManyRequests", "slow down")
			}
			return nil
		},
		Authenticated: func(_ context.Context, r *pipeline.Request) error {
			rec.note("authenticated " + r.Principal.ObjectID)
			return nil
		},
		Done: func(_ context.Context, r *pipeline.Request, status int) error {
			mu.Lock()
			statuses = append(statuses, status)
			mu.Unlock()
			if r.HTTP.Header.Get("X-Audit-Down") != "" {
				return errors.New("disk full at /var/log/secret-path")
			}
			return nil
		},
		Header: func(h http.Header) { h.Set("X-Content-Type-Options", "nosniff") },
	}}
	rt := pipeline.New(pipeline.Surface{
		Name: "test", Audience: "things", Authorization: authz, Scope: rec, Family: wire.FamilyAzureCore,
		Action: func(method, pattern string) string { return "Test/things/" + strings.ToLower(method) },
	}, opts)
	versions := wire.NewAPIVersions("2024-01-01")
	echo := func(_ context.Context, r *pipeline.Request) (*wire.Response, error) {
		rec.note("handle")
		return wire.JSON(http.StatusOK, map[string]any{"resolved": r.Resolved, "scope": r.Scope, "body": string(r.Body), "version": r.APIVersion}), nil
	}
	rt.Add(
		pipeline.Route{Method: http.MethodGet, Pattern: "/things/{thing}", Handler: echo, Versions: versions, Family: wire.FamilyAzureCore},
		pipeline.Route{Method: http.MethodPut, Pattern: "/things/{thing}", Handler: echo, Versions: versions, Family: wire.FamilyAzureCore},
		pipeline.Route{Method: http.MethodDelete, Pattern: "/things/{thing}", Action: "Test/forbidden/delete", Handler: echo, Versions: versions, Family: wire.FamilyAzureCore},
		pipeline.Route{Method: http.MethodPost, Pattern: "/things/{thing}/guarded", Handler: echo, Family: wire.FamilyAzureCore,
			Guard: func(r *pipeline.Request) error {
				rec.note("guard")
				return wire.Errorf(http.StatusForbidden, "Guarded", "not this way")
			}},
		pipeline.Route{Method: http.MethodGet, Pattern: "/page/{thing}", Anonymous: true, Label: "test:page",
			When: func(r *http.Request) bool { return r.URL.Query().Get("html") == "1" },
			Serve: func(w http.ResponseWriter, r *pipeline.Request) {
				rec.note("serve")
				_, _ = w.Write([]byte("page " + r.Param("thing")))
			}},
	)
	return rt, rec, &statuses
}

func serve(rt http.Handler, method, target, body string, hdr ...string) (*httptest.ResponseRecorder, *wire.Trace) {
	var req *http.Request
	if body == "" {
		req = httptest.NewRequest(method, target, nil)
	} else {
		req = httptest.NewRequest(method, target, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer ok")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	tr := &wire.Trace{RequestID: "req-1"}
	w := httptest.NewRecorder()
	rt.ServeHTTP(w, req.WithContext(wire.WithTrace(req.Context(), tr)))
	return w, tr
}

func errorCode(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var e struct{ Error struct{ Code string } }
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatalf("body %q: %v", w.Body, err)
	}
	return e.Error.Code
}

func TestPipelineStepsInOrder(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, method, target, body string
		hdr                        []string
		authz                      pipeline.Authorization
		status                     int
		code                       string
		steps                      string
		route                      string
	}{
		{name: "served", method: "PUT", target: "/things/a?api-version=2024-01-01", body: `{"x":1}`, authz: pipeline.Actions, status: 200,
			steps: "admit|authenticate things|authenticated alice|resolve|authorize Test/things/put at /things/a|handle|finish", route: "test:PUT /things/{thing}"},
		{name: "data actions", method: "GET", target: "/things/a?api-version=2024-01-01", authz: pipeline.DataActions, status: 200,
			steps: "admit|authenticate things|authenticated alice|resolve|authorize-data Test/things/get at /things/a|handle|finish"},
		{name: "no authorization", method: "GET", target: "/things/a?api-version=2024-01-01", authz: pipeline.NoAuthorization, status: 200,
			steps: "admit|authenticate things|authenticated alice|resolve|handle|finish"},
		{name: "admission refused first", method: "GET", target: "/things/a", hdr: []string{"X-Flood", "1"}, authz: pipeline.Actions, status: 429, code: "TooManyRequests",
			steps: "admit"},
		{name: "api-version before the caller", method: "GET", target: "/things/a", authz: pipeline.Actions, status: 400, code: "MissingApiVersionParameter",
			steps: "admit"},
		{name: "bad token", method: "GET", target: "/things/a?api-version=2024-01-01", hdr: []string{"Authorization", "Bearer no"}, authz: pipeline.Actions, status: 401, code: "InvalidAuthenticationToken",
			steps: "admit|authenticate things"},
		{name: "scope not found before authorization", method: "GET", target: "/things/missing?api-version=2024-01-01", authz: pipeline.Actions, status: 404, code: "ThingNotFound",
			steps: "admit|authenticate things|authenticated alice|resolve"},
		{name: "forbidden action", method: "DELETE", target: "/things/a?api-version=2024-01-01", authz: pipeline.Actions, status: 403, code: "AuthorizationFailed",
			steps: "admit|authenticate things|authenticated alice|resolve|authorize Test/forbidden/delete at /things/a"},
		{name: "guard before authorization", method: "POST", target: "/things/a/guarded", authz: pipeline.Actions, status: 403, code: "Guarded",
			steps: "admit|authenticate things|authenticated alice|resolve|guard"},
		{name: "anonymous page when asked for", method: "GET", target: "/page/a?html=1", hdr: []string{"Authorization", ""}, authz: pipeline.Actions, status: 200,
			steps: "admit|serve", route: "test:page"},
		{name: "unknown path", method: "GET", target: "/nothing", authz: pipeline.Actions, status: 404, code: "NotFound", route: "test:not-found"},
		{name: "page path without its condition", method: "GET", target: "/page/a", authz: pipeline.Actions, status: 404, code: "NotFound"},
		{name: "wrong method", method: "PATCH", target: "/things/a", authz: pipeline.Actions, status: 405, code: "MethodNotAllowed", route: "test:method-not-allowed"},
		{name: "body too large", method: "PUT", target: "/things/a?api-version=2024-01-01", body: `{"x":"` + strings.Repeat("a", 2<<20) + `"}`, authz: pipeline.Actions, status: 413, code: "RequestEntityTooLarge",
			steps: "admit|authenticate things|authenticated alice|resolve|authorize Test/things/put at /things/a"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rt, rec, statuses := newRouter(t, c.authz)
			w, tr := serve(rt, c.method, c.target, c.body, c.hdr...)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			if c.code != "" && errorCode(t, w) != c.code {
				t.Errorf("code %s, want %s", errorCode(t, w), c.code)
			}
			if got := strings.Join(rec.steps, "|"); c.steps != "" && got != c.steps {
				t.Errorf("steps\n got %s\nwant %s", got, c.steps)
			}
			if c.route != "" && tr.Route != c.route {
				t.Errorf("route label %q, want %q", tr.Route, c.route)
			}
			if w.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Error("the header hook did not run")
			}
			if c.status == 405 && w.Header().Get("Allow") != "DELETE, GET, PUT" {
				t.Errorf("Allow = %q", w.Header().Get("Allow"))
			}
			if c.status == 401 && w.Header().Get("WWW-Authenticate") == "" {
				t.Error("no challenge")
			}
			if len(c.steps) > 0 && (len(*statuses) != 1 || (*statuses)[0] != c.status) {
				t.Errorf("done hook saw %v, want [%d]", *statuses, c.status)
			}
		})
	}
}

func TestRoutesDeriveActionsAndDefaults(t *testing.T) {
	t.Parallel()
	rt, _, _ := newRouter(t, pipeline.Actions)
	actions := map[string]string{}
	for _, r := range rt.Routes() {
		actions[r.Method+" "+r.Pattern] = r.Action
	}
	if actions["GET /things/{thing}"] != "Test/things/get" || actions["DELETE /things/{thing}"] != "Test/forbidden/delete" {
		t.Errorf("actions %v", actions)
	}
	p := &pipeline.Provider{Family: wire.FamilyAPIM, Versions: wire.NewAPIVersions("2020-01-01"),
		Routes: []pipeline.Route{{Method: "GET", Pattern: "/a"}, {Method: "GET", Pattern: "/b", Family: wire.FamilyAzureCore}}}
	got := p.RoutesWithDefaults()
	if got[0].Family != wire.FamilyAPIM || got[0].Versions == nil || got[1].Family != wire.FamilyAzureCore {
		t.Errorf("defaults not applied: %+v", got)
	}
	hooks := pipeline.GroupDeleteHooks([]*pipeline.Provider{p, {OnGroupDelete: func(context.Context, tokend.Queries, string) error { return errors.New("x") }}})
	if len(hooks) != 1 {
		t.Errorf("%d hooks, want 1", len(hooks))
	}
}

// A pattern opening with a scope parameter serves the operation at every
// scope: the root, a subscription, a resource, whatever the depth.
func TestScopeParameter(t *testing.T) {
	t.Parallel()
	rt := pipeline.New(pipeline.Surface{Name: "test"}, &pipeline.Options{})
	rt.Add(pipeline.Route{Method: http.MethodGet, Pattern: "/{scope*}/providers/Test/things/{name}",
		Handler: func(_ context.Context, r *pipeline.Request) (*wire.Response, error) {
			return wire.JSON(http.StatusOK, map[string]string{"scope": r.Param("scope"), "name": r.Param("name")}), nil
		}})
	for _, c := range []struct{ path, scope string }{
		{"/providers/Test/things/a", "/"},
		{"/subscriptions/s/providers/Test/things/a", "/subscriptions/s"},
		{"/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/containerApps/x/providers/Test/things/a", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/containerApps/x"},
		{"/providers/Test/others/a", ""},
		{"/Test/things/a", ""},
	} {
		w, _ := serve(rt, http.MethodGet, c.path, "")
		if c.scope == "" {
			if w.Code != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", c.path, w.Code)
			}
			continue
		}
		var got map[string]string
		_ = json.Unmarshal(w.Body.Bytes(), &got)
		if w.Code != http.StatusOK || got["scope"] != c.scope || got["name"] != "a" {
			t.Errorf("%s: %d %v, want scope %s", c.path, w.Code, got, c.scope)
		}
	}
}

// A surface with HeadFromGet answers a HEAD no route takes with the GET
// route of its path: 204 for its 200 (no body), its errors as they are;
// without it, such a HEAD is a 405. A HEAD route of its own still wins.
func TestHeadFromGet(t *testing.T) {
	t.Parallel()
	get := func(_ context.Context, r *pipeline.Request) (*wire.Response, error) {
		if r.Param("name") == "missing" {
			return nil, wire.Errorf(http.StatusNotFound, "ResourceNotFound", "not found")
		}
		return wire.JSON(http.StatusOK, map[string]string{"name": r.Param("name")}), nil
	}
	head := func(context.Context, *pipeline.Request) (*wire.Response, error) {
		return wire.Empty(http.StatusOK), nil
	}
	for _, c := range []struct {
		fromGet bool
		path    string
		status  int
	}{
		{true, "/things/a", http.StatusNoContent},
		{true, "/things/missing", http.StatusNotFound},
		{true, "/own/a", http.StatusOK},
		{true, "/nothing/a", http.StatusNotFound},
		{false, "/things/a", http.StatusMethodNotAllowed},
	} {
		rt := pipeline.New(pipeline.Surface{Name: "test", HeadFromGet: c.fromGet}, &pipeline.Options{})
		rt.Add(pipeline.Op(http.MethodGet, "/things/{name}", get), pipeline.Op(http.MethodPut, "/things/{name}", get),
			pipeline.Op(http.MethodGet, "/own/{name}", get), pipeline.Op(http.MethodHead, "/own/{name}", head))
		w, _ := serve(rt, http.MethodHead, c.path, "")
		// (The recorder keeps an error's body, which net/http drops for HEAD.)
		if w.Code != c.status || c.status < 300 && w.Body.Len() != 0 {
			t.Errorf("HEAD %s (from GET %v): %d %q, want %d", c.path, c.fromGet, w.Code, w.Body.String(), c.status)
		}
	}
}

// TestDoneHookFailureAnswers503: when the Done hook cannot record a
// request (the audit log is down), the answer is a 503 with Retry-After
// instead of the handler's, on success and on failure alike, and the
// hook's error is not sent.
func TestDoneHookFailureAnswers503(t *testing.T) {
	rt, _, _ := newRouter(t, pipeline.Actions)
	for _, tc := range []struct{ method, target string }{
		{http.MethodPut, "/things/a?api-version=2024-01-01"},
		{http.MethodGet, "/things/a?api-version=1999-01-01"},
	} {
		w, _ := serve(rt, tc.method, tc.target, "{}", "X-Audit-Down", "1")
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Fatalf("%s %s: %d %v", tc.method, tc.target, w.Code, w.Header())
		}
		if strings.Contains(w.Body.String(), "secret-path") {
			t.Fatalf("hook error leaked: %s", w.Body)
		}
	}
}
