package identity

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/internal/testkit"
)

var hiddenInput = regexp.MustCompile(`name="(ctx|csrf)" value="([^"]*)"`)

// signInForm shows the sign-in form for a test continuation and returns
// its hidden fields and the CSRF cookie, as a browser would hold them.
func signInForm(t *testing.T, e *userEnv, params any) (url.Values, *http.Cookie, *httptest.ResponseRecorder) {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, e.URL+"/"+e.tenant+"/oauth2/v2.0/authorize", nil)
	e.svc.promptSignIn(rec, req, e.tenant, signInPrompt{Kind: "test", Params: params, App: "Test App", LoginHint: "ada@contoso.example"})
	form := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(rec.Body.String(), -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	var csrf *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == csrfCookieName {
			csrf = c
		}
	}
	if form.Get("ctx") == "" || csrf == nil {
		t.Fatalf("sign-in form without context or CSRF cookie: %s", rec.Body.String())
	}
	return form, csrf, rec
}

func TestSignInForm(t *testing.T) {
	t.Parallel()
	testkit.EachEngine(t, testSignInForm)
}

func testSignInForm(t *testing.T, store tokend.Store) {
	e := newUserEnv(t, store)
	type params struct{ State string }
	var got struct {
		user     *tokend.User
		authTime time.Time
		params   params
	}
	e.svc.continuations["test"] = func(w http.ResponseWriter, r *http.Request, tenantID string, user *tokend.User, authTime time.Time, raw json.RawMessage) {
		got.user, got.authTime = user, authTime
		_ = json.Unmarshal(raw, &got.params)
		w.WriteHeader(http.StatusNoContent)
	}
	post := func(form url.Values, cookies ...*http.Cookie) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPost, e.URL+"/"+e.tenant+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, c := range cookies {
			if c != nil {
				req.AddCookie(c)
			}
		}
		resp, err := e.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	form, csrf, rec := signInForm(t, e, params{State: "s1"})
	page := rec.Body.String()
	for _, want := range []string{`name="username"`, `name="password"`, `value="ada@contoso.example"`, "Test App"} {
		if !strings.Contains(page, want) {
			t.Errorf("sign-in page lacks %s", want)
		}
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("sign-in page CSP %q", csp)
	}
	if !csrf.HttpOnly || csrf.SameSite != http.SameSiteStrictMode {
		t.Errorf("CSRF cookie %+v", csrf)
	}

	// CSRF: without the cookie, with another browser's cookie, without the field.
	form.Set("username", "ada@contoso.example")
	form.Set("password", e.pw)
	if resp, _ := post(form); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("no CSRF cookie: %d", resp.StatusCode)
	}
	_, other, _ := signInForm(t, e, params{})
	if resp, _ := post(form, other); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("another browser's CSRF cookie: %d", resp.StatusCode)
	}
	noField := url.Values{"ctx": {form.Get("ctx")}, "username": {"ada@contoso.example"}, "password": {e.pw}}
	if resp, _ := post(noField, csrf); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("no CSRF field: %d", resp.StatusCode)
	}
	// A tampered context.
	bad := url.Values{"ctx": {form.Get("ctx")[:20] + "x"}, "csrf": {form.Get("csrf")}, "username": {"a@b.c"}, "password": {"x"}}
	if resp, _ := post(bad, csrf); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("tampered context: %d", resp.StatusCode)
	}
	// A wrong password shows the form again, with the reason and the name kept.
	wrong := url.Values{"ctx": {form.Get("ctx")}, "csrf": {form.Get("csrf")}, "username": {"ada@contoso.example"}, "password": {"nope nope"}}
	resp, body := post(wrong, csrf)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Your account or password is incorrect") || !strings.Contains(body, `value="ada@contoso.example"`) {
		t.Fatalf("wrong password: %d %s", resp.StatusCode, body)
	}
	if got.user != nil {
		t.Fatal("a wrong password continued the flow")
	}
	// The right password continues the flow with its parameters and starts a session.
	resp, _ = post(form, csrf)
	if resp.StatusCode != http.StatusNoContent || got.user == nil || got.user.ObjectID != e.user.ObjectID || got.params.State != "s1" {
		t.Fatalf("sign-in: %d, continued with %+v", resp.StatusCode, got)
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookieName {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || !session.Secure || session.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %+v", session)
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(session)
	if u, _, ok, err := e.svc.sessionUser(req.Context(), req, e.tenant); err != nil || !ok || u.ObjectID != e.user.ObjectID {
		t.Fatalf("session user: %v %v %v", u, ok, err)
	}
	// Signing out revokes the session even if the cookie is kept.
	if err := e.svc.endSession(req.Context(), httptest.NewRecorder(), req); err != nil {
		t.Fatal(err)
	}
	if _, _, ok, _ := e.svc.sessionUser(req.Context(), req, e.tenant); ok {
		t.Fatal("a signed-out session still signs in")
	}
	// An expired form.
	e.clock.Advance(signInFormLifetime + time.Minute)
	if resp, _ := post(form, csrf); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("expired form: %d", resp.StatusCode)
	}
}
