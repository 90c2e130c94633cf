package identity

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/playwright"
	"github.com/tokend-dev/tokend/storage/storagetest"
)

// post sends a form to the test server.
func (ts *testServer) post(t testing.TB, path string, form url.Values, edit func(*http.Request)) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if edit != nil {
		edit(req)
	}
	resp, err := ts.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testTokenEndpoint)
}

func testTokenEndpoint(t *testing.T, store tokend.Store) {
	ts := startServer(t, store, nil)
	id, secret := ts.boot.Client.ID, ts.boot.Secret
	tokenPath := "/" + ts.tenant + "/oauth2/v2.0/token"
	form := func(kv ...string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret},
			"scope": {"https://management.core.windows.net//.default openid offline_access profile"}}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				v.Del(kv[i])
			} else {
				v.Set(kv[i], kv[i+1])
			}
		}
		return v
	}
	basic := func(u, p string) func(*http.Request) {
		return func(r *http.Request) { r.SetBasicAuth(url.QueryEscape(u), url.QueryEscape(p)) }
	}

	for _, tc := range []struct {
		name   string
		path   string
		form   url.Values
		edit   func(*http.Request)
		status int
		err    string // OAuth error code; empty for success
		aadsts int
		aud    string
		basic  bool // expects WWW-Authenticate: Basic
	}{
		{name: "MSAL's ARM request", form: form("claims", `{"access_token":{"xms_cc":{"values":["CP1"]}}}`), status: 200, aud: "https://management.core.windows.net/"},
		{name: "management.azure.com", form: form("scope", "https://management.azure.com/.default"), status: 200, aud: "https://management.azure.com/"},
		{name: "Playwright", form: form("scope", "https://playwright.microsoft.com/.default openid profile offline_access"), status: 200, aud: playwright.Audience},
		{name: "client_secret_basic", form: form("client_id", "", "client_secret", ""), edit: basic(id, secret), status: 200, aud: ResourceManagement},
		{name: "basic with the same client_id in the body", form: form("client_secret", ""), edit: basic(id, secret), status: 200, aud: ResourceManagement},
		{name: "organizations tenant", path: "/organizations/oauth2/v2.0/token", form: form(), status: 200, aud: ResourceManagement},
		{name: "common tenant", path: "/common/oauth2/v2.0/token", form: form(), status: 200, aud: ResourceManagement},
		{name: "v1 resource parameter", path: "/" + ts.tenant + "/oauth2/token", form: form("scope", "", "resource", "https://management.azure.com/"), status: 200, aud: "https://management.azure.com/"},
		{name: "unknown tenant", path: "/00000000-0000-0000-0000-0000000000ff/oauth2/v2.0/token", form: form(), status: 400, err: "invalid_request", aadsts: 90002},
		{name: "tenant not a uuid", path: "/contoso/oauth2/v2.0/token", form: form(), status: 400, err: "invalid_request", aadsts: 90002},
		{name: "no grant_type", form: form("grant_type", ""), status: 400, err: "invalid_request", aadsts: 900144},
		{name: "SAML bearer grant", form: form("grant_type", "urn:ietf:params:oauth:grant-type:saml1_1-bearer"), status: 400, err: "unsupported_grant_type", aadsts: 70003},
		{name: "password grant without username", form: form("grant_type", "password"), status: 400, err: "invalid_request", aadsts: 900144},
		{name: "authorization_code grant without a code", form: form("grant_type", "authorization_code"), status: 400, err: "invalid_request", aadsts: 900144},
		{name: "no client_id", form: form("client_id", ""), status: 400, err: "invalid_request", aadsts: 900144},
		{name: "no secret", form: form("client_secret", ""), status: 401, err: "invalid_client", aadsts: 7000218},
		{name: "client assertion without its type", form: form("client_secret", "", "client_assertion", "x.y.z"), status: 400, err: "invalid_request", aadsts: 700010},
		{name: "malformed client assertion", form: form("client_secret", "", "client_assertion", "x.y.z", "client_assertion_type", ClientAssertionType), status: 401, err: "invalid_client", aadsts: 50027},
		{name: "wrong secret (post)", form: form("client_secret", NewSecret()), status: 401, err: "invalid_client", aadsts: 7000215},
		{name: "wrong secret (basic)", form: form("client_id", "", "client_secret", ""), edit: basic(id, NewSecret()), status: 401, err: "invalid_client", aadsts: 7000215, basic: true},
		{name: "unknown client", form: form("client_id", "11111111-1111-1111-1111-111111111111"), status: 400, err: "unauthorized_client", aadsts: 700016},
		{name: "two authentication methods", form: form(), edit: basic(id, secret), status: 400, err: "invalid_request"},
		{name: "bearer header", form: form(), edit: func(r *http.Request) { r.Header.Set("Authorization", "Bearer x") }, status: 400, err: "invalid_request"},
		{name: "no scope", form: form("scope", ""), status: 400, err: "invalid_request", aadsts: 900144},
		{name: "only OpenID scopes", form: form("scope", "openid profile"), status: 400, err: "invalid_request", aadsts: 900144},
		{name: "scope without .default", form: form("scope", "https://management.azure.com/user_impersonation"), status: 400, err: "invalid_scope", aadsts: 1002012},
		{name: "unknown resource", form: form("scope", "https://graph.microsoft.com/.default"), status: 400, err: "invalid_resource", aadsts: 500011},
		{name: "two resources", form: form("scope", "https://management.azure.com/.default https://playwright.microsoft.com/.default"), status: 400, err: "invalid_scope"},
		{name: "claims not JSON", form: form("claims", "{"), status: 400, err: "invalid_request"},
		{name: "JSON body", form: form(), edit: func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }, status: 400, err: "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if path == "" {
				path = tokenPath
			}
			resp, body := ts.post(t, path, tc.form, tc.edit)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
			}
			if tc.err != "" {
				var e struct {
					Error, ErrorDescription string
					ErrorCodes              []int  `json:"error_codes"`
					TraceID                 string `json:"trace_id"`
					CorrelationID           string `json:"correlation_id"`
					Description             string `json:"error_description"`
				}
				if err := json.Unmarshal(body, &e); err != nil {
					t.Fatal(err)
				}
				if e.Error != tc.err || e.TraceID == "" || e.CorrelationID == "" || e.Description == "" {
					t.Fatalf("error body %s", body)
				}
				if tc.aadsts != 0 && (len(e.ErrorCodes) != 1 || e.ErrorCodes[0] != tc.aadsts) {
					t.Errorf("error_codes %v, want [%d]", e.ErrorCodes, tc.aadsts)
				}
				if got := resp.Header.Get("WWW-Authenticate"); tc.basic != strings.HasPrefix(got, "Basic") {
					t.Errorf("WWW-Authenticate %q", got)
				}
				if strings.Contains(string(body), secret) {
					t.Fatal("the error echoes the secret")
				}
				return
			}
			// Integers, as MSAL requires; a parse into a raw map keeps the JSON types.
			var raw map[string]any
			if err := json.Unmarshal(body, &raw); err != nil {
				t.Fatal(err)
			}
			if raw["token_type"] != "Bearer" || raw["expires_in"] != float64(3600) || raw["ext_expires_in"] != float64(3600) {
				t.Fatalf("response %s", body)
			}
			if strings.Contains(string(body), `"expires_in":"`) {
				t.Fatal("expires_in must be a number")
			}
			c, err := ts.svc.Verify(context.Background(), raw["access_token"].(string))
			if err != nil {
				t.Fatal(err)
			}
			if !c.Audience.Contains(tc.aud) || c.TenantID != ts.tenant || c.ObjectID != ts.boot.Client.ObjectID ||
				c.Issuer != ts.URL+"/"+ts.tenant+"/v2.0" || c.ExpiresAt-c.IssuedAt != 3600 || c.Version != "2.0" || c.IDType != "app" {
				t.Errorf("claims %+v", c)
			}
		})
	}
}

func TestDiscoveryAndJWKS(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testDiscoveryAndJWKS)
}

func testDiscoveryAndJWKS(t *testing.T, store tokend.Store) {
	ts := startServer(t, store, nil)
	get := func(path string) (int, map[string]any) {
		resp, err := ts.HTTP.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	issuer := ts.URL + "/" + ts.tenant + "/v2.0"
	for _, path := range []string{
		"/" + ts.tenant + "/v2.0/.well-known/openid-configuration?", // azidentity's trailing '?'
		"/" + strings.ToUpper(ts.tenant) + "/v2.0/.well-known/openid-configuration",
		"/" + ts.tenant + "/.well-known/openid-configuration",
		"/organizations/v2.0/.well-known/openid-configuration",
	} {
		status, doc := get(path)
		if status != 200 || doc["issuer"] != issuer {
			t.Fatalf("%s: %d issuer %v", path, status, doc["issuer"])
		}
		for _, k := range []string{"authorization_endpoint", "token_endpoint", "jwks_uri", "introspection_endpoint",
			"revocation_endpoint", "response_types_supported", "subject_types_supported",
			"id_token_signing_alg_values_supported", "token_endpoint_auth_methods_supported",
			"grant_types_supported", "scopes_supported", "claims_supported"} {
			if doc[k] == nil {
				t.Errorf("%s: no %s", path, k)
			}
		}
		if doc["token_endpoint"] != ts.URL+"/"+ts.tenant+"/oauth2/v2.0/token" {
			t.Errorf("token_endpoint %v", doc["token_endpoint"])
		}
	}
	for _, path := range []string{"/" + ts.tenant + "/discovery/v2.0/keys", "/" + ts.tenant + "/discovery/keys", "/common/discovery/v2.0/keys"} {
		status, doc := get(path)
		keys, _ := doc["keys"].([]any)
		if status != 200 || len(keys) != 1 {
			t.Fatalf("%s: %d %v", path, status, doc)
		}
		k := keys[0].(map[string]any)
		if k["kid"] == "" || k["alg"] != AlgES256 || k["kty"] != "EC" || k["use"] != "sig" || k["d"] != nil {
			t.Errorf("JWK %v", k)
		}
	}
	if status, _ := get("/00000000-0000-0000-0000-0000000000ff/v2.0/.well-known/openid-configuration"); status != 400 {
		t.Errorf("unknown tenant: %d", status)
	}
	if status, _ := get("/" + ts.tenant + "/nothing/here"); status != 404 {
		t.Errorf("unknown path: %d", status)
	}
	// A wrong method is a 405 in OAuth's shape naming what the endpoint takes.
	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodGet, "/" + ts.tenant + "/oauth2/v2.0/token", "POST"},
		{http.MethodPost, "/" + ts.tenant + "/v2.0/.well-known/openid-configuration", "GET, HEAD"},
		{http.MethodDelete, "/" + ts.tenant + "/discovery/v2.0/keys", "GET, HEAD"},
	} {
		req, _ := http.NewRequest(tc.method, ts.URL+tc.path, nil)
		resp, err := ts.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e struct {
			Error      string `json:"error"`
			ErrorCodes []int  `json:"error_codes"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != tc.allow ||
			e.Error != "invalid_request" || len(e.ErrorCodes) != 1 || e.ErrorCodes[0] != 900561 {
			t.Errorf("%s %s: %s, Allow %q, error %+v", tc.method, tc.path, resp.Status, resp.Header.Get("Allow"), e)
		}
	}
	// HEAD is served wherever GET is.
	resp, err := ts.HTTP.Head(ts.URL + "/" + ts.tenant + "/discovery/v2.0/keys")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD keys: %s", resp.Status)
	}
}

func TestIntrospectionAndRevocation(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testIntrospectionAndRevocation)
}

func testIntrospectionAndRevocation(t *testing.T, store tokend.Store) {
	ts := startServer(t, store, nil)
	ctx := context.Background()
	other, otherSecret := mustClient(t, ts.svc, RoleContributor, "/")
	base := "/" + ts.tenant + "/oauth2/v2.0/"
	creds := func(id, secret string, kv ...string) url.Values {
		v := url.Values{"client_id": {id}, "client_secret": {secret}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	introspect := func(token string) map[string]any {
		resp, body := ts.post(t, base+"introspect", creds(other.ID, otherSecret, "token", token), nil)
		if resp.StatusCode != 200 {
			t.Fatalf("introspect: %d %s", resp.StatusCode, body)
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	bootToken := mustAccessToken(t, ts.svc, ts.boot.Client, ResourceManagement)
	otherToken := mustAccessToken(t, ts.svc, other, ResourceManagement)

	m := introspect(bootToken)
	if m["active"] != true || m["client_id"] != ts.boot.Client.ID || m["sub"] != ts.boot.Client.ObjectID ||
		m["token_type"] != "Bearer" || m["exp"] == nil || m["jti"] == nil || m["iss"] == nil {
		t.Fatalf("introspection %v", m)
	}
	if m := introspect("not.a.token"); m["active"] != false || len(m) != 1 {
		t.Fatalf("garbage: %v", m)
	}
	if resp, _ := ts.post(t, base+"introspect", creds(other.ID, NewSecret(), "token", bootToken), nil); resp.StatusCode != 401 {
		t.Fatalf("introspect with a wrong secret: %d", resp.StatusCode)
	}

	// Validators decide introspection too.
	ts.svc.AddValidator(func(_ context.Context, c *Claims) error {
		if c.ObjectID == "dead" {
			return errForTest
		}
		return nil
	})
	dead, err := ts.svc.ClaimsSigner().Sign(ctx, map[string]any{"aud": "x", "oid": "dead", "exp": ts.svc.cfg.Now().Unix() + 60})
	if err != nil {
		t.Fatal(err)
	}
	if m := introspect(dead); m["active"] != false {
		t.Fatalf("a token its validator refuses is active: %v", m)
	}

	// A Contributor may not revoke another client's token...
	resp, body := ts.post(t, base+"revoke", creds(other.ID, otherSecret, "token", bootToken), nil)
	if resp.StatusCode != 400 || !strings.Contains(string(body), "unauthorized_client") {
		t.Fatalf("revoke someone else's token: %d %s", resp.StatusCode, body)
	}
	// ...but its own, and the bootstrap client (Owner) anyone's.
	if resp, body := ts.post(t, base+"revoke", creds(other.ID, otherSecret, "token", otherToken, "token_type_hint", "access_token"), nil); resp.StatusCode != 200 {
		t.Fatalf("revoke own token: %d %s", resp.StatusCode, body)
	}
	if resp, _ := ts.post(t, base+"revoke", creds(ts.boot.Client.ID, ts.boot.Secret, "token", bootToken), nil); resp.StatusCode != 200 {
		t.Fatalf("owner revokes: %d", resp.StatusCode)
	}
	if resp, _ := ts.post(t, base+"revoke", creds(ts.boot.Client.ID, ts.boot.Secret, "token", "garbage"), nil); resp.StatusCode != 200 {
		t.Fatalf("revoking garbage must be a 200 (RFC 7009 §2.2): %d", resp.StatusCode)
	}
	if resp, _ := ts.post(t, base+"revoke", creds(ts.boot.Client.ID, ts.boot.Secret, "token", bootToken, "token_type_hint", "id_token"), nil); resp.StatusCode != 400 {
		t.Fatalf("id_token hint: %d", resp.StatusCode)
	}
	m = introspect(otherToken)
	if m["active"] != false {
		t.Fatalf("revoked token still active: %v", m)
	}
	_, err = ts.svc.Authenticate(ctx, bearerRequest(bootToken), tokend.AudienceManagement)
	if err == nil {
		t.Fatal("revoked token still authenticates")
	}
}

var errForTest = &testError{"the resource was deleted"}

type testError struct{ s string }

func (e *testError) Error() string { return e.s }

// Each endpoint keeps its bounded route label in metrics (no tenant in it),
// and so do the answers no endpoint owns.
func TestRouteLabels(t *testing.T) {
	t.Parallel()
	ts := startServer(t, storagetest.SQLite(t), nil)
	tenant := "/" + ts.tenant
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, tenant + "/v2.0/.well-known/openid-configuration"},
		{http.MethodGet, "/organizations/.well-known/openid-configuration"},
		{http.MethodGet, tenant + "/discovery/v2.0/keys"},
		{http.MethodPost, tenant + "/oauth2/v2.0/token"},
		{http.MethodPost, tenant + "/oauth2/token"},
		{http.MethodPost, tenant + "/oauth2/v2.0/introspect"},
		{http.MethodPost, tenant + "/oauth2/v2.0/revoke"},
		{http.MethodGet, tenant + "/oauth2/v2.0/authorize"},
		{http.MethodPut, tenant + "/oauth2/v2.0/token"},
		{http.MethodGet, tenant + "/nothing/here"},
	} {
		req, _ := http.NewRequest(r.method, ts.URL+r.path, nil)
		resp, err := ts.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	resp, err := ts.HTTP.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	metrics := string(b)
	for _, want := range []string{
		`tokend_http_requests_total{code="200",method="GET",route="identity:discovery"}`,
		`tokend_http_requests_total{code="200",method="GET",route="identity:jwks"}`,
		`tokend_http_requests_total{code="400",method="POST",route="identity:token"}`,
		`tokend_http_requests_total{code="400",method="POST",route="identity:token-v1"}`,
		`tokend_http_requests_total{code="400",method="POST",route="identity:introspect"}`,
		`tokend_http_requests_total{code="400",method="POST",route="identity:revoke"}`,
		`tokend_http_requests_total{code="400",method="GET",route="identity:authorize"}`,
		`tokend_http_requests_total{code="405",method="PUT",route="identity:method-not-allowed"}`,
		`tokend_http_requests_total{code="404",method="GET",route="identity:not-found"}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(metrics, ts.tenant) {
		t.Error("a route label names the tenant")
	}
}
