package identity

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/azuretest"
	"github.com/tokend-dev/tokend/internal/testkit"
)

const appRedirect = "http://localhost:8400/"

// codeRequest is an authorization request of the public client for a
// code with PKCE.
func (e *userEnv) codeRequest(challenge string) url.Values {
	return url.Values{
		"client_id": {e.public.ID}, "response_type": {"code"}, "redirect_uri": {appRedirect},
		"scope": {armScope + " openid profile offline_access"}, "state": {"st-1"}, "nonce": {"n-1"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
}

// redeem exchanges a code for the public client.
func (e *userEnv) redeem(t *testing.T, code, verifier, redirect string) (int, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {e.public.ID}, "code": {code},
		"redirect_uri": {redirect}, "code_verifier": {verifier}, "scope": {armScope + " openid offline_access"}}
	status, m, _ := e.token(t, form)
	return status, m
}

// signedInCode runs the flow in b (signing in unless b has a session)
// and returns the code.
func (e *userEnv) signedInCode(t *testing.T, b *testBrowser, challenge string) string {
	t.Helper()
	p := b.authorize(e.codeRequest(challenge))
	if p.isSignInForm() {
		p = b.signIn(p, "ada@contoso.example", e.pw)
	}
	target, ans := p.answer(t)
	if target != appRedirect || ans.Get("code") == "" || ans.Get("state") != "st-1" {
		t.Fatalf("answer to %s: %v", target, ans)
	}
	return ans.Get("code")
}

func TestAuthorizationCodeFlow(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testAuthorizationCodeFlow)
}

func testAuthorizationCodeFlow(t *testing.T, store tokend.Store) {
	e := newUserEnv(t, store)
	ctx := context.Background()
	b := newTestBrowser(t, e)
	verifier, challenge := pkce("a")

	// The form first: a wrong password shows it again, nothing goes to the app.
	form := b.authorize(e.codeRequest(challenge))
	if !form.isSignInForm() || !strings.Contains(form.header.Get("Content-Security-Policy"), "form-action 'self' http://localhost:8400") {
		t.Fatalf("authorize: %d %v %s", form.status, form.header, form.body)
	}
	again := b.signIn(form, "ada@contoso.example", "wrong password")
	if !again.isSignInForm() || !strings.Contains(again.body, "Your account or password is incorrect") || again.location != "" {
		t.Fatalf("wrong password: %d %s", again.status, again.location)
	}
	target, ans := b.signIn(again, "ada@contoso.example", e.pw).answer(t)
	if target != appRedirect || ans.Get("state") != "st-1" || !strings.HasPrefix(ans.Get("code"), authCodePrefix) {
		t.Fatalf("answer to %s: %v", target, ans)
	}
	code := ans.Get("code")

	// The exchange: tokens for the user, the ID token bound to the nonce.
	status, m := e.redeem(t, code, verifier, appRedirect)
	if status != http.StatusOK {
		t.Fatalf("code exchange: %d %v", status, m)
	}
	at := azuretest.JWTClaims(t, m["access_token"].(string))
	if at["oid"] != e.user.ObjectID || at["aud"] != ResourceManagement || at["scp"] != "user_impersonation" || at["azpacr"] != "0" {
		t.Errorf("access token %v", at)
	}
	idt := azuretest.JWTClaims(t, m["id_token"].(string))
	if idt["nonce"] != "n-1" || idt["aud"] != e.public.ID || idt["auth_time"] == nil {
		t.Errorf("ID token %v", idt)
	}
	rt, _ := m["refresh_token"].(string)
	if !isRefreshToken(rt) {
		t.Fatalf("no refresh token: %v", m)
	}
	if _, err := e.svc.Authenticate(ctx, bearerRequest(m["access_token"].(string)), tokend.AudienceManagement); err != nil {
		t.Fatalf("the code's access token does not authenticate: %v", err)
	}

	// The refresh token works (and rotates).
	status, m2, _ := e.token(t, url.Values{"grant_type": {"refresh_token"}, "client_id": {e.public.ID}, "refresh_token": {rt}})
	if status != http.StatusOK {
		t.Fatalf("refresh: %d %v", status, m2)
	}

	// A replay of the code is refused and revokes what the first exchange issued.
	status, m3 := e.redeem(t, code, verifier, appRedirect)
	wantOAuthError(t, status, m3, http.StatusBadRequest, "invalid_grant", "54005")
	if _, err := e.svc.Authenticate(ctx, bearerRequest(m["access_token"].(string)), tokend.AudienceManagement); err == nil {
		t.Error("the access token of a replayed code still authenticates")
	}
	status, m4, _ := e.token(t, url.Values{"grant_type": {"refresh_token"}, "client_id": {e.public.ID}, "refresh_token": {m2["refresh_token"].(string)}})
	wantOAuthError(t, status, m4, http.StatusBadRequest, "invalid_grant", "50173")

	// The browser is signed in: the next authorization skips the form.
	next := b.authorize(e.codeRequest(challenge))
	if target, ans := next.answer(t); target != appRedirect || ans.Get("code") == "" {
		t.Fatalf("session reuse: %v", ans)
	}
	// prompt=none answers silently with a session; prompt=login forces the form.
	silent := e.codeRequest(challenge)
	silent.Set("prompt", "none")
	if _, ans := b.authorize(silent).answer(t); ans.Get("code") == "" {
		t.Fatalf("prompt=none with a session: %v", ans)
	}
	forced := e.codeRequest(challenge)
	forced.Set("prompt", "login")
	if p := b.authorize(forced); !p.isSignInForm() {
		t.Fatalf("prompt=login with a session: %d %s", p.status, p.location)
	}
	// A login_hint naming someone else is not answered from the session.
	other := e.codeRequest(challenge)
	other.Set("login_hint", "grace@contoso.example")
	if p := b.authorize(other); !p.isSignInForm() || !strings.Contains(p.body, `value="grace@contoso.example"`) {
		t.Fatalf("another user's hint: %d %s", p.status, p.location)
	}

	// Sign-out ends the session: prompt=none now needs a sign-in.
	lo := b.do(http.MethodGet, e.URL+"/"+e.tenant+"/oauth2/v2.0/logout?"+url.Values{
		"client_id": {e.public.ID}, "post_logout_redirect_uri": {"http://localhost:8400/"}, "state": {"bye"}}.Encode(), nil)
	if lo.status != http.StatusFound || lo.location != "http://localhost:8400/?state=bye" {
		t.Fatalf("logout: %d %q", lo.status, lo.location)
	}
	_, ans = b.authorize(silent).answer(t)
	if ans.Get("error") != "login_required" || ans.Get("state") != "st-1" || !strings.HasPrefix(ans.Get("error_description"), "AADSTS50058:") {
		t.Fatalf("prompt=none after logout: %v", ans)
	}
}

func TestAuthorizationCodeRefusals(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testAuthorizationCodeRefusals)
}

func testAuthorizationCodeRefusals(t *testing.T, store tokend.Store) {
	e := newUserEnv(t, store)
	verifier, challenge := pkce("b")
	b := newTestBrowser(t, e)

	cases := []struct {
		name    string
		edit    func(url.Values)
		redeem  func() (int, map[string]any)
		status  int
		code    string
		aadsts  string
		advance time.Duration
	}{
		{name: "PKCE verifier mismatch", redeem: func() (int, map[string]any) {
			other, _ := pkce("c")
			return e.redeem(t, e.signedInCode(t, b, challenge), other, appRedirect)
		}, status: 400, code: "invalid_grant", aadsts: "50148"},
		{name: "no verifier", redeem: func() (int, map[string]any) {
			return e.redeem(t, e.signedInCode(t, b, challenge), "", appRedirect)
		}, status: 400, code: "invalid_request", aadsts: "900144"},
		{name: "redirect URI mismatch", redeem: func() (int, map[string]any) {
			return e.redeem(t, e.signedInCode(t, b, challenge), verifier, "http://localhost:8401/")
		}, status: 400, code: "invalid_grant", aadsts: "500112"},
		{name: "another client", redeem: func() (int, map[string]any) {
			code := e.signedInCode(t, b, challenge)
			other, _, err := e.svc.Clients.Register(context.Background(), Registration{TenantID: e.tenant, DisplayName: "other", Public: true, RedirectURIs: []string{"http://localhost"}})
			if err != nil {
				t.Fatal(err)
			}
			status, m, _ := e.token(t, url.Values{"grant_type": {"authorization_code"}, "client_id": {other.ID}, "code": {code},
				"redirect_uri": {appRedirect}, "code_verifier": {verifier}})
			return status, m
		}, status: 400, code: "invalid_grant", aadsts: "70000"},
		{name: "expired", redeem: func() (int, map[string]any) {
			code := e.signedInCode(t, b, challenge)
			e.clock.Advance(authCodeLifetime + time.Second)
			return e.redeem(t, code, verifier, appRedirect)
		}, status: 400, code: "invalid_grant", aadsts: "70008"},
		{name: "forged", redeem: func() (int, map[string]any) {
			return e.redeem(t, authCodePrefix+"AAAA", verifier, appRedirect)
		}, status: 400, code: "invalid_grant", aadsts: "9002313"},
	}
	for _, tc := range cases {
		status, m := tc.redeem()
		t.Run(tc.name, func(t *testing.T) { wantOAuthError(t, status, m, tc.status, tc.code, tc.aadsts) })
	}
}

func TestAuthorizeRequestRefusals(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testAuthorizeRequestRefusals)
}

func testAuthorizeRequestRefusals(t *testing.T, store tokend.Store) {
	e := newUserEnv(t, store)
	_, challenge := pkce("d")
	b := newTestBrowser(t, e)

	// Refused on a page, never redirected: the client or its redirect URI
	// is not what was registered (the open-redirect attempts among them).
	pages := []struct {
		name string
		edit func(url.Values)
		code string
	}{
		{"unknown client", func(v url.Values) { v.Set("client_id", "6c1f8b9e-0000-4000-8000-000000000000") }, "AADSTS700016"},
		{"no client", func(v url.Values) { v.Del("client_id") }, "AADSTS900144"},
		{"unregistered redirect", func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") }, "AADSTS50011"},
		{"loopback lookalike host", func(v url.Values) { v.Set("redirect_uri", "http://localhost.evil.example/") }, "AADSTS50011"},
		{"userinfo trick", func(v url.Values) { v.Set("redirect_uri", "http://localhost@evil.example/") }, "AADSTS50011"},
		{"scheme-relative", func(v url.Values) { v.Set("redirect_uri", "//evil.example/") }, "AADSTS50011"},
		{"other path", func(v url.Values) { v.Set("redirect_uri", "http://localhost:8400/evil") }, "AADSTS50011"},
		{"https loopback", func(v url.Values) { v.Set("redirect_uri", "https://localhost:8400/") }, "AADSTS50011"},
		{"fragment", func(v url.Values) { v.Set("redirect_uri", "http://localhost:8400/#x") }, "AADSTS50011"},
	}
	for _, tc := range pages {
		t.Run(tc.name, func(t *testing.T) {
			req := e.codeRequest(challenge)
			tc.edit(req)
			p := b.authorize(req)
			if p.status != http.StatusBadRequest || p.location != "" || !strings.Contains(p.body, tc.code) {
				t.Fatalf("%d %q %s", p.status, p.location, p.body)
			}
		})
	}

	// Every later error goes back to the redirect URI with state.
	redirected := []struct {
		name, code, aadsts string
		edit               func(url.Values)
		fragment           bool
	}{
		{"missing challenge, public client", "invalid_request", "9002325", func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }, false},
		{"plain method", "invalid_request", "9002313", func(v url.Values) { v.Set("code_challenge_method", "plain") }, false},
		{"short challenge", "invalid_request", "501491", func(v url.Values) { v.Set("code_challenge", "abc") }, false},
		{"unknown response type", "unsupported_response_type", "70005", func(v url.Values) { v.Set("response_type", "magic") }, false},
		{"no response type", "invalid_request", "900144", func(v url.Values) { v.Del("response_type") }, false},
		{"unknown response mode", "invalid_request", "9002313", func(v url.Values) { v.Set("response_mode", "web_message") }, false},
		{"tokens in a query", "invalid_request", "9002313", func(v url.Values) { v.Set("response_type", "id_token"); v.Set("response_mode", "query") }, true},
		{"id_token without nonce", "invalid_request", "900144", func(v url.Values) { v.Set("response_type", "code id_token"); v.Del("nonce") }, true},
		{"unknown prompt", "invalid_request", "9002313", func(v url.Values) { v.Set("prompt", "maybe") }, false},
		{"unknown resource", "invalid_resource", "500011", func(v url.Values) { v.Set("scope", "https://nowhere.example/.default") }, false},
		{"prompt=none without a session", "login_required", "50058", func(v url.Values) { v.Set("prompt", "none") }, false},
	}
	for _, tc := range redirected {
		t.Run(tc.name, func(t *testing.T) {
			req := e.codeRequest(challenge)
			tc.edit(req)
			p := b.authorize(req)
			if p.status != http.StatusFound || strings.Contains(p.location, "#") != tc.fragment {
				t.Fatalf("%d %q %s", p.status, p.location, p.body)
			}
			target, ans := p.answer(t)
			if target != appRedirect || ans.Get("error") != tc.code || ans.Get("state") != "st-1" ||
				!strings.HasPrefix(ans.Get("error_description"), "AADSTS"+tc.aadsts+":") {
				t.Fatalf("to %s: %v", target, ans)
			}
		})
	}

	// The form's CSRF token is required.
	form := b.authorize(e.codeRequest(challenge))
	action, fields := form.form(t)
	fields.Del("csrf")
	fields.Set("username", "ada@contoso.example")
	fields.Set("password", e.pw)
	if p := b.do(http.MethodPost, e.URL+action, fields); p.status != http.StatusForbidden || p.location != "" {
		t.Fatalf("no CSRF token: %d %q", p.status, p.location)
	}
}

func TestAuthorizeResponseModes(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testAuthorizeResponseModes)
}

func testAuthorizeResponseModes(t *testing.T, store tokend.Store) {
	e := newUserEnv(t, store)
	verifier, challenge := pkce("e")
	b := newTestBrowser(t, e)
	e.signedInCode(t, b, challenge) // a session

	cases := []struct {
		name, responseType, mode string
		want                     []string
	}{
		{"code in a fragment", "code", "fragment", []string{"code"}},
		{"code by form post", "code", "form_post", []string{"code"}},
		{"code and ID token", "code id_token", "", []string{"code", "id_token"}},
		{"ID token by form post", "id_token", "form_post", []string{"id_token"}},
		{"implicit ID and access token", "id_token token", "", []string{"id_token", "access_token"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := e.codeRequest(challenge)
			req.Set("response_type", tc.responseType)
			if tc.mode != "" {
				req.Set("response_mode", tc.mode)
			}
			p := b.authorize(req)
			if tc.mode == "form_post" {
				csp := p.header.Get("Content-Security-Policy")
				if !strings.Contains(csp, "form-action http://localhost:8400;") || !strings.Contains(csp, "script-src 'nonce-") ||
					!strings.Contains(p.body, `id="continue"`) {
					t.Fatalf("form_post page: %s\n%s", csp, p.body)
				}
			}
			target, ans := p.answer(t)
			if target != appRedirect || ans.Get("state") != "st-1" {
				t.Fatalf("to %s: %v", target, ans)
			}
			for _, k := range tc.want {
				if ans.Get(k) == "" {
					t.Fatalf("no %s in %v", k, ans)
				}
			}
			if idt := ans.Get("id_token"); idt != "" {
				c := azuretest.JWTClaims(t, idt)
				if c["nonce"] != "n-1" || c["aud"] != e.public.ID {
					t.Errorf("ID token %v", c)
				}
				if code := ans.Get("code"); code != "" && c["c_hash"] != leftHalfHash(e.svc.signingAlg(), code) {
					t.Errorf("c_hash %v", c["c_hash"])
				}
				if at := ans.Get("access_token"); at != "" && c["at_hash"] != leftHalfHash(e.svc.signingAlg(), at) {
					t.Errorf("at_hash %v", c["at_hash"])
				}
			}
			if code := ans.Get("code"); code != "" {
				if status, m := e.redeem(t, code, verifier, appRedirect); status != http.StatusOK {
					t.Fatalf("redeem: %d %v", status, m)
				}
			}
		})
	}
}

func TestConfidentialCodeFlow(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testConfidentialCodeFlow)
}

// A confidential web app: no PKCE needed, its secret at the exchange,
// the v1 endpoints.
func testConfidentialCodeFlow(t *testing.T, store tokend.Store) {
	e := newUserEnv(t, store)
	ctx := context.Background()
	web, secret, err := e.svc.Clients.Register(ctx, Registration{TenantID: e.tenant, DisplayName: "web", RedirectURIs: []string{"https://app.example/signin-oidc"}})
	if err != nil {
		t.Fatal(err)
	}
	b := newTestBrowser(t, e)
	p := b.do(http.MethodGet, e.URL+"/"+e.tenant+"/oauth2/authorize?"+url.Values{"client_id": {web.ID}, "response_type": {"code"},
		"redirect_uri": {"https://app.example/signin-oidc"}, "resource": {"https://management.core.windows.net/"}, "response_mode": {"form_post"}}.Encode(), nil)
	target, ans := b.signIn(p, "ada@contoso.example", e.pw).answer(t)
	if target != "https://app.example/signin-oidc" || ans.Get("code") == "" {
		t.Fatalf("answer to %s: %v", target, ans)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {web.ID}, "code": {ans.Get("code")}, "redirect_uri": {target}}
	// Without its secret the exchange is refused; with it, tokens (v1 fields).
	resp, body := e.post(t, "/"+e.tenant+"/oauth2/token", form, nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without a secret: %d %s", resp.StatusCode, body)
	}
	form.Set("client_secret", secret)
	resp, body = e.post(t, "/"+e.tenant+"/oauth2/token", form, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"resource":"https://management.core.windows.net/"`) {
		t.Fatalf("with the secret: %d %s", resp.StatusCode, body)
	}

	// Sign-out redirects only to a registered URI of the client the
	// request names (client_id or the ID token hint's audience).
	logout := func(v url.Values) *page {
		return b.do(http.MethodPost, e.URL+"/"+e.tenant+"/oauth2/v2.0/logout", v)
	}
	cases := []struct {
		name     string
		params   url.Values
		location string
	}{
		{"registered", url.Values{"client_id": {web.ID}, "post_logout_redirect_uri": {"https://app.example/signin-oidc"}}, "https://app.example/signin-oidc"},
		{"open redirect", url.Values{"client_id": {web.ID}, "post_logout_redirect_uri": {"https://evil.example/"}}, ""},
		{"no client", url.Values{"post_logout_redirect_uri": {"https://app.example/signin-oidc"}}, ""},
		{"another client's URI", url.Values{"client_id": {e.public.ID}, "post_logout_redirect_uri": {"https://app.example/signin-oidc"}}, ""},
		{"forged hint", url.Values{"id_token_hint": {"eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4In0."}, "post_logout_redirect_uri": {"https://app.example/signin-oidc"}}, ""},
		{"no redirect", url.Values{"client_id": {web.ID}}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := logout(tc.params)
			if p.location != tc.location || (tc.location == "" && (p.status != http.StatusOK || !strings.Contains(p.body, "You signed out"))) {
				t.Fatalf("%d %q %s", p.status, p.location, p.body)
			}
		})
	}
	// An ID token of the public client names it.
	_, challenge := pkce("f")
	req := e.codeRequest(challenge)
	req.Set("response_type", "code id_token")
	_, ans = b.signIn(b.authorize(req), "ada@contoso.example", e.pw).answer(t)
	p = logout(url.Values{"id_token_hint": {ans.Get("id_token")}, "post_logout_redirect_uri": {"http://localhost:9999/"}})
	if p.status != http.StatusFound || p.location != "http://localhost:9999/" {
		t.Fatalf("logout by ID token hint: %d %q", p.status, p.location)
	}
}

func TestConcurrentCodeRedemptions(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testConcurrentCodeRedemptions)
}

// Redemptions of one code at once: one gets tokens, every other is
// refused as a replay and revokes what the winner got.
func testConcurrentCodeRedemptions(t *testing.T, store tokend.Store) {
	e := newUserEnv(t, store)
	verifier, challenge := pkce("g")
	code := e.signedInCode(t, newTestBrowser(t, e), challenge)
	const n = 8
	type result struct {
		status int
		m      map[string]any
	}
	results := make(chan result, n)
	for range n {
		go func() {
			status, m := e.redeem(t, code, verifier, appRedirect)
			results <- result{status, m}
		}()
	}
	var granted []map[string]any
	for range n {
		r := <-results
		if r.status == http.StatusOK {
			granted = append(granted, r.m)
			continue
		}
		wantOAuthError(t, r.status, r.m, http.StatusBadRequest, "invalid_grant", "54005")
	}
	if len(granted) != 1 {
		t.Fatalf("%d redemptions of one code got tokens, want 1", len(granted))
	}
	// The replays, answered after the winner's family was stored, revoked it.
	status, m, _ := e.token(t, url.Values{"grant_type": {"refresh_token"}, "client_id": {e.public.ID}, "refresh_token": {granted[0]["refresh_token"].(string)}})
	wantOAuthError(t, status, m, http.StatusBadRequest, "invalid_grant", "50173")
	if _, err := e.svc.Authenticate(t.Context(), bearerRequest(granted[0]["access_token"].(string)), tokend.AudienceManagement); err == nil {
		t.Error("the winner's access token still authenticates after the replays")
	}
}
