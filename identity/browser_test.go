package identity

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/tokend-dev/tokend/internal/azuretest"
)

// testBrowser plays a browser with net/http: a cookie jar, no script,
// redirects followed by hand so a test sees where each one goes.
type testBrowser struct {
	t    *testing.T
	e    *userEnv
	http *http.Client
}

func newTestBrowser(t *testing.T, e *userEnv) *testBrowser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &testBrowser{t: t, e: e, http: &http.Client{
		Transport: e.HTTP.Transport, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is one answer the browser got.
type page struct {
	status   int
	location string
	header   http.Header
	body     string
}

func (b *testBrowser) do(method, target string, form url.Values) *page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return &page{status: resp.StatusCode, location: resp.Header.Get("Location"), header: resp.Header, body: string(raw)}
}

// authorize opens the authorization endpoint with params (v2 path).
func (b *testBrowser) authorize(params url.Values) *page {
	b.t.Helper()
	return b.do(http.MethodGet, b.e.URL+"/"+b.e.tenant+"/oauth2/v2.0/authorize?"+params.Encode(), nil)
}

// isSignInForm tells the sign-in form from other pages.
func (p *page) isSignInForm() bool {
	return p.status < 300 && azuretest.IsSignInForm(p.body)
}

// form reads a page's form: its action and hidden fields.
func (p *page) form(t *testing.T) (string, url.Values) {
	t.Helper()
	f, ok := azuretest.ParseHTMLForm(p.body)
	if !ok {
		t.Fatalf("no form on the page (%d): %s", p.status, p.body)
	}
	return f.Action, f.Fields
}

// signIn fills the sign-in form on p and posts it.
func (b *testBrowser) signIn(p *page, username, password string) *page {
	b.t.Helper()
	if !p.isSignInForm() {
		b.t.Fatalf("expected the sign-in form, got %d %s %s", p.status, p.location, p.body)
	}
	action, fields := p.form(b.t)
	fields.Set("username", username)
	fields.Set("password", password)
	return b.do(http.MethodPost, b.e.URL+action, fields)
}

// answer reads what the authorization endpoint sent the app: from the
// redirect's query or fragment, or the form_post page's fields; the
// redirect URI it went to.
func (p *page) answer(t *testing.T) (string, url.Values) {
	t.Helper()
	if p.status == http.StatusFound {
		uri, params, err := azuretest.RedirectAnswer(p.location)
		if err != nil {
			t.Fatal(err)
		}
		return uri, params
	}
	if p.status == http.StatusOK && strings.Contains(p.body, `id="answer"`) {
		return p.form(t)
	}
	t.Fatalf("no answer for the app: %d %s %s", p.status, p.location, p.body)
	return "", nil
}

// pkce is a verifier and its S256 challenge.
func pkce(seed string) (verifier, challenge string) {
	verifier = base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat(seed, 60)))[:64]
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}
