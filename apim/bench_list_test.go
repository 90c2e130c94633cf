package apim_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
)

// benchServers is how many authorization servers the list benchmarks look
// among: the scale the performance target names.
const benchServers = 10000

// seedBenchServers writes n servers straight into storage, in batches, with
// bodies shaped like the provider's. Names spread over four prefixes and
// display names over five teams, so a startswith filter picks a quarter
// and an eq filter one.
func seedBenchServers(b testing.TB, e *env, service string, n int) {
	b.Helper()
	ctx := b.Context()
	svcID := e.servicePath(service)
	now := time.Now().UTC()
	for start := 0; start < n; start += 1000 {
		err := e.store.InTx(ctx, func(q tokend.Queries) error {
			for i := start; i < min(n, start+1000); i++ {
				name := fmt.Sprintf("%s-auth-%06d", [...]string{"ci", "dev", "prod", "test"}[i%4], i)
				display := fmt.Sprintf("%s OAuth %06d", [...]string{"Payments", "Search", "Identity", "Billing", "Catalog"}[i%5], i)
				id := svcID + "/authorizationServers/" + name
				body, _ := json.Marshal(map[string]any{"id": id, "name": name, "type": "Microsoft.ApiManagement/service/authorizationServers",
					"properties": map[string]any{
						"displayName": display, "useInTestConsole": true, "useInApiDocumentation": false,
						"clientRegistrationEndpoint": "https://contoso.example/register", "authorizationEndpoint": "https://contoso.example/authorize",
						"authorizationMethods": []string{"GET"}, "tokenEndpoint": "https://contoso.example/token",
						"grantTypes": []string{"authorizationCode", "clientCredentials"}, "clientId": fmt.Sprintf("client-%06d", i),
						"bearerTokenSendingMethods": []string{"authorizationHeader"}, "defaultScope": "read write",
					}})
				err := q.CreateAuthorizationServer(ctx, &tokend.AuthorizationServer{
					Key: strings.ToLower(id), ServiceKey: strings.ToLower(svcID), ID: id, Name: name, DisplayName: display,
					UID: uuid.NewString(), ETag: `"` + uuid.NewString() + `"`, Body: body, CreatedAt: now, UpdatedAt: now,
				})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// benchFilters are representative ListByService filters: index seeks
// (eq, startswith, a range) and substring scans (contains, endswith).
var benchFilters = []struct{ name, filter string }{
	{"none", ""},
	{"name-eq", "name eq 'prod-auth-005002'"},
	{"name-startswith", "startswith(name,'prod-')"},
	{"displayName-range", "displayName ge 'Identity' and displayName lt 'J'"},
	{"displayName-contains", "contains(displayName,'Search OAuth 00')"},
	{"name-endswith", "endswith(name,'7')"},
	{"substringof-or", "substringof('00123',name) or displayName eq 'Catalog OAuth 000004'"},
}

// BenchmarkListFiltered is ListByService with $filter and $top=100 over
// 10,000 servers, through the router (handler, translation, storage, JSON),
// on each engine. It reports the latency distribution of single requests;
// the target is p99 ≤ 20 ms.
//
//	go test ./apim -run '^$' -bench BenchmarkListFiltered -benchtime 300x
func BenchmarkListFiltered(b *testing.B) {
	for _, eng := range testkit.Engines() {
		b.Run(eng.Name, func(b *testing.B) {
			e := newEnvOn(b, eng.Open(b), testSub, "rg1", pipeline.Options{})
			e.createService("bench")
			seedBenchServers(b, e, "bench", benchServers)
			analyze(b, e.store)
			rt := armRouter(b, e.store)
			for _, f := range benchFilters {
				b.Run(f.name, func(b *testing.B) {
					q := url.Values{"$top": {"100"}, "api-version": {apiVersion}}
					if f.filter != "" {
						q.Set("$filter", f.filter)
					}
					path := e.servicePath("bench") + "/authorizationServers?" + q.Encode()
					var lat []time.Duration
					b.ReportAllocs()
					for b.Loop() {
						req := httptest.NewRequest(http.MethodGet, "https://tokend.test"+path, nil)
						w := httptest.NewRecorder()
						start := time.Now()
						rt.ServeHTTP(w, req)
						lat = append(lat, time.Since(start))
						if w.Code != http.StatusOK {
							b.Fatalf("%d %s", w.Code, w.Body)
						}
					}
					reportLatency(b, lat)
				})
			}
		})
	}
}

// analyze refreshes the planner's statistics, as PostgreSQL's autovacuum
// does shortly after a bulk load; the benchmark measures that steady state
// rather than the minute after seeding. (SQLite's planner needs none here.)
func analyze(b testing.TB, s tokend.Store) {
	db, ok := s.(interface{ DB() *sql.DB })
	if !ok {
		return
	}
	if _, err := db.DB().ExecContext(b.Context(), "VACUUM ANALYZE apim_authorization_servers"); err != nil && !strings.Contains(err.Error(), "syntax") {
		b.Logf("analyze: %v", err)
	}
}

// reportLatency adds p50 and p99 (milliseconds) to the benchmark's output.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(p float64) float64 {
		i := min(len(lat)-1, int(p*float64(len(lat))))
		return float64(lat[i].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
