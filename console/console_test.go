package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/tokend-dev/tokend/tokendtest"
)

// A browser without JavaScript: a cookie jar, redirects followed, forms
// posted as a browser posts them (same-origin Fetch Metadata).
type browser struct {
	t    *testing.T
	tk   *tokendtest.Server
	http *http.Client
}

func newBrowser(t *testing.T, tk *tokendtest.Server) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := *tk.HTTPClient()
	hc.Jar = jar
	return &browser{t: t, tk: tk, http: &hc}
}

type page struct {
	Status int
	URL    string
	Body   string
	Header http.Header
}

func (b *browser) do(method, path string, form url.Values) *page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	target := path
	if strings.HasPrefix(path, "/") {
		target = b.tk.URL + path
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return &page{Status: resp.StatusCode, URL: resp.Request.URL.String(), Body: string(data), Header: resp.Header}
}

func (b *browser) get(path string) *page { return b.do(http.MethodGet, path, nil) }

var inputPattern = regexp.MustCompile(`name="([^"]+)" value="([^"]*)"`)

// fields are a page's hidden inputs (the first of each name).
func (p *page) fields() url.Values {
	v := url.Values{}
	for _, m := range inputPattern.FindAllStringSubmatch(p.Body, -1) {
		if v.Get(m[1]) == "" {
			v.Set(m[1], htmlUnescape(m[2]))
		}
	}
	return v
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}

// signIn goes through the console's sign-in: the console sends the
// browser to tokend's authorization endpoint, whose form it fills in.
func (b *browser) signIn(upn, password string) *page {
	b.t.Helper()
	form := b.get("/console/")
	if !strings.Contains(form.URL, "/oauth2/v2.0/authorize") || !strings.Contains(form.Body, `name="password"`) {
		b.t.Fatalf("/console/ did not lead to the sign-in form: %s %d\n%s", form.URL, form.Status, form.Body)
	}
	f := form.fields()
	done := b.do(http.MethodPost, "/"+b.tk.TenantID+"/login", url.Values{"ctx": {f.Get("ctx")}, "csrf": {f.Get("csrf")},
		"username": {upn}, "password": {password}})
	if done.Status != 200 || !strings.Contains(done.URL, "/console/callback") {
		b.t.Fatalf("sign-in ended at %s %d\n%s", done.URL, done.Status, done.Body)
	}
	over := b.get("/console/")
	if over.Status != 200 || !strings.Contains(over.Body, upn) {
		b.t.Fatalf("overview after sign-in: %d\n%s", over.Status, over.Body)
	}
	return over
}

func csrfOf(p *page) string { return p.fields().Get("csrf") }

// arm calls ARM as the bootstrap client (the test's own setup).
func arm(t *testing.T, tk *tokendtest.Server, method, path string, body any) []byte {
	t.Helper()
	tok, err := tk.Credential().GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, tk.URL+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := tk.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, out)
	}
	return out
}

func TestSignInShowsTheOverview(t *testing.T) {
	t.Parallel()
	tk := tokendtest.Start(t)
	u := tk.CreateUser(t, "ada@contoso.example", "correct horse battery")
	tk.AssignRole(t, u.ObjectID, "Reader", "/subscriptions/"+tk.SubscriptionID)
	b := newBrowser(t, tk)
	over := b.signIn(u.UserPrincipalName, u.Password)
	for _, want := range []string{tk.TenantID, tk.SubscriptionID, "/ca.pem", "tokend env", "azidentity.NewClientSecretCredential", "az cloud register"} {
		if !strings.Contains(over.Body, want) {
			t.Errorf("the overview lacks %q", want)
		}
	}
	csp := over.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q", csp)
	}
	// The session cookie is sealed, HttpOnly, Strict and scoped to /console.
	var cookie string
	for _, c := range b.http.Jar.Cookies(mustURL(tk.URL + "/console/")) {
		if c.Name == "tokend_console" {
			cookie = c.Value
		}
	}
	if cookie == "" || strings.Contains(cookie, "ey") && strings.Count(cookie, ".") >= 2 {
		t.Errorf("session cookie %q", cookie)
	}
	t.Logf("session cookie: %d bytes", len(cookie))
	// Signing out ends the console session and tokend's browser session:
	// the next visit shows the sign-in form again.
	out := b.do(http.MethodPost, "/console/signout", url.Values{"csrf": {csrfOf(over)}})
	if out.Status != 200 || !strings.Contains(out.URL, "/console/signedout") || !strings.Contains(out.Body, "You signed out") {
		t.Errorf("sign-out: %d %s", out.Status, out.URL)
	}
	if again := b.get("/console/"); !strings.Contains(again.Body, `name="password"`) {
		t.Errorf("after sign-out: %s", again.URL)
	}
	// The vendored htmx is served from the binary.
	if js := b.get("/console/static/htmx-2.0.11.min.js"); js.Status != 200 || !strings.Contains(js.Body, "htmx") {
		t.Errorf("htmx: %d", js.Status)
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestWithoutSessionEveryPageSignsIn(t *testing.T) {
	t.Parallel()
	tk := tokendtest.Start(t)
	hc := *tk.HTTPClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, p := range []string{"/console/", "/console/roles", "/console/playwright", "/console/jwt", "/console/apim", "/console/containerapps", "/console/metrics"} {
		resp, err := hc.Get(tk.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/signin?return=") {
			t.Errorf("%s: %d %q", p, resp.StatusCode, loc)
		}
	}
	// A POST without a session changes nothing and is sent to sign in.
	resp, err := hc.PostForm(tk.URL+"/console/roles/assign", url.Values{"scope": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("POST without a session: %d", resp.StatusCode)
	}
	// The return address is only ever a console page.
	resp, err = hc.Get(tk.URL + "/console/signin?return=https://evil.example/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "/oauth2/v2.0/authorize") || !strings.Contains(loc, url.QueryEscape(tk.URL+"/console/callback")) {
		t.Errorf("signin: %q", loc)
	}
}

// A Reader sees the role assignments but cannot change them: the API's
// 403 is the page's "You do not have access"; a form without the
// session's CSRF token is refused before any API is called.
func TestReaderAndCSRF(t *testing.T) {
	t.Parallel()
	tk := tokendtest.Start(t)
	scope := "/subscriptions/" + tk.SubscriptionID
	reader := tk.CreateUser(t, "rita@contoso.example", "correct horse battery")
	tk.AssignRole(t, reader.ObjectID, "Reader", scope)
	other := tk.CreateUser(t, "otto@contoso.example", "correct horse battery")
	b := newBrowser(t, tk)
	b.signIn(reader.UserPrincipalName, reader.Password)
	roles := b.get("/console/roles?scope=" + url.QueryEscape(scope))
	if roles.Status != 200 || !strings.Contains(roles.Body, reader.ObjectID) || !strings.Contains(roles.Body, "Reader") {
		t.Fatalf("roles page: %d\n%s", roles.Status, roles.Body)
	}
	csrf := csrfOf(roles)
	form := url.Values{"scope": {scope}, "principal": {other.ObjectID}, "role": {"acdd72a7-3385-48ef-bd42-f606fba81ae7"}}

	noToken := b.do(http.MethodPost, "/console/roles/assign", form)
	if noToken.Status != http.StatusForbidden || !strings.Contains(noToken.Body, "CSRF") {
		t.Errorf("without the CSRF token: %d\n%s", noToken.Status, noToken.Body)
	}
	form.Set("csrf", "forged")
	if p := b.do(http.MethodPost, "/console/roles/assign", form); p.Status != http.StatusForbidden {
		t.Errorf("with a forged CSRF token: %d", p.Status)
	}
	form.Set("csrf", csrf)
	denied := b.do(http.MethodPost, "/console/roles/assign", form)
	if denied.Status != http.StatusForbidden || !strings.Contains(denied.Body, "You do not have access") {
		t.Errorf("a Reader assigning: %d\n%s", denied.Status, denied.Body)
	}
	if p := b.get("/console/roles?scope=" + url.QueryEscape(scope)); strings.Contains(p.Body, other.ObjectID) {
		t.Error("the Reader's assignment was made")
	}
}

// An Owner assigns a role; the assignee then sees what it allows.
func TestOwnerAssignsARole(t *testing.T) {
	t.Parallel()
	tk := tokendtest.Start(t)
	scope := "/subscriptions/" + tk.SubscriptionID
	owner := tk.CreateUser(t, "olga@contoso.example", "correct horse battery")
	tk.AssignRole(t, owner.ObjectID, "Owner", scope)
	newcomer := tk.CreateUser(t, "nina@contoso.example", "correct horse battery")

	nb := newBrowser(t, tk)
	over := nb.signIn(newcomer.UserPrincipalName, newcomer.Password)
	if strings.Contains(over.Body, tk.SubscriptionID+"</code></td>") {
		t.Fatal("a user without roles sees the subscription")
	}

	ob := newBrowser(t, tk)
	ob.signIn(owner.UserPrincipalName, owner.Password)
	roles := ob.get("/console/roles?scope=" + url.QueryEscape(scope))
	done := ob.do(http.MethodPost, "/console/roles/assign", url.Values{"csrf": {csrfOf(roles)}, "scope": {scope},
		"principal": {newcomer.ObjectID}, "role": {"acdd72a7-3385-48ef-bd42-f606fba81ae7"}})
	if done.Status != 200 || !strings.Contains(done.Body, "The role was assigned") || !strings.Contains(done.Body, newcomer.ObjectID) {
		t.Fatalf("assign: %d\n%s", done.Status, done.Body)
	}
	if p := nb.get("/console/"); !strings.Contains(p.Body, tk.SubscriptionID+"</code></td>") {
		t.Errorf("the newcomer does not see the subscription after the assignment:\n%s", p.Body)
	}
	// And removes it: the form in the newcomer's row.
	var id string
	for _, row := range strings.Split(done.Body, "<tr>") {
		if m := regexp.MustCompile(`name="id" value="([^"]+)"`).FindStringSubmatch(row); m != nil && strings.Contains(row, newcomer.ObjectID) {
			id = htmlUnescape(m[1])
		}
	}
	removed := ob.do(http.MethodPost, "/console/roles/remove", url.Values{"csrf": {csrfOf(roles)}, "scope": {scope}, "id": {id}})
	if removed.Status != 200 || !strings.Contains(removed.Body, "The assignment was removed") || strings.Contains(removed.Body, newcomer.ObjectID) {
		t.Errorf("remove %q: %d\n%s", id, removed.Status, removed.Body)
	}
}

// A Playwright access token made in the console is shown once, listed
// without its secret, and refused by the data plane once revoked.
func TestPlaywrightTokenOnceAndRevoked(t *testing.T) {
	t.Parallel()
	tk := tokendtest.Start(t)
	owner := tk.CreateUser(t, "pat@contoso.example", "correct horse battery")
	tk.AssignRole(t, owner.ObjectID, "Owner", "/subscriptions/"+tk.SubscriptionID)
	workspaceID := createWorkspace(t, tk, "web")
	b := newBrowser(t, tk)
	b.signIn(owner.UserPrincipalName, owner.Password)
	list := b.get("/console/playwright")
	if !strings.Contains(list.Body, workspaceID) {
		t.Fatalf("the workspace is not listed:\n%s", list.Body)
	}
	tokensPath := "/console/playwright/tokens?kind=workspace&id=" + workspaceID + "&name=web"
	tokens := b.get(tokensPath)
	f := tokens.fields()
	created := b.do(http.MethodPost, "/console/playwright/tokens/create", url.Values{"csrf": {csrfOf(tokens)},
		"kind": {"workspace"}, "id": {f.Get("id")}, "name": {"web"}, "tokenName": {"ci-runner"}, "days": {"7"}})
	jwt := regexp.MustCompile(`<textarea id="new-token" readonly rows="4">([^<]+)</textarea>`).FindStringSubmatch(created.Body)
	if created.Status != 200 || jwt == nil {
		t.Fatalf("create: %d\n%s", created.Status, created.Body)
	}
	again := b.get(tokensPath)
	if !strings.Contains(again.Body, "ci-runner") || strings.Contains(again.Body, jwt[1]) {
		t.Fatal("the token is not listed, or its secret is shown again")
	}
	// The data plane accepts the token, then refuses it once revoked.
	dataPlane := func() int {
		req, _ := http.NewRequest(http.MethodGet, tk.URL+"/playwrightworkspaces/"+workspaceID+"/browsers?os=Linux&api-version=2025-09-01", nil)
		req.Header.Set("Authorization", "Bearer "+jwt[1])
		hc := *tk.HTTPClient()
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Logf("data plane: %d %s", resp.StatusCode, data)
		return resp.StatusCode
	}
	if s := dataPlane(); s/100 != 2 && s/100 != 3 {
		t.Fatalf("the new token is refused: %d", s)
	}
	tokenID := regexp.MustCompile(`name="tokenId" value="([^"]+)"`).FindStringSubmatch(again.Body)
	revoked := b.do(http.MethodPost, "/console/playwright/tokens/revoke", url.Values{"csrf": {csrfOf(again)},
		"kind": {"workspace"}, "id": {workspaceID}, "name": {"web"}, "tokenId": {tokenID[1]}})
	if revoked.Status != 200 || !strings.Contains(revoked.Body, "revoked") || strings.Contains(revoked.Body, "ci-runner") {
		t.Fatalf("revoke: %d\n%s", revoked.Status, revoked.Body)
	}
	if s := dataPlane(); s != http.StatusUnauthorized {
		t.Errorf("the revoked token: %d, want 401", s)
	}
}

// The JWT decoder verifies a token tokend signed and refuses a tampered
// one.
func TestJWTDecoder(t *testing.T) {
	t.Parallel()
	tk := tokendtest.Start(t)
	u := tk.CreateUser(t, "jo@contoso.example", "correct horse battery")
	b := newBrowser(t, tk)
	b.signIn(u.UserPrincipalName, u.Password)
	tok, err := tk.Credential().GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}})
	if err != nil {
		t.Fatal(err)
	}
	form := b.get("/console/jwt")
	ok := b.do(http.MethodPost, "/console/jwt", url.Values{"csrf": {csrfOf(form)}, "token": {tok.Token}})
	if !strings.Contains(ok.Body, "The signature is valid") || !strings.Contains(ok.Body, tk.ClientID) {
		t.Errorf("a good token:\n%s", ok.Body)
	}
	parts := strings.Split(tok.Token, ".")
	sig := []byte(parts[2])
	sig[5] ^= 1
	bad := b.do(http.MethodPost, "/console/jwt", url.Values{"csrf": {csrfOf(form)}, "token": {parts[0] + "." + parts[1] + "." + string(sig)}})
	if !strings.Contains(bad.Body, "does NOT verify") && !strings.Contains(bad.Body, "not base64url") {
		t.Errorf("a tampered token:\n%s", bad.Body)
	}
	if p := b.do(http.MethodPost, "/console/jwt", url.Values{"csrf": {csrfOf(form)}, "token": {"nonsense"}}); !strings.Contains(p.Body, "not a JWT") {
		t.Errorf("nonsense: %s", p.Body)
	}
}

// A session past its lifetime is refused: the page sends the browser to
// sign in again.
func TestExpiredSessionSignsInAgain(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64
	tk := tokendtest.Start(t, tokendtest.WithClock(func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }))
	u := tk.CreateUser(t, "eve@contoso.example", "correct horse battery")
	b := newBrowser(t, tk)
	b.signIn(u.UserPrincipalName, u.Password)
	offset.Store(int64(9 * time.Hour))
	b.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, p := range []*page{b.get("/console/roles"), b.do(http.MethodPost, "/console/jwt", url.Values{"token": {"x.y.z"}})} {
		if loc := p.Header.Get("Location"); p.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/signin?return=") {
			t.Errorf("an expired session: %d %q", p.Status, loc)
		}
	}
}

// The access tokens page pages by the data plane's continuation: ten a
// page (the data plane's size), the next page where the first ended, and
// a way back to the first; a search narrows to names that start with it.
func TestPlaywrightTokensPaged(t *testing.T) {
	t.Parallel()
	tk := tokendtest.Start(t)
	owner := tk.CreateUser(t, "pia@contoso.example", "correct horse battery")
	tk.AssignRole(t, owner.ObjectID, "Owner", "/subscriptions/"+tk.SubscriptionID)
	workspaceID := createWorkspace(t, tk, "paged")
	expiry := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	for i := range 13 {
		name := fmt.Sprintf("ci-%02d", i)
		if i%2 == 1 {
			name = fmt.Sprintf("dev-%02d", i)
		}
		arm(t, tk, http.MethodPut, fmt.Sprintf("/playwrightworkspaces/%s/access-tokens/%08d-0000-4000-8000-000000000000?api-version=2025-09-01", workspaceID, i),
			map[string]any{"name": name, "expiryAt": expiry})
	}
	b := newBrowser(t, tk)
	b.signIn(owner.UserPrincipalName, owner.Password)
	names := regexp.MustCompile(`<td>((?:ci|dev)-[0-9]{2})</td>`)
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
	base := "/console/playwright/tokens?kind=workspace&id=" + workspaceID + "&name=paged"

	first := b.get(base)
	link := next.FindStringSubmatch(first.Body)
	if got := names.FindAllStringSubmatch(first.Body, -1); first.Status != 200 || len(got) != 10 || got[0][1] != "ci-12" || link == nil {
		t.Fatalf("first page: %d, %d tokens, next %v\n%s", first.Status, len(got), link, first.Body)
	}
	second := b.get(htmlUnescape(link[1]))
	got := names.FindAllStringSubmatch(second.Body, -1)
	if len(got) != 3 || got[0][1] != "ci-02" || got[2][1] != "ci-00" || next.MatchString(second.Body) || !strings.Contains(second.Body, "First page") {
		t.Fatalf("second page: %d, %v\n%s", second.Status, got, second.Body)
	}
	search := b.get(base + "&search=dev")
	// A search is a prefix, in name order.
	if got := names.FindAllStringSubmatch(search.Body, -1); len(got) != 6 || got[0][1] != "dev-01" || got[5][1] != "dev-11" || next.MatchString(search.Body) {
		t.Errorf("search: %v", got)
	}
	if none := b.get(base + "&search=ev"); strings.Contains(none.Body, "<td>dev-") || !strings.Contains(none.Body, "whose name starts with") {
		t.Errorf("a search inside names matched:\n%s", none.Body)
	}
}

// createWorkspace makes a Playwright workspace (local auth on) over ARM
// and returns its data-plane id.
func createWorkspace(t *testing.T, tk *tokendtest.Server, name string) string {
	t.Helper()
	ws := arm(t, tk, http.MethodPut, "/subscriptions/"+tk.SubscriptionID+"/resourceGroups/console/providers/Microsoft.LoadTestService/playwrightWorkspaces/"+name+"?api-version=2025-09-01",
		map[string]any{"location": "eastus", "properties": map[string]any{"localAuth": "Enabled"}})
	var body struct{ Properties struct{ WorkspaceID string } }
	if err := json.Unmarshal(ws, &body); err != nil || body.Properties.WorkspaceID == "" {
		t.Fatalf("workspace: %s", ws)
	}
	return body.Properties.WorkspaceID
}
