package arm_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/arm"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/resources"
	"github.com/tokend-dev/tokend/wire"
)

// Micro-benchmarks of the hot paths every ARM request crosses: resource-ID
// parsing and the router pipeline around a handler. Storage and the bearer
// check are stubbed out (they are benchmarked by their owners), so these
// figures are the pipeline's own overhead. Figures and the command are in
// docs/performance.md ("Benchmark tool").

var benchIDs = []struct{ name, id string }{
	{"group", "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-bench"},
	{"resource", "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-bench/providers/Microsoft.App/containerApps/app-1"},
	{"nested", "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-bench/providers/Microsoft.ApiManagement/service/svc-1/authorizationServers/as-00042"},
	{"upper", "/SUBSCRIPTIONS/00000000-0000-0000-0000-0000000000AA/RESOURCEGROUPS/RG-BENCH/PROVIDERS/MICROSOFT.APP/CONTAINERAPPS/APP-1"},
}

func BenchmarkParseID(b *testing.B) {
	for _, c := range benchIDs {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := arm.ParseID(c.id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIDKey is parse plus the canonical key, what a handler does to
// address storage.
func BenchmarkIDKey(b *testing.B) {
	for _, c := range benchIDs {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				id, err := arm.ParseID(c.id)
				if err != nil {
					b.Fatal(err)
				}
				_ = id.Key()
			}
		})
	}
}

// stubStore answers the two lookups the pipeline makes (subscription and
// resource group) from memory; every other method panics through the nil
// embedded interface, so a benchmark that reaches storage otherwise fails
// loudly.
type stubStore struct {
	tokend.Store
	sub   *tokend.Subscription
	group *tokend.Resource
}

func (s *stubStore) GetSubscription(_ context.Context, id string) (*tokend.Subscription, error) {
	if id == s.sub.ID {
		return s.sub, nil
	}
	return nil, tokend.ErrNotFound
}

func (s *stubStore) GetResource(_ context.Context, key string) (*tokend.Resource, error) {
	if key == s.group.Key {
		return s.group, nil
	}
	return nil, tokend.ErrNotFound
}

// allowAll authenticates every request as one principal and permits
// everything, at the cost of a map-free constant.
type allowAll struct{ p *tokend.Principal }

func (a allowAll) Authenticate(context.Context, *http.Request, tokend.Audience) (*tokend.Principal, error) {
	return a.p, nil
}
func (allowAll) Authorize(context.Context, *tokend.Principal, string, string) error     { return nil }
func (allowAll) AuthorizeData(context.Context, *tokend.Principal, string, string) error { return nil }

const benchSub = "00000000-0000-0000-0000-0000000000aa"

// benchRouter is a router with a realistic route table and three no-op
// routes at its end, the worst case for the linear match: the 8
// Microsoft.Resources routes, 5 per filler provider, then the 3 bench
// routes. A full tokend registers about 53 routes, so 10 fillers (61
// routes) are its worst case.
func benchRouter(b *testing.B, fillerProviders int) http.Handler {
	b.Helper()
	now := time.Now()
	store := &stubStore{
		sub: &tokend.Subscription{ID: benchSub, TenantID: "t", DisplayName: "s", State: "Enabled", CreatedAt: now},
		group: &tokend.Resource{Key: "/subscriptions/" + benchSub + "/resourcegroups/rg-bench",
			ID: "/subscriptions/" + benchSub + "/resourceGroups/rg-bench", Type: "microsoft.resources/resourcegroups", Name: "rg-bench"},
	}
	auth := allowAll{p: &tokend.Principal{ObjectID: "oid-bench"}}
	opts := &pipeline.Options{Authenticator: auth, Authorizer: auth}
	rt, surface := arm.NewRouter(arm.Config{Store: store, Now: func() time.Time { return now }}, opts)
	noop := func(context.Context, *pipeline.Request) (*wire.Response, error) {
		return wire.Empty(http.StatusOK), nil
	}
	providers := []*pipeline.Provider{resources.New(resources.Config{Store: store})}
	for i := 0; i < fillerProviders; i++ {
		ns := fmt.Sprintf("Microsoft.Filler%d", i)
		p := &pipeline.Provider{Namespace: ns, Family: wire.FamilyARM, Versions: wire.NewAPIVersions("2024-01-01")}
		base := "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/" + ns + "/things"
		for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			p.Routes = append(p.Routes, pipeline.Route{Method: m, Pattern: base + "/{thingName}", Handler: noop})
		}
		p.Routes = append(p.Routes,
			pipeline.Route{Method: http.MethodGet, Pattern: base, Handler: noop},
			pipeline.Route{Method: http.MethodPost, Pattern: base + "/{thingName}/listSecrets", Handler: noop})
		providers = append(providers, p)
	}
	widget := "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Bench/widgets/{widgetName}"
	providers = append(providers, &pipeline.Provider{
		Namespace: "Microsoft.Bench", Family: wire.FamilyARM, Versions: wire.NewAPIVersions("2024-01-01", "2025-01-01"),
		Routes: []pipeline.Route{
			{Method: http.MethodGet, Pattern: widget, Handler: noop},
			{Method: http.MethodPut, Pattern: widget, Handler: noop},
			{Method: http.MethodPost, Pattern: widget + "/getAuthtoken", Handler: noop},
		},
	})
	if _, err := surface.Mount(rt, opts, providers...); err != nil {
		b.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt.ServeHTTP(w, r.WithContext(wire.WithTrace(r.Context(), &wire.Trace{RequestID: "bench"})))
	})
}

// discard is a ResponseWriter that keeps nothing, so the benchmark measures
// the pipeline rather than a recorder's buffers.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkRouterNoop is the ARM pipeline (route match, api-version,
// authentication and authorization stubs, subscription and resource group
// checks, body) around a handler that does nothing.
func BenchmarkRouterNoop(b *testing.B) {
	path := "/subscriptions/" + benchSub + "/resourceGroups/rg-bench/providers/Microsoft.Bench/widgets/w1"
	cases := []struct {
		name, method, path, body string
		filler                   int
	}{
		{"GET/routes=11", http.MethodGet, path + "?api-version=2024-01-01", "", 0},
		{"GET/routes=61", http.MethodGet, path + "?api-version=2024-01-01", "", 10},
		{"POST-action/routes=61", http.MethodPost, path + "/getAuthtoken?api-version=2025-01-01", "", 10},
		{"PUT-body/routes=61", http.MethodPut, path + "?api-version=2024-01-01", `{"location":"eastus","properties":{"template":{"containers":[{"name":"main","image":"nginx"}]}}}`, 10},
		// The real resource-group GET handler (registered first), over the
		// in-memory store.
		{"GET-group/routes=61", http.MethodGet, "/subscriptions/" + benchSub + "/resourcegroups/rg-bench?api-version=2021-04-01", "", 10},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			h := benchRouter(b, c.filler)
			// Check once that the route is served (a 404 would be fast and wrong).
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, newBenchRequest(c.method, c.path, c.body))
			if rec.Code != http.StatusOK {
				b.Fatalf("%s %s: %d %s", c.method, c.path, rec.Code, rec.Body)
			}
			// One request reused: only the body is renewed, so the figures
			// are the pipeline's and not net/http's request parsing.
			req := newBenchRequest(c.method, c.path, c.body)
			body := []byte(c.body)
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				if len(body) > 0 {
					req.Body = io.NopCloser(bytes.NewReader(body))
				}
				h.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkRouterNoopParallel is the GET case from GOMAXPROCS goroutines, as
// the HTTP server runs it: shared route table, no locks expected.
func BenchmarkRouterNoopParallel(b *testing.B) {
	h := benchRouter(b, 10)
	path := "/subscriptions/" + benchSub + "/resourceGroups/rg-bench/providers/Microsoft.Bench/widgets/w1?api-version=2024-01-01"
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		w := &discard{h: http.Header{}}
		req := newBenchRequest(http.MethodGet, path, "")
		for pb.Next() {
			clear(w.h)
			h.ServeHTTP(w, req)
		}
	})
}

func newBenchRequest(method, target, body string) *http.Request {
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, target, nil)
	} else {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("Authorization", "Bearer x")
	return r
}
