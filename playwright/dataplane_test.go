package playwright_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/identity"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/internal/pwclient"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/playwright"
)

const tokenID = "03c3b22e-3370-43d6-a6e7-3957d810225a"

func dataPath(accountID string, rest ...string) string {
	p := "/playwright/accounts/" + accountID
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

func TestAccessTokenLifecycle(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		ctx := context.Background()
		acct := e.createAccount(t, "rg", "acct1")
		c := e.client("good-" + owner)

		expiry := e.clock.Now().Add(48 * time.Hour).Add(700 * time.Millisecond)
		created, err := c.CreateOrReplace(ctx, acct, tokenID, pwclient.AccessToken{Name: ptr("ciToken01"), ExpiryAt: &expiry})
		if err != nil {
			t.Fatal(err)
		}
		if !created.Created || created.JWTToken == nil || *created.JWTToken == "" || *created.ID != tokenID || *created.Name != "ciToken01" ||
			*created.State != pwclient.AccessTokenStateActive || !created.ExpiryAt.Equal(expiry.Truncate(time.Second)) ||
			!created.CreatedAt.Equal(e.clock.Now().Truncate(time.Microsecond)) {
			t.Fatalf("created: %+v", created)
		}
		jwt := *created.JWTToken
		claims := azuretest.JWTClaims(t, jwt)
		if claims["aud"] != playwright.Audience || claims["oid"] != owner || claims["accountId"] != acct || claims["accessTokenId"] != tokenID ||
			claims["exp"] != float64(expiry.Unix()) || !strings.HasSuffix(claims["xms_tkd_res"].(string), "/accounts/acct1") {
			t.Errorf("claims: %v", claims)
		}

		// GET never shows the token again.
		got, err := c.Get(ctx, acct, strings.ToUpper(tokenID))
		if err != nil {
			t.Fatal(err)
		}
		if got.JWTToken != nil || *got.ID != tokenID || !got.CreatedAt.Equal(*created.CreatedAt) {
			t.Errorf("get: %+v", got)
		}

		// The token is a bearer token for its account.
		if _, err := e.client(jwt).GetAccount(ctx, acct); err != nil {
			t.Fatalf("GET account with the access token: %v", err)
		}

		// PUT on the same id replaces it: 200, a new JWT, the old one dead.
		replaced, err := c.CreateOrReplace(ctx, acct, tokenID, pwclient.AccessToken{Name: ptr("ciToken02"), ExpiryAt: &expiry})
		if err != nil {
			t.Fatal(err)
		}
		if replaced.Created || *replaced.Name != "ciToken02" || *replaced.JWTToken == jwt {
			t.Errorf("replace: created=%v %+v", replaced.Created, replaced.AccessToken)
		}
		if _, err := e.client(jwt).GetAccount(ctx, acct); statusOf(err) != http.StatusUnauthorized {
			t.Errorf("replaced token: %v, want 401", err)
		}
		if _, err := e.client(*replaced.JWTToken).GetAccount(ctx, acct); err != nil {
			t.Errorf("replacement token: %v", err)
		}

		// DELETE: 204, the token stops working at once, GET is 404, and
		// deleting again is still 204.
		if _, err := c.Delete(ctx, acct, tokenID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.client(*replaced.JWTToken).GetAccount(ctx, acct); statusOf(err) != http.StatusUnauthorized {
			t.Errorf("deleted token: %v, want 401", err)
		}
		_, err = c.Get(ctx, acct, tokenID)
		if re, ok := err.(*azcore.ResponseError); !ok || re.StatusCode != 404 || re.ErrorCode != "AccessTokenNotFound" {
			t.Errorf("get after delete: %v", err)
		}
		if _, err := c.Delete(ctx, acct, tokenID); err != nil {
			t.Errorf("second delete: %v", err)
		}
		// Created again under the same id, the old JWTs stay dead: the row's
		// hash is the new token's.
		again, err := c.CreateOrReplace(ctx, acct, tokenID, pwclient.AccessToken{Name: ptr("ciToken03"), ExpiryAt: &expiry})
		if err != nil || !again.Created {
			t.Fatalf("create again: %v", err)
		}
		for _, old := range []string{jwt, *replaced.JWTToken} {
			if _, err := e.client(old).GetAccount(ctx, acct); statusOf(err) != http.StatusUnauthorized {
				t.Errorf("an old token works again after its id was reused: %v", err)
			}
		}
	})
}

func TestAccessTokenValidation(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store, func(c *playwright.Config) { c.MaxTokenLifetime = 30 * 24 * time.Hour })
		acct := e.createAccount(t, "rg", "acct1")
		now := e.clock.Now()
		future := now.Add(time.Hour).Format(time.RFC3339)
		cases := []struct {
			name, id, body, contentType string
			status                      int
			code, target                string
		}{
			{"name invalid (the SDK's bad request)", tokenID, `{"name":"1-bad name","expiryAt":"` + future + `"}`, "", 400, "InvalidRequestContent", "name"},
			{"name too short", tokenID, `{"name":"ab","expiryAt":"` + future + `"}`, "", 400, "InvalidRequestContent", "name"},
			{"name missing", tokenID, `{"expiryAt":"` + future + `"}`, "", 400, "InvalidRequestContent", "name"},
			{"name not a string", tokenID, `{"name":5,"expiryAt":"` + future + `"}`, "", 400, "InvalidRequestContent", "name"},
			{"expiry missing", tokenID, `{"name":"abc"}`, "", 400, "InvalidRequestContent", "expiryAt"},
			{"expiry not a date", tokenID, `{"name":"abc","expiryAt":"tomorrow"}`, "", 400, "InvalidRequestContent", "expiryAt"},
			{"expiry in the past", tokenID, `{"name":"abc","expiryAt":"` + now.Add(-time.Minute).Format(time.RFC3339) + `"}`, "", 400, "InvalidRequestContent", "expiryAt"},
			{"expiry within the second", tokenID, `{"name":"abc","expiryAt":"` + now.Add(500*time.Millisecond).Format(time.RFC3339Nano) + `"}`, "", 400, "InvalidRequestContent", "expiryAt"},
			{"expiry beyond the maximum", tokenID, `{"name":"abc","expiryAt":"` + now.Add(31*24*time.Hour).Format(time.RFC3339) + `"}`, "", 400, "InvalidRequestContent", "expiryAt"},
			{"id not UUID-like", "not_a_uuid", `{"name":"abc","expiryAt":"` + future + `"}`, "", 400, "InvalidParameter", "accessTokenId"},
			{"id too long", strings.Repeat("a-", 40) + "a", `{"name":"abc","expiryAt":"` + future + `"}`, "", 400, "InvalidParameter", "accessTokenId"},
			{"body id disagrees", tokenID, `{"id":"00000000-0000-0000-0000-000000000000","name":"abc","expiryAt":"` + future + `"}`, "", 400, "InvalidRequestContent", "id"},
			{"syntax error", tokenID, `{"name":"abc",`, "", 400, "InvalidRequestContent", "body"},
			{"empty body", tokenID, ``, "", 400, "InvalidRequestContent", "body"},
			{"not JSON", tokenID, `name=abc`, "text/plain", 415, "UnsupportedMediaType", ""},
			{"too large", tokenID, `{"name":"` + strings.Repeat("a", 2<<20) + `"}`, "", 413, "RequestEntityTooLarge", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var hdr []string
				if c.contentType != "" {
					hdr = []string{"Content-Type", c.contentType}
				}
				var body any
				if c.body != "" {
					body = c.body
				}
				resp, b := e.do(t, http.MethodPut, dataPath(acct, "access-tokens", c.id)+"?api-version=2024-12-01", body, "good-"+owner, hdr...)
				code, target, _ := errorCode(t, resp, b)
				if resp.StatusCode != c.status || code != c.code || target != c.target {
					t.Errorf("%d %s (target %q), want %d %s (target %q): %.300s", resp.StatusCode, code, target, c.status, c.code, c.target, b)
				}
			})
		}
		// The contract's own example body (read-only id included) is accepted.
		resp, b := e.do(t, http.MethodPut, dataPath(acct, "access-tokens", "00000000-0000-0000-0000-000000000000")+"?api-version=2024-12-01",
			`{"id":"00000000-0000-0000-0000-000000000000","name":"sampleAccessToken","expiryAt":"`+future+`"}`, "good-"+owner)
		if resp.StatusCode != 201 {
			t.Errorf("example body: %d %s", resp.StatusCode, b)
		}
	})
}

func TestDataPlanePipeline(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		acct := e.createAccount(t, "rg", "acct1")
		tok := "good-" + owner
		v := "?api-version=2024-12-01"
		cases := []struct {
			name, method, path, token string
			status                    int
			code, allow               string
		}{
			{"api-version missing", "GET", dataPath(acct, "access-tokens"), tok, 400, "MissingApiVersionParameter", ""},
			{"api-version unknown", "GET", dataPath(acct, "access-tokens") + "?api-version=2023-10-01-preview", tok, 400, "InvalidApiVersionParameter", ""},
			{"no token", "GET", dataPath(acct, "access-tokens") + v, "", 401, "AuthenticationFailed", ""},
			{"bad token", "GET", dataPath(acct, "access-tokens") + v, "a.b.c", 401, "InvalidAuthenticationToken", ""},
			{"unknown account", "GET", dataPath("eastus_00000000-0000-0000-0000-000000000000") + v, tok, 404, "AccountNotFound", ""},
			{"malformed account id", "GET", dataPath("nodash") + v, tok, 400, "InvalidParameter", ""},
			{"unknown token", "GET", dataPath(acct, "access-tokens", "d05db7c1-1bf4-4fe9-95dd-cc1e818dd036") + v, tok, 404, "AccessTokenNotFound", ""},
			{"no data role", "GET", dataPath(acct) + v, "good-" + outsider, 403, "AuthorizationFailed", ""},
			{"no data role: list", "GET", dataPath(acct, "access-tokens") + v, "good-" + outsider, 403, "AuthorizationFailed", ""},
			{"reader cannot create", "PUT", dataPath(acct, "access-tokens", tokenID) + v, "good-" + reader, 403, "AuthorizationFailed", ""},
			{"reader cannot delete", "DELETE", dataPath(acct, "access-tokens", tokenID) + v, "good-" + reader, 403, "AuthorizationFailed", ""},
			{"method not allowed", "POST", dataPath(acct, "access-tokens", tokenID) + v, tok, 405, "MethodNotAllowed", "DELETE, GET, PUT"},
			{"method not allowed on the account", "DELETE", dataPath(acct) + v, tok, 405, "MethodNotAllowed", "GET"},
			{"method not allowed on the dashboard link", "POST", dataPath(acct), "", 405, "MethodNotAllowed", "GET"},
			{"unknown path", "GET", "/playwright/accounts/" + acct + "/sessions" + v, tok, 404, "NotFound", ""},
			{"endpoint root", "GET", "/playwright" + v, tok, 404, "NotFound", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				body := any(nil)
				if c.method == "PUT" {
					body = `{"name":"abc","expiryAt":"` + e.clock.Now().Add(time.Hour).Format(time.RFC3339) + `"}`
				}
				resp, b := e.do(t, c.method, c.path, body, c.token)
				code, _, _ := errorCode(t, resp, b)
				if resp.StatusCode != c.status || code != c.code {
					t.Errorf("%d %s, want %d %s: %s", resp.StatusCode, code, c.status, c.code, b)
				}
				if c.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("401 without a Bearer challenge")
				}
				if c.status == 405 && resp.Header.Get("Allow") != c.allow {
					t.Errorf("Allow = %q, want %q", resp.Header.Get("Allow"), c.allow)
				}
			})
		}
		// A reader reads.
		if _, err := e.client("good-"+reader).GetAccount(context.Background(), acct); err != nil {
			t.Errorf("reader GET account: %v", err)
		}
		pager := e.client("good-"+reader).NewListPager(acct, nil)
		if _, err := pager.NextPage(context.Background()); err != nil {
			t.Errorf("reader list: %v", err)
		}
	})
}

// An access token acts on its own account only, never manages tokens, and
// dies with its row: deleted, expired, or its account deleted.
func TestAccessTokenAsBearer(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		ctx := context.Background()
		acct := e.createAccount(t, "rg", "acct1")
		other := e.createAccount(t, "rg", "acct2")
		owners := e.client("good-" + owner)
		expiry := e.clock.Now().Add(2 * time.Hour)
		created, err := owners.CreateOrReplace(ctx, acct, tokenID, pwclient.AccessToken{Name: ptr("runner"), ExpiryAt: &expiry})
		if err != nil {
			t.Fatal(err)
		}
		jwt := *created.JWTToken
		runner := e.client(jwt)
		if _, err := runner.GetAccount(ctx, acct); err != nil {
			t.Fatalf("own account: %v", err)
		}
		forbidden := func(what string, err error) {
			t.Helper()
			re, ok := err.(*azcore.ResponseError)
			if !ok || re.StatusCode != 403 || re.ErrorCode != "AuthorizationFailed" {
				t.Errorf("%s with an access token: %v, want 403", what, err)
			}
		}
		_, err = runner.GetAccount(ctx, other)
		forbidden("another account", err)
		_, err = runner.NewListPager(acct, nil).NextPage(ctx)
		forbidden("list tokens", err)
		_, err = runner.Get(ctx, acct, tokenID)
		forbidden("get a token", err)
		_, err = runner.CreateOrReplace(ctx, acct, "a1b2c3d4-0000-0000-0000-000000000000", pwclient.AccessToken{Name: ptr("minted"), ExpiryAt: &expiry})
		forbidden("create a token", err)
		_, err = runner.Delete(ctx, acct, tokenID)
		forbidden("delete a token", err)

		// Expiry: the row says Expired and the token is refused.
		e.clock.Advance(2*time.Hour + time.Second)
		if _, err := runner.GetAccount(ctx, acct); statusOf(err) != 401 {
			t.Errorf("expired token: %v, want 401", err)
		}
		got, err := owners.Get(ctx, acct, tokenID)
		if err != nil || *got.State != pwclient.AccessTokenStateExpired {
			t.Errorf("state after expiry: %v %+v", err, got)
		}

		// Deleting the account (here: its resource group) ends its tokens.
		expiry = e.clock.Now().Add(time.Hour)
		created, err = owners.CreateOrReplace(ctx, acct, tokenID, pwclient.AccessToken{Name: ptr("runner"), ExpiryAt: &expiry})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.client(*created.JWTToken).GetAccount(ctx, acct); err != nil {
			t.Fatalf("fresh token: %v", err)
		}
		resp, b := e.do(t, http.MethodDelete, "/subscriptions/"+testSub+"/resourceGroups/rg?api-version=2021-04-01", nil, "good-"+owner)
		if resp.StatusCode != 200 {
			t.Fatalf("delete group: %d %s", resp.StatusCode, b)
		}
		if err := e.svc.ValidatePayload(ctx, mustPayload(t, *created.JWTToken)); err == nil {
			t.Error("the validator accepts a token of a deleted account")
		}
		if _, err := owners.GetAccount(ctx, acct); statusOf(err) != 404 {
			t.Errorf("account after group delete: %v", err)
		}
	})
}

func mustPayload(t *testing.T, jwt string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestValidatePayloadIgnoresOtherTokens(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		for _, p := range []string{
			`{"aud":"https://management.core.windows.net/","oid":"x"}`,
			`{"aud":"https://playwright.microsoft.com","oid":"x","tid":"y"}`,
		} {
			if err := e.svc.ValidatePayload(context.Background(), []byte(p)); err != nil {
				t.Errorf("%s: %v", p, err)
			}
		}
		for _, p := range []string{
			`{"accessTokenId":"x"}`,
			`{"accountId":"eastus_x-1","accessTokenId":"00000000-0000-0000-0000-000000000000"}`,
			`{"accessTokenId":`,
		} {
			if err := e.svc.ValidatePayload(context.Background(), []byte(p)); err == nil {
				t.Errorf("%s: accepted", p)
			}
		}
	})
}

func TestDashboard(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		acct := e.createAccount(t, "rg", "acct1")
		resp, b := e.do(t, http.MethodGet, dataPath(acct), nil, "", "Accept", "text/html,application/xhtml+xml")
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(b), acct) {
			t.Errorf("dashboard page: %d %s", resp.StatusCode, b)
		}
		resp, b = e.do(t, http.MethodGet, dataPath(acct), nil, "")
		var info struct{ AccountID, DataPlaneEndpoint string }
		_ = json.Unmarshal(b, &info)
		if resp.StatusCode != 200 || info.AccountID != acct || info.DataPlaneEndpoint != e.srv.URL+"/playwright" {
			t.Errorf("dashboard JSON: %d %s", resp.StatusCode, b)
		}
		resp, b = e.do(t, http.MethodGet, dataPath("eastus_00000000-0000-0000-0000-000000000000"), nil, "")
		if code, _, _ := errorCode(t, resp, b); resp.StatusCode != 404 || code != "AccountNotFound" {
			t.Errorf("dashboard of an unknown account: %d %s", resp.StatusCode, b)
		}
	})
}

// noStore is a store that must not be touched: describing the provider
// reads nothing.
type noStore struct{ tokend.Store }

// The provider describes the data plane with the roles that grant the data
// actions its routes check and the audience it demands: Playwright Testing
// Owner and Contributor grant every data-plane operation, Reader the reads,
// and Owner's "*" reaches no data, as in Azure. (The roles' own grants are
// identity's roles tests.)
func TestDescribeRolesAndAudience(t *testing.T) {
	t.Parallel()
	svc, err := playwright.New(playwright.Config{Store: noStore{}})
	if err != nil {
		t.Fatal(err)
	}
	p := svc.Describe()
	catalog, err := identity.NewRoleCatalog(p.Roles...)
	if err != nil {
		t.Fatalf("the provider's roles with the built-in ones: %v", err)
	}
	role := func(name string) *identity.Role {
		t.Helper()
		r, ok := catalog.Lookup(name)
		if !ok {
			t.Fatalf("role %q missing", name)
		}
		return r
	}
	// The data plane, and the browsers endpoint at the root.
	if len(p.DataPlanes) != 2 || p.DataPlanes[0].Segment != playwright.MountPath || p.DataPlanes[1].Segment != playwright.LegacyBrowsersSegment {
		t.Fatalf("data planes: %+v", p.DataPlanes)
	}
	dp := p.DataPlanes[0]
	var audience *tokend.AudienceDefinition
	for i, a := range p.Audiences {
		if a.Name == dp.Surface.Audience {
			audience = &p.Audiences[i]
		}
	}
	if dp.Surface.Audience != playwright.SurfaceAudience || audience == nil || !slices.Contains(audience.Accepted, playwright.Audience) {
		t.Errorf("the data plane demands audience %q; the provider declares %+v", dp.Surface.Audience, p.Audiences)
	}
	if !slices.Contains(p.BootstrapRoles, playwright.RoleTestingOwner) {
		t.Errorf("bootstrap roles %v: want %s", p.BootstrapRoles, playwright.RoleTestingOwner)
	}
	operations := 0
	for _, rt := range dp.Routes {
		if rt.Anonymous {
			continue
		}
		operations++
		// Opening browsers (a GET) runs tests: not a Reader's.
		read := rt.Method == http.MethodGet && !strings.HasSuffix(rt.Pattern, "/browsers")
		for _, tc := range []struct {
			role string
			want bool
		}{
			{playwright.RoleTestingOwner, true},
			{playwright.RoleTestingContributor, true},
			{playwright.RoleTestingReader, read},
			{identity.RoleOwner, false},
			{identity.RoleContributor, false},
		} {
			if got := role(tc.role).PermitsData(rt.Action); got != tc.want {
				t.Errorf("%s %s (%s): %s grants it: %v, want %v", rt.Method, rt.Pattern, rt.Action, tc.role, got, tc.want)
			}
		}
	}
	if operations != 6 {
		t.Errorf("%d data-plane operations, want 6", operations)
	}
}

// Data-plane requests are labelled (traces, metrics) by their surface and
// route pattern, never by the raw path: an account id is no label value.
func TestDataPlaneRouteLabels(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, func(t *testing.T, store tokend.Store) {
		e := newEnv(t, store)
		acct := e.createAccount(t, "rg", "acct1")
		tok := "good-" + owner
		v := "?api-version=2024-12-01"
		for _, tc := range []struct {
			method, path, token string
			status              int
			route               string
		}{
			{"GET", dataPath(acct) + v, tok, 200, "playwright:GET /playwright/accounts/{accountId}"},
			{"GET", dataPath(acct, "access-tokens") + v, tok, 200, "playwright:GET /playwright/accounts/{accountId}/access-tokens"},
			{"GET", dataPath(acct, "access-tokens", tokenID) + v, tok, 404, "playwright:GET /playwright/accounts/{accountId}/access-tokens/{accessTokenId}"},
			{"DELETE", dataPath(acct, "access-tokens", tokenID) + v, tok, 204, "playwright:DELETE /playwright/accounts/{accountId}/access-tokens/{accessTokenId}"},
			{"GET", dataPath(acct), "", 200, "playwright:dashboard"},
			{"POST", dataPath(acct, "access-tokens") + v, tok, 405, "playwright:method-not-allowed"},
			{"GET", dataPath(acct, "sessions") + v, tok, 404, "playwright:not-found"},
		} {
			resp, b := e.do(t, tc.method, tc.path, nil, tc.token)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s %s: %d %s", tc.method, tc.path, resp.StatusCode, b)
			}
			metrics := e.metrics(t)
			want := fmt.Sprintf(`tokend_http_requests_total{code="%d",method="%s",route="%s"} 1`, tc.status, tc.method, tc.route)
			if !strings.Contains(metrics, want) {
				t.Errorf("%s %s: no %s in the metrics", tc.method, tc.path, want)
			}
		}
		if metrics := e.metrics(t); strings.Contains(strings.ToLower(metrics), strings.ToLower(acct)) {
			t.Errorf("an account id is a label value:\n%s", metrics)
		}
	})
}

// metrics is the server's /metrics page.
func (e *env) metrics(t *testing.T) string {
	t.Helper()
	resp, err := e.srv.Client().Get(e.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	return string(b)
}
