package browsertest_test

import (
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"

	"github.com/tokend-dev/tokend/internal/browsertest"
)

// TestSignInFlows walks the sign-in form to each response_mode in one
// browser (starting one costs seconds), the way the sign-in tests will.
func TestSignInFlows(t *testing.T) {
	t.Parallel()
	site := newSignInSite(t)
	cb := browsertest.NewCallback(t)
	browser := browsertest.New(t, browsertest.TrustCert(site.cert))

	cases := []struct {
		mode string
		// check reads the response where that mode delivers it.
		check func(t *testing.T, b *browsertest.Browser, state string) url.Values
	}{
		{"query", func(t *testing.T, b *browsertest.Browser, state string) url.Values {
			got := cb.Wait(t) // a Callback also serves tests without a browser
			if got.Method != "GET" {
				t.Errorf("callback method %s, want GET", got.Method)
			}
			if u := b.WaitURLPrefix(cb.URL); u != strings.TrimSuffix(cb.URL, "/")+got.URL.String() {
				t.Errorf("browser URL %s, callback saw %s", u, got.URL)
			}
			return got.Query
		}},
		{"fragment", func(t *testing.T, b *browsertest.Browser, state string) url.Values {
			got := b.WaitCallback(cb)
			if len(got.Query) != 0 {
				t.Errorf("a fragment reached the server: %s", got.URL)
			}
			u, err := url.Parse(b.WaitURLPrefix(cb.URL))
			if err != nil {
				t.Fatal(err)
			}
			v, _ := url.ParseQuery(u.Fragment)
			return v
		}},
		{"form_post", func(t *testing.T, b *browsertest.Browser, state string) url.Values {
			got := b.WaitCallback(cb) // the script submitted the form
			if got.Method != "POST" {
				t.Errorf("callback method %s, want POST", got.Method)
			}
			r := b.WaitRequest(cb.URL)
			if r.Method != "POST" || r.Form().Get("state") != state {
				t.Errorf("browser sent %s %s with %q", r.Method, r.URL, r.Body)
			}
			return got.Form
		}},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			b := browser.For(t)
			state := "state-" + tc.mode
			b.Navigate(site.authorizeURL(cb.URL, state, tc.mode))
			if got := b.Attr(`input[name="csrf"]`, "type"); got != "hidden" {
				t.Fatalf("csrf input type %q", got)
			}
			b.Fill(`input[name="username"]`, "alice@contoso.com")
			b.Fill(`input[name="password"]`, sitePassword)
			b.Submit(`button[type="submit"]`)
			v := tc.check(t, b, state)
			if v.Get("code") != "code-for-alice@contoso.com" || v.Get("state") != state {
				t.Errorf("response %v", v)
			}
			if !strings.HasPrefix(b.URL(), cb.URL) {
				t.Errorf("the browser ended at %s", b.URL())
			}
		})
	}

	t.Run("the session cookie's attributes are readable", func(t *testing.T) {
		b := browser.For(t)
		cookies := b.Cookies(site.srv.URL + "/")
		if len(cookies) != 1 {
			t.Fatalf("cookies %+v", cookies)
		}
		c := cookies[0]
		if c.Name != "session" || !c.Secure || !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax {
			t.Errorf("cookie %+v", c)
		}
	})

	t.Run("wrong password shows the message and goes nowhere", func(t *testing.T) {
		b := browser.For(t)
		b.Navigate(site.authorizeURL(cb.URL, "s", "query"))
		b.Fill(`input[name="username"]`, "alice@contoso.com")
		b.Fill(`input[name="password"]`, "wrong")
		b.Submit(`form`) // as the Enter key submits
		if got := b.Text(`[role="alert"]`); got != "Your account or password is incorrect." {
			t.Errorf("message %q", got)
		}
		if got := b.Value(`input[name="username"]`); got != "alice@contoso.com" {
			t.Errorf("username kept as %q", got)
		}
		if b.Count(`input[name="password"]`) != 1 || !strings.HasPrefix(b.URL(), site.srv.URL) {
			t.Errorf("not back on the form: %s", b.URL())
		}
	})

	t.Run("missing CSRF token is refused", func(t *testing.T) {
		b := browser.For(t)
		b.Navigate(site.authorizeURL(cb.URL, "s", "query"))
		b.Remove(`input[name="csrf"]`)
		b.Fill(`input[name="username"]`, "alice@contoso.com")
		b.Fill(`input[name="password"]`, sitePassword)
		b.Submit(`button[type="submit"]`)
		if got := b.Text(`body`); !strings.Contains(got, "expired or was not started here") {
			t.Errorf("page %q", got)
		}
		for _, r := range b.Navigations() {
			if strings.HasPrefix(r.URL, cb.URL+"?code=") && strings.Contains(r.URL, "state=s&") {
				t.Errorf("redirected anyway: %s", r.URL)
			}
		}
	})

	t.Run("a redirect nobody answers is still seen", func(t *testing.T) {
		b := browser.For(t)
		dead := deadURL(t) + "cb?code=abc&state=s#frag"
		err := b.NavigateErr(site.srv.URL + "/redirect?to=" + url.QueryEscape(dead))
		if err == nil || !strings.Contains(err.Error(), "ERR_CONNECTION_REFUSED") {
			t.Errorf("navigation error %v, want ERR_CONNECTION_REFUSED", err)
		}
		if got := b.WaitURLPrefix(strings.Split(dead, "?")[0]); got != dead {
			t.Errorf("captured %s, want %s", got, dead)
		}

		// The same after a form: Submit returns once the error page loads.
		deadRedirect := deadURL(t)
		b.Navigate(site.authorizeURL(deadRedirect, "s2", "query"))
		b.Fill(`input[name="username"]`, "alice@contoso.com")
		b.Fill(`input[name="password"]`, sitePassword)
		b.Submit(`button[type="submit"]`)
		if got, want := b.WaitURLPrefix(deadRedirect), deadRedirect+"?code=code-for-alice%40contoso.com&state=s2"; got != want {
			t.Errorf("captured %s, want %s", got, want)
		}
	})
}

// TestWithoutJavaScript: the sign-in form works with scripts off, and a
// form_post response then waits for its noscript button.
func TestWithoutJavaScript(t *testing.T) {
	t.Parallel()
	site := newSignInSite(t)
	cb := browsertest.NewCallback(t)
	b := browsertest.New(t, browsertest.TrustCert(site.cert), browsertest.NoJavaScript())

	b.Navigate(site.authorizeURL(cb.URL, "s-nojs", "form_post"))
	b.Fill(`input[name="username"]`, "bob@contoso.com")
	b.Fill(`input[name="password"]`, sitePassword)
	b.Submit(`button[type="submit"]`)

	// The auto-submit script did not run: the browser is on the form_post
	// page, and the callback saw nothing.
	if got := b.Text(`noscript p`); got != "Script is disabled. Click Submit to continue." {
		t.Fatalf("noscript text %q (on %s)", got, b.URL())
	}
	for _, r := range b.Navigations() {
		if strings.HasPrefix(r.URL, cb.URL) {
			t.Fatalf("the form was submitted without the button: %s %s", r.Method, r.URL)
		}
	}
	b.Submit(`input[type="submit"]`)
	got := b.WaitCallback(cb)
	if got.Method != "POST" || got.Form.Get("code") != "code-for-bob@contoso.com" || got.Form.Get("state") != "s-nojs" {
		t.Fatalf("callback got %s %v", got.Method, got.Form)
	}
}

// TestCertificateTrustIsPinned: the SPKI flag accepts exactly the given
// key; a browser trusting another certificate still refuses the site (the
// flows above prove the trusted one is accepted).
func TestCertificateTrustIsPinned(t *testing.T) {
	t.Parallel()
	site := newSignInSite(t)
	b := browsertest.New(t, browsertest.TrustCert(otherCert(t)))
	err := b.NavigateErr(site.authorizeURL("http://localhost/", "s", "query"))
	if err == nil || !strings.Contains(err.Error(), "ERR_CERT_AUTHORITY_INVALID") {
		t.Fatalf("navigation error %v, want ERR_CERT_AUTHORITY_INVALID", err)
	}
}

// deadURL is a loopback URL on a port nobody listens on.
func deadURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/"
}

// TestRefusalsShowInTheConsole: what the browser refuses without a
// navigation — framing under frame-ancestors 'none', a redirect after a form
// that form-action forbids — is seen through WaitConsole.
func TestRefusalsShowInTheConsole(t *testing.T) {
	t.Parallel()
	site := newSignInSite(t)
	cb := browsertest.NewCallback(t)
	// The pin read from a PEM file's bytes, as from the data directory's
	// server.pem.
	browser := browsertest.New(t, browsertest.TrustPEM(pemOf(site.cert)))

	t.Run("frame-ancestors none", func(t *testing.T) {
		b := browser.For(t)
		b.Navigate(site.srv.URL + "/framer?src=" + url.QueryEscape(site.authorizeURL(cb.URL, "s", "query")))
		line := b.WaitConsole("frame-ancestors 'none'")
		if !strings.Contains(line, "Framing '"+site.srv.URL+"/'") || !strings.Contains(line, "blocked") {
			t.Errorf("console %q", line)
		}
	})

	// Chromium applies form-action to the redirects that follow a form
	// submission: a sign-in page whose policy says form-action 'self'
	// cannot send the browser on to its redirect URI. The sign-in page
	// must leave form-action out or name the redirect URI's origin.
	// Chromium's message names the form's own action, not the redirect it
	// blocked, which makes this easy to misread.
	t.Run("form-action self blocks the redirect to the redirect URI", func(t *testing.T) {
		b := browser.For(t)
		b.Navigate(site.authorizeURL(cb.URL, "s", "query") + "&csp=form-action-self")
		b.Fill(`input[name="username"]`, "alice@contoso.com")
		b.Fill(`input[name="password"]`, sitePassword)
		b.Click(`button[type="submit"]`)
		line := b.WaitConsole(`"form-action 'self'"`)
		if !strings.Contains(line, "blocked") {
			t.Errorf("console %q", line)
		}
		for _, r := range b.Navigations() {
			if strings.HasPrefix(r.URL, cb.URL) {
				t.Errorf("the redirect went through: %s", r.URL)
			}
		}
	})

	t.Run("the form_post page runs clean under its CSP", func(t *testing.T) {
		b := browser.For(t)
		before := len(b.Console())
		b.Navigate(site.authorizeURL(cb.URL, "s", "form_post"))
		b.Fill(`input[name="username"]`, "alice@contoso.com")
		b.Fill(`input[name="password"]`, sitePassword)
		b.Submit(`button[type="submit"]`)
		if got := b.WaitCallback(cb); got.Method != "POST" {
			t.Fatalf("callback got %s", got.Method)
		}
		if lines := b.Console()[before:]; len(lines) != 0 {
			t.Errorf("console: %q", lines)
		}
	})
}
