package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/internal/testkit"
	"github.com/tokend-dev/tokend/playwright"
)

// cheapPasswords keeps argon2id fast in tests; the default parameters'
// cost is what BenchmarkPasswordHash measures.
var cheapPasswords = PasswordParams{MemoryKiB: 64, Time: 1, Threads: 1}

const armScope = "https://management.core.windows.net//.default"

// userEnv is a server with a user and a public client.
type userEnv struct {
	*testServer
	clock  *testkit.Clock
	user   *tokend.User
	pw     string
	public *tokend.Client
}

func newUserEnv(t *testing.T, store tokend.Store) *userEnv {
	t.Helper()
	clock := testkit.NewClock(time.Now())
	ts := startServer(t, store, func(c *Config) { c.PasswordParams, c.Now = cheapPasswords, clock.Now })
	ctx := context.Background()
	user, _, err := ts.svc.Users.Create(ctx, ts.tenant, "ada@contoso.example", "Ada Lovelace", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	public, _, err := ts.svc.Clients.Register(ctx, Registration{TenantID: ts.tenant, DisplayName: "cli", Public: true,
		RedirectURIs: []string{"http://localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	return &userEnv{testServer: ts, clock: clock, user: user, pw: "correct horse battery", public: public}
}

// token posts a token request and decodes the answer (or the error).
func (e *userEnv) token(t *testing.T, form url.Values) (int, map[string]any, http.Header) {
	t.Helper()
	resp, body := e.post(t, "/"+e.tenant+"/oauth2/v2.0/token", form, nil)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("token answer %d is not JSON: %s", resp.StatusCode, body)
	}
	return resp.StatusCode, m, resp.Header
}

func (e *userEnv) passwordForm(user, pw, scope string) url.Values {
	return url.Values{"grant_type": {"password"}, "client_id": {e.public.ID}, "username": {user}, "password": {pw},
		"scope": {scope}, "client_info": {"1"}}
}

func wantOAuthError(t *testing.T, status int, m map[string]any, wantStatus int, code, aadsts string) {
	t.Helper()
	desc, _ := m["error_description"].(string)
	if status != wantStatus || m["error"] != code || !strings.HasPrefix(desc, "AADSTS"+aadsts+":") {
		t.Fatalf("answer %d %v, want %d %s AADSTS%s", status, m, wantStatus, code, aadsts)
	}
}

func TestPasswordGrant(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testPasswordGrant)
}

func testPasswordGrant(t *testing.T, store tokend.Store) {
	e := newUserEnv(t, store)
	status, m, _ := e.token(t, e.passwordForm("ADA@contoso.example", e.pw, armScope+" openid profile offline_access"))
	if status != http.StatusOK {
		t.Fatalf("password grant: %d %v", status, m)
	}
	at := azuretest.JWTClaims(t, m["access_token"].(string))
	for k, want := range map[string]any{
		"aud": ResourceManagement, "idtyp": "user", "scp": "user_impersonation", "oid": e.user.ObjectID,
		"upn": "ada@contoso.example", "preferred_username": "ada@contoso.example", "name": "Ada Lovelace",
		"tid": e.tenant, "azp": e.public.ID, "azpacr": "0",
	} {
		if at[k] != want {
			t.Errorf("access token %s = %v, want %v", k, at[k], want)
		}
	}
	if _, ok := at["roles"]; ok {
		t.Error("a user token carries roles")
	}
	idt := azuretest.JWTClaims(t, m["id_token"].(string))
	if idt["aud"] != e.public.ID || idt["sub"] != at["sub"] || idt["oid"] != e.user.ObjectID || idt["iss"] != at["iss"] {
		t.Errorf("ID token %v does not match the access token %v", idt, at)
	}
	if at["sub"] == e.user.ObjectID || len(at["sub"].(string)) != 43 {
		t.Errorf("sub %v is not a pairwise subject", at["sub"])
	}
	ci, _ := base64.RawURLEncoding.DecodeString(m["client_info"].(string))
	if !strings.Contains(string(ci), `"uid":"`+e.user.ObjectID+`"`) || !strings.Contains(string(ci), `"utid":"`+e.tenant+`"`) {
		t.Errorf("client_info = %s", ci)
	}
	if rt, _ := m["refresh_token"].(string); !isRefreshToken(rt) {
		t.Errorf("refresh_token = %.20q", rt)
	}
	if got := m["scope"]; got != "https://management.core.windows.net//user_impersonation https://management.core.windows.net//.default openid profile offline_access" {
		t.Errorf("scope = %v", got)
	}
	// The token opens ARM as the user.
	p, err := e.svc.Authenticate(context.Background(), bearerRequest(m["access_token"].(string)), tokend.AudienceManagement)
	if err != nil || p.ObjectID != e.user.ObjectID {
		t.Fatalf("ARM authentication of the user's token: %v %+v", err, p)
	}

	// Without offline_access, no refresh token; without openid, no ID token.
	_, m, _ = e.token(t, e.passwordForm(e.user.UserPrincipalName, e.pw, armScope))
	if m["refresh_token"] != nil || m["id_token"] != nil || m["access_token"] == nil {
		t.Errorf("ARM scope alone answered %v", m)
	}

	// An unknown user and a wrong password get the same answer.
	for _, f := range []url.Values{
		e.passwordForm(e.user.UserPrincipalName, "wrong password", armScope),
		e.passwordForm("nobody@contoso.example", e.pw, armScope),
	} {
		status, m, _ := e.token(t, f)
		wantOAuthError(t, status, m, http.StatusBadRequest, "invalid_grant", "50126")
	}
	// A confidential client must authenticate.
	conf, _ := mustClient(t, e.svc, "", "")
	f := e.passwordForm(e.user.UserPrincipalName, e.pw, armScope)
	f.Set("client_id", conf.ID)
	status, m, _ = e.token(t, f)
	wantOAuthError(t, status, m, http.StatusUnauthorized, "invalid_client", "7000218")
	// Missing parameters are named.
	f = e.passwordForm(e.user.UserPrincipalName, "", armScope)
	status, m, _ = e.token(t, f)
	wantOAuthError(t, status, m, http.StatusBadRequest, "invalid_request", "900144")
	if !strings.Contains(m["error_description"].(string), "'password'") {
		t.Errorf("missing password: %v", m["error_description"])
	}
	// Two resources in one request.
	status, m, _ = e.token(t, e.passwordForm(e.user.UserPrincipalName, e.pw, armScope+" "+playwright.AudienceDefinition.Resources[0]+"/.default"))
	wantOAuthError(t, status, m, http.StatusBadRequest, "invalid_scope", "28000")
	// OpenID scopes alone: a Graph token for userinfo.
	_, m, _ = e.token(t, e.passwordForm(e.user.UserPrincipalName, e.pw, "openid profile"))
	if aud := azuretest.JWTClaims(t, m["access_token"].(string))["aud"]; aud != GraphAppID {
		t.Errorf("openid profile: aud %v, want Graph", aud)
	}
}

func TestSignInLockout(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testSignInLockout)
}

func testSignInLockout(t *testing.T, store tokend.Store) {
	e := newUserEnv(t, store)
	wrong := e.passwordForm(e.user.UserPrincipalName, "wrong password", armScope)
	// Four failures lock nothing: the right password still works.
	for range lockoutThreshold - 1 {
		status, m, _ := e.token(t, wrong)
		wantOAuthError(t, status, m, http.StatusBadRequest, "invalid_grant", "50126")
	}
	if status, m, _ := e.token(t, e.passwordForm(e.user.UserPrincipalName, e.pw, armScope)); status != http.StatusOK {
		t.Fatalf("after 4 failures the right password got %d %v", status, m)
	}
	// The good sign-in cleared the count: five more failures lock.
	for range lockoutThreshold {
		e.token(t, wrong)
	}
	status, m, h := e.token(t, e.passwordForm(e.user.UserPrincipalName, e.pw, armScope))
	wantOAuthError(t, status, m, http.StatusBadRequest, "invalid_grant", "50053")
	if h.Get("Retry-After") == "" {
		t.Error("a locked sign-in has no Retry-After")
	}
	// An unknown name locks the same way (no enumeration through the lock).
	ghost := e.passwordForm("ghost@contoso.example", "whatever1", armScope)
	for range lockoutThreshold {
		e.token(t, ghost)
	}
	status, m, _ = e.token(t, ghost)
	wantOAuthError(t, status, m, http.StatusBadRequest, "invalid_grant", "50053")
	// Once the lock has passed, the right password works again.
	e.clock.Advance(lockoutFor(lockoutThreshold) + time.Second)
	if status, m, _ := e.token(t, e.passwordForm(e.user.UserPrincipalName, e.pw, armScope)); status != http.StatusOK {
		t.Fatalf("after the lock the right password got %d %v", status, m)
	}
}

func TestLockoutGrows(t *testing.T) {
	t.Parallel()
	prev := time.Duration(0)
	for n := 1; n < 30; n++ {
		d := lockoutFor(n)
		if n < lockoutThreshold && d != 0 {
			t.Fatalf("%d failures lock for %s", n, d)
		}
		if d < prev || d > maxLockout {
			t.Fatalf("%d failures lock for %s (before: %s)", n, d, prev)
		}
		prev = d
	}
	if prev != maxLockout {
		t.Fatalf("the lock never reaches %s", maxLockout)
	}
}

func TestRefreshTokenRotation(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testRefreshTokenRotation)
}

func testRefreshTokenRotation(t *testing.T, store tokend.Store) {
	e := newUserEnv(t, store)
	_, m, _ := e.token(t, e.passwordForm(e.user.UserPrincipalName, e.pw, armScope+" openid offline_access"))
	rt0 := m["refresh_token"].(string)
	refresh := func(rt, scope string) (int, map[string]any) {
		f := url.Values{"grant_type": {"refresh_token"}, "client_id": {e.public.ID}, "refresh_token": {rt}}
		if scope != "" {
			f.Set("scope", scope)
		}
		status, m, _ := e.token(t, f)
		return status, m
	}
	status, m := refresh(rt0, "")
	if status != http.StatusOK {
		t.Fatalf("refresh: %d %v", status, m)
	}
	rt1 := m["refresh_token"].(string)
	if rt1 == rt0 || m["id_token"] == nil || azuretest.JWTClaims(t, m["access_token"].(string))["aud"] != ResourceManagement {
		t.Fatalf("refresh answered %v", m)
	}
	// The same refresh token for another resource: multi-resource, as Entra's.
	pwRes := playwright.AudienceDefinition.Resources[0]
	status, m = refresh(rt1, pwRes+"/.default")
	if status != http.StatusOK || azuretest.JWTClaims(t, m["access_token"].(string))["aud"] != pwRes {
		t.Fatalf("refresh for the Playwright resource: %d %v", status, m)
	}
	rt2 := m["refresh_token"].(string)
	// rt1 again, within the grace: a retry, answered.
	e.clock.Advance(time.Second)
	if status, m := refresh(rt1, ""); status != http.StatusOK {
		t.Fatalf("a retry within the grace: %d %v", status, m)
	}
	// rt1 again after the grace: reuse, the family is revoked, rt2 too.
	e.clock.Advance(e.svc.cfg.RefreshReuseGrace + time.Second)
	status, m = refresh(rt1, "")
	wantOAuthError(t, status, m, http.StatusBadRequest, "invalid_grant", "50173")
	status, m = refresh(rt2, "")
	wantOAuthError(t, status, m, http.StatusBadRequest, "invalid_grant", "50173")

	// Another client cannot use a user's refresh token.
	_, m, _ = e.token(t, e.passwordForm(e.user.UserPrincipalName, e.pw, armScope+" offline_access"))
	rt := m["refresh_token"].(string)
	other, _, _ := e.svc.Clients.Register(context.Background(), Registration{TenantID: e.tenant, DisplayName: "other", Public: true})
	f := url.Values{"grant_type": {"refresh_token"}, "client_id": {other.ID}, "refresh_token": {rt}}
	status, m, _ = e.token(t, f)
	wantOAuthError(t, status, m, http.StatusBadRequest, "invalid_grant", "70000")
	// A forged or altered token.
	for _, bad := range []string{"nonsense", rt[:len(rt)-2] + "AA", refreshTokenPrefix + "QUJD"} {
		status, m := refresh(bad, "")
		wantOAuthError(t, status, m, http.StatusBadRequest, "invalid_grant", "9002313")
	}
	// Revoked through the revocation endpoint by the public client.
	resp, _ := e.post(t, "/"+e.tenant+"/oauth2/v2.0/revoke", url.Values{"client_id": {e.public.ID}, "token": {rt}, "token_type_hint": {"refresh_token"}}, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	status, m = refresh(rt, "")
	wantOAuthError(t, status, m, http.StatusBadRequest, "invalid_grant", "50173")

	// A password reset revokes the user's refresh tokens.
	_, m, _ = e.token(t, e.passwordForm(e.user.UserPrincipalName, e.pw, armScope+" offline_access"))
	rt = m["refresh_token"].(string)
	if _, _, err := e.svc.Users.ResetPassword(context.Background(), e.tenant, e.user.UserPrincipalName, "another good one"); err != nil {
		t.Fatal(err)
	}
	status, m = refresh(rt, "")
	wantOAuthError(t, status, m, http.StatusBadRequest, "invalid_grant", "50173")
	// Expired by inactivity.
	_, m, _ = e.token(t, e.passwordForm(e.user.UserPrincipalName, "another good one", armScope+" offline_access"))
	rt = m["refresh_token"].(string)
	// (and a deleted user's refresh tokens die with the user)
	_, mb, _ := e.token(t, e.passwordForm(e.user.UserPrincipalName, "another good one", armScope+" offline_access"))
	other2, _, err := e.svc.Users.Create(context.Background(), e.tenant, "gone@contoso.example", "", "password for gone")
	if err != nil {
		t.Fatal(err)
	}
	_, mg, _ := e.token(t, e.passwordForm(other2.UserPrincipalName, "password for gone", armScope+" offline_access"))
	if _, err := e.svc.Users.Delete(context.Background(), e.tenant, other2.ObjectID); err != nil {
		t.Fatal(err)
	}
	status, m = refresh(mg["refresh_token"].(string), "")
	wantOAuthError(t, status, m, http.StatusBadRequest, "invalid_grant", "50173")
	if status, m := refresh(mb["refresh_token"].(string), ""); status != http.StatusOK {
		t.Fatalf("another user's delete broke a refresh: %d %v", status, m)
	}
	e.clock.Advance(e.svc.cfg.RefreshTokenLifetime + time.Minute)
	status, m = refresh(rt, "")
	wantOAuthError(t, status, m, http.StatusBadRequest, "invalid_grant", "700082")
}

func TestOnBehalfOf(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testOnBehalfOf)
}

func testOnBehalfOf(t *testing.T, store tokend.Store) {
	e := newUserEnv(t, store)
	api, apiSecret := mustClient(t, e.svc, "", "")
	if err := e.svc.Clients.SetIdentifierURIs(context.Background(), api.ID, []string{"api://orders"}); err != nil {
		t.Fatal(err)
	}
	_, m, _ := e.token(t, e.passwordForm(e.user.UserPrincipalName, e.pw, "api://orders/access_as_user"))
	userToken := m["access_token"].(string)
	if c := azuretest.JWTClaims(t, userToken); c["aud"] != api.ID || c["scp"] != "access_as_user" {
		t.Fatalf("token for the API: %v", c)
	}
	obo := func(assertion, secret string) (int, map[string]any) {
		f := url.Values{"grant_type": {grantTypeJWTBearer}, "requested_token_use": {"on_behalf_of"}, "assertion": {assertion},
			"client_id": {api.ID}, "client_secret": {secret}, "scope": {armScope}}
		status, m, _ := e.token(t, f)
		return status, m
	}
	status, m := obo(userToken, apiSecret)
	if status != http.StatusOK {
		t.Fatalf("on-behalf-of: %d %v", status, m)
	}
	c := azuretest.JWTClaims(t, m["access_token"].(string))
	if c["oid"] != e.user.ObjectID || c["aud"] != ResourceManagement || c["azp"] != api.ID || c["idtyp"] != "user" {
		t.Fatalf("on-behalf-of token: %v", c)
	}
	// A token for ARM (not for the API), an app token, a wrong secret.
	_, m2, _ := e.token(t, e.passwordForm(e.user.UserPrincipalName, e.pw, armScope))
	status, m = obo(m2["access_token"].(string), apiSecret)
	wantOAuthError(t, status, m, http.StatusBadRequest, "invalid_grant", "50013")
	status, m = obo(mustAccessToken(t, e.svc, api, api.ID), apiSecret)
	wantOAuthError(t, status, m, http.StatusBadRequest, "invalid_grant", "50013")
	status, m = obo(userToken, "wrong")
	if status != http.StatusUnauthorized || m["error"] != "invalid_client" {
		t.Fatalf("wrong secret: %d %v", status, m)
	}
}

func TestUserRealmAndUserInfo(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testUserRealmAndUserInfo)
}

func testUserRealmAndUserInfo(t *testing.T, store tokend.Store) {
	e := newUserEnv(t, store)
	get := func(path, bearer string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, e.URL+path, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := e.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	for _, name := range []string{"ada@contoso.example", "nobody@elsewhere.example"} {
		status, m := get("/common/UserRealm/"+url.PathEscape(name)+"?api-version=1.0", "")
		if status != http.StatusOK || m["account_type"] != "Managed" || m["domain_name"] != strings.Split(name, "@")[1] ||
			m["cloud_audience_urn"] == "" || m["ver"] != "1.0" {
			t.Fatalf("UserRealm %s: %d %v", name, status, m)
		}
	}
	if status, _ := get("/common/userrealm/not-a-upn?api-version=1.0", ""); status != http.StatusBadRequest {
		t.Fatalf("UserRealm of a non-UPN: %d", status)
	}
	_, m, _ := e.token(t, e.passwordForm(e.user.UserPrincipalName, e.pw, "openid profile"))
	status, info := get(UserInfoPath, m["access_token"].(string))
	idt := azuretest.JWTClaims(t, m["id_token"].(string))
	if status != http.StatusOK || info["sub"] != idt["sub"] || info["name"] != "Ada Lovelace" {
		t.Fatalf("userinfo: %d %v (ID token %v)", status, info, idt)
	}
	_, m, _ = e.token(t, e.passwordForm(e.user.UserPrincipalName, e.pw, armScope))
	if status, _ := get(UserInfoPath, m["access_token"].(string)); status != http.StatusUnauthorized {
		t.Fatalf("userinfo with an ARM token: %d", status)
	}
	if status, _ := get(UserInfoPath, ""); status != http.StatusUnauthorized {
		t.Fatalf("userinfo without a token: %d", status)
	}
}

func TestConcurrentRefresh(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testConcurrentRefresh)
}

// testConcurrentRefresh: several redemptions of one refresh token at once
// (tabs, retries) all succeed, within the grace, and the family survives.
func testConcurrentRefresh(t *testing.T, store tokend.Store) {
	e := newUserEnv(t, store)
	_, m, _ := e.token(t, e.passwordForm(e.user.UserPrincipalName, e.pw, armScope+" offline_access"))
	rt := m["refresh_token"].(string)
	const n = 8
	results := make(chan string, n)
	for range n {
		go func() {
			resp, body := e.post(t, "/"+e.tenant+"/oauth2/v2.0/token",
				url.Values{"grant_type": {"refresh_token"}, "client_id": {e.public.ID}, "refresh_token": {rt}}, nil)
			var m map[string]any
			_ = json.Unmarshal(body, &m)
			next, _ := m["refresh_token"].(string)
			if resp.StatusCode != http.StatusOK || next == "" {
				results <- ""
				return
			}
			results <- next
		}()
	}
	var successors []string
	for range n {
		if next := <-results; next != "" {
			successors = append(successors, next)
		}
	}
	if len(successors) != n {
		t.Fatalf("%d of %d concurrent refreshes succeeded", len(successors), n)
	}
	// Each successor is good: the family was not revoked.
	status, m, _ := e.token(t, url.Values{"grant_type": {"refresh_token"}, "client_id": {e.public.ID}, "refresh_token": {successors[0]}})
	if status != http.StatusOK {
		t.Fatalf("successor after concurrent refreshes: %d %v", status, m)
	}
}
