package identity

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/pipeline"
	"github.com/tokend-dev/tokend/wire"
)

func TestManagedIdentityEndpoints(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testManagedIdentityEndpoints)
}

func testManagedIdentityEndpoints(t *testing.T, store tokend.Store) {
	s, f := testService(t, store, func(c *Config) { c.IMDSIdentity = "web" })
	web, err := s.ManagedIdentities.Create(t.Context(), f.tenant, "web")
	if err != nil {
		t.Fatal(err)
	}
	worker, err := s.ManagedIdentities.Create(t.Context(), f.tenant, "worker")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ManagedIdentities.Create(t.Context(), f.tenant, "web"); err == nil {
		t.Error("a second identity named web was created")
	}
	if _, err := s.ManagedIdentities.Create(t.Context(), f.tenant, "a b"); err == nil {
		t.Error("an identity named 'a b' was created")
	}
	rt := pipeline.New(s.ManagedIdentitySurface(), &pipeline.Options{})
	rt.Add(s.ManagedIdentityRoutes(true)...)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt.ServeHTTP(w, r.WithContext(wire.WithTrace(r.Context(), &wire.Trace{RequestID: "req"})))
	}))
	t.Cleanup(srv.Close)

	do := func(method, path string, query url.Values, form url.Values, hdr ...string) (int, map[string]any) {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, srv.URL+path+"?"+query.Encode(), body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	arm := url.Values{"resource": {ResourceManagement}}
	appService := func(extra ...string) url.Values {
		q := url.Values{"api-version": {"2019-08-01"}, "resource": {"https://management.azure.com"}}
		for i := 0; i+1 < len(extra); i += 2 {
			q.Set(extra[i], extra[i+1])
		}
		return q
	}
	imds := func(extra ...string) url.Values {
		q := url.Values{"api-version": {"2018-02-01"}, "resource": {ResourceManagement}}
		for i := 0; i+1 < len(extra); i += 2 {
			q.Set(extra[i], extra[i+1])
		}
		return q
	}
	for _, c := range []struct {
		name, method, path string
		query, form        url.Values
		hdr                []string
		status             int
		who                *ManagedIdentity
	}{
		{"app service", "GET", ManagedIdentityPath, appService(), nil, []string{"X-IDENTITY-HEADER", worker.Header}, 200, worker},
		{"app service, client_id of its identity", "GET", ManagedIdentityPath, appService("client_id", worker.ClientID), nil, []string{"X-IDENTITY-HEADER", worker.Header}, 200, worker},
		{"app service, another identity's client_id", "GET", ManagedIdentityPath, appService("client_id", web.ClientID), nil, []string{"X-IDENTITY-HEADER", worker.Header}, 400, nil},
		{"app service, wrong header", "GET", ManagedIdentityPath, appService(), nil, []string{"X-IDENTITY-HEADER", "guess"}, 401, nil},
		{"app service, no header", "GET", ManagedIdentityPath, appService(), nil, nil, 400, nil},
		{"app service, old api-version", "GET", ManagedIdentityPath, appService("api-version", "2017-09-01"), nil, []string{"X-IDENTITY-HEADER", worker.Header}, 400, nil},
		{"app service, unknown resource", "GET", ManagedIdentityPath, appService("resource", "https://vault.example"), nil, []string{"X-IDENTITY-HEADER", worker.Header}, 400, nil},
		{"imds, default identity", "GET", IMDSPath, imds(), nil, []string{"Metadata", "true"}, 200, web},
		{"imds by client_id", "GET", IMDSPath, imds("client_id", worker.ClientID), nil, []string{"Metadata", "true"}, 200, worker},
		{"imds by object_id", "GET", IMDSPath, imds("object_id", worker.PrincipalID), nil, []string{"Metadata", "true"}, 200, worker},
		{"imds by msi_res_id", "GET", IMDSPath, imds("msi_res_id", "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/worker"), nil, []string{"Metadata", "true"}, 200, worker},
		{"imds, unknown client_id", "GET", IMDSPath, imds("client_id", "00000000-0000-0000-0000-000000000009"), nil, []string{"Metadata", "true"}, 400, nil},
		{"imds without Metadata", "GET", IMDSPath, imds(), nil, nil, 400, nil},
		{"imds through a proxy", "GET", IMDSPath, imds(), nil, []string{"Metadata", "true", "X-Forwarded-For", "10.0.0.1"}, 400, nil},
		{"imds without resource", "GET", IMDSPath, url.Values{"api-version": {"2018-02-01"}}, nil, []string{"Metadata", "true"}, 400, nil},
		{"cloud shell", "POST", ManagedIdentityPath, nil, arm, []string{"Metadata", "true"}, 200, web},
		{"cloud shell without Metadata", "POST", ManagedIdentityPath, nil, arm, nil, 400, nil},
	} {
		status, body := do(c.method, c.path, c.query, c.form, c.hdr...)
		if status != c.status {
			t.Errorf("%s: %d %v, want %d", c.name, status, body, c.status)
			continue
		}
		if status != 200 {
			if body["error"] == nil || body["error_description"] == nil {
				t.Errorf("%s: error body %v", c.name, body)
			}
			continue
		}
		for k, v := range body {
			if _, ok := v.(string); !ok {
				t.Errorf("%s: %s is not a string: %v", c.name, k, v)
			}
		}
		claims, err := s.Verify(t.Context(), body["access_token"].(string))
		if err != nil {
			t.Errorf("%s: token does not verify: %v", c.name, err)
			continue
		}
		if claims.ObjectID != c.who.PrincipalID || claims.AppID != c.who.ClientID || body["expires_on"] == "" || body["token_type"] != "Bearer" {
			t.Errorf("%s: token of %s/%s, want %s (%v)", c.name, claims.ObjectID, claims.AppID, c.who.Name, body)
		}
	}
	// From another host, the header-less endpoints refuse (Azure's IMDS is
	// reachable from the host only); App Service's header still works.
	remote := func(method, path string, q url.Values, hdr ...string) int {
		req := httptest.NewRequest(method, path+"?"+q.Encode(), nil)
		req.RemoteAddr = "192.0.2.7:40000"
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, req.WithContext(wire.WithTrace(req.Context(), &wire.Trace{RequestID: "req"})))
		return w.Code
	}
	if code := remote("GET", IMDSPath, imds(), "Metadata", "true"); code != http.StatusForbidden {
		t.Errorf("IMDS from another host: %d", code)
	}
	if code := remote("GET", ManagedIdentityPath, appService(), "X-IDENTITY-HEADER", worker.Header); code != http.StatusOK {
		t.Errorf("App Service protocol from another host: %d", code)
	}

	// A deleted identity's header opens nothing at once.
	if err := s.ManagedIdentities.Delete(t.Context(), "worker"); err != nil {
		t.Fatal(err)
	}
	if status, body := do("GET", ManagedIdentityPath, appService(), nil, "X-IDENTITY-HEADER", worker.Header); status != 401 {
		t.Errorf("deleted identity: %d %v", status, body)
	}
	if _, err := s.Clients.Get(t.Context(), worker.ClientID); err == nil {
		t.Error("the deleted identity's service principal is still there")
	}
	// Headers are sealed at rest, never stored in clear.
	list, err := store.ListManagedIdentities(t.Context())
	if err != nil || len(list) != 1 || strings.Contains(string(list[0].HeaderSealed), web.Header) {
		t.Errorf("stored identities %v %v", list, err)
	}
}

// Identities created or deleted by another process (the CLI, another node)
// are seen within the snapshot's age, without a restart.
func TestManagedIdentitiesOfAnotherProcess(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		clock := testkit.NewClock(testEpoch)
		s, f := testService(t, store, func(c *Config) { c.Now = clock.Now })
		other := NewManagedIdentities(store, f.box, s.Clients, clock.Now)
		if _, err := s.ManagedIdentities.byHeaderValue(t.Context(), "nothing yet"); err == nil {
			t.Fatal("an unknown header was accepted")
		}
		made, err := other.Create(t.Context(), f.tenant, "cli-made")
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(snapshotMaxAge)
		if mi, err := s.ManagedIdentities.byHeaderValue(t.Context(), made.Header); err != nil || mi.ClientID != made.ClientID {
			t.Fatalf("an identity made elsewhere, after %s: %v %v", snapshotMaxAge, mi, err)
		}
		if err := other.Delete(t.Context(), "cli-made"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(snapshotMaxAge)
		if _, err := s.ManagedIdentities.byHeaderValue(t.Context(), made.Header); err == nil {
			t.Error("an identity deleted elsewhere still answers")
		}
	})
}
