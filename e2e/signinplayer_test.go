package e2e

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/tokend-dev/tokend/internal/azuretest"
)

// CreatePublicClient registers a public client with redirect URIs
// through the CLI.
func (tk *Tokend) CreatePublicClient(t testing.TB, name string, redirectURIs ...string) ClientInfo {
	t.Helper()
	args := []string{"--public"}
	for _, u := range redirectURIs {
		args = append(args, "--redirect-uri", u)
	}
	return tk.CreateClientWith(t, name, args...)
}

// SignInPlayer plays a browser without script against tokend's sign-in
// pages, with net/http: cookies kept, redirects within tokend followed,
// the sign-in form filled and posted, and the first step that leaves
// tokend (the answer to the application) handed back.
type SignInPlayer struct {
	tk   *Tokend
	http *http.Client
}

// NewSignInPlayer is a browser with no cookies yet.
func (tk *Tokend) NewSignInPlayer(t testing.TB) *SignInPlayer {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &SignInPlayer{tk: tk, http: &http.Client{
		Transport: tk.HTTP.Transport, Jar: jar, Timeout: tk.HTTP.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Answer is what the authorization endpoint sent the application: the
// redirect URI it went to and the parameters (query, fragment or
// form_post fields).
type Answer struct {
	RedirectURI string
	Params      url.Values
	// FormPost: the answer came as a form_post page, which a browser posts
	// to the redirect URI.
	FormPost bool
}

// Deliver sends the answer to the application's redirect URI as the
// browser would: a GET with the query, or the form_post page's POST.
func (a Answer) Deliver(t testing.TB) {
	t.Helper()
	var resp *http.Response
	var err error
	if a.FormPost {
		resp, err = http.PostForm(a.RedirectURI, a.Params)
	} else {
		resp, err = http.Get(a.RedirectURI + "?" + a.Params.Encode())
	}
	if err != nil {
		t.Fatalf("deliver the answer to %s: %v", a.RedirectURI, err)
	}
	_ = resp.Body.Close()
}

// SignIn opens authURL, signs in as upn when the form is shown, and
// returns the answer for the application.
func (p *SignInPlayer) SignIn(t testing.TB, authURL, upn, password string) Answer {
	t.Helper()
	method, target, form := http.MethodGet, authURL, url.Values(nil)
	for range 10 {
		status, location, body := p.do(t, method, target, form)
		switch {
		case status == http.StatusFound && strings.HasPrefix(location, p.tk.URL+"/"):
			method, target, form = http.MethodGet, location, nil
		case status == http.StatusFound:
			return answerOf(t, location)
		case status == http.StatusOK && azuretest.IsSignInForm(body) && form == nil:
			f, _ := azuretest.ParseHTMLForm(body)
			f.Fields.Set("username", upn)
			f.Fields.Set("password", password)
			method, target, form = http.MethodPost, p.tk.URL+f.Action, f.Fields
		case status == http.StatusOK && strings.Contains(body, `id="answer"`):
			f, _ := azuretest.ParseHTMLForm(body)
			return Answer{RedirectURI: f.Action, Params: f.Fields, FormPost: true}
		default:
			t.Fatalf("sign-in stopped at %s %s: %d %s\n%s", method, target, status, location, body)
		}
	}
	t.Fatalf("sign-in did not finish within 10 steps")
	return Answer{}
}

func (p *SignInPlayer) do(t testing.TB, method, target string, form url.Values) (int, string, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := p.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func answerOf(t testing.TB, location string) Answer {
	t.Helper()
	uri, params, err := azuretest.RedirectAnswer(location)
	if err != nil {
		t.Fatal(err)
	}
	return Answer{RedirectURI: uri, Params: params}
}
