package app_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/app"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/seal"
)

// The composition serves every surface from one handler: identity under
// the tenant, ARM behind the bearer check, the providers' namespaces and
// data planes, the managed-identity endpoints and ARM's metadata.
func TestComposition(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		box, err := seal.New(bytes.Repeat([]byte{3}, 32))
		if err != nil {
			t.Fatal(err)
		}
		const tenant = "6f0f7b43-0000-4000-8000-000000000001"
		if err := store.CreateTenant(t.Context(), &tokend.Tenant{ID: tenant, DisplayName: "t", CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		a, err := app.New(t.Context(), app.Config{Store: store, Box: box, TenantID: tenant})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			method, path string
			status       int
		}{
			{"GET", "/" + tenant + "/v2.0/.well-known/openid-configuration", 200},
			{"GET", "/adfs/.well-known/openid-configuration", 200},
			{"GET", "/metadata/endpoints?api-version=2015-01-01", 200},
			{"GET", "//metadata/endpoints?api-version=2015-01-01", 200},
			{"GET", "/subscriptions?api-version=2022-12-01", 401},
			{"GET", "/subscriptions/x/providers/Microsoft.App/containerApps?api-version=2025-01-01", 401},
			{"GET", "/playwright/accounts/eastus_00000000-0000-0000-0000-000000000000?api-version=2024-12-01", 401},
			// httptest's requests come from 192.0.2.1: IMDS on the main
			// listener answers the host itself only.
			{"GET", "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x", 403},
			{"GET", "/msi/token?api-version=2019-08-01&resource=x", 400},
			// The console is mounted: without a session, it sends the
			// browser to sign in.
			{"GET", "/console/", 303},
			{"GET", "/console/nothing-here", 404},
			{"GET", "/admin", 404},
		} {
			w := httptest.NewRecorder()
			a.Handler().ServeHTTP(w, httptest.NewRequest(c.method, "https://tokend.test"+c.path, nil))
			if w.Code != c.status {
				t.Errorf("%s %s: %d, want %d: %s", c.method, c.path, w.Code, c.status, w.Body)
			}
		}
		w := httptest.NewRecorder()
		a.IMDS.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://169.254.169.254/subscriptions", nil))
		if w.Code != http.StatusNotFound {
			t.Errorf("the IMDS listener serves more than IMDS: %d", w.Code)
		}
		// The IMDS listener of its own serves any host its address admits;
		// the Metadata header is still required.
		w = httptest.NewRecorder()
		a.IMDS.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x", nil))
		if w.Code != http.StatusBadRequest {
			t.Errorf("IMDS listener without Metadata: %d", w.Code)
		}
		roles, err := app.Roles(t.Context(), store, box)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"Owner", "Reader", "Playwright Testing Owner"} {
			if _, ok := roles.Lookup(name); !ok {
				t.Errorf("role %q is not in the catalog", name)
			}
		}
	})
}
