package e2e

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokend-dev/tokend/internal/browsertest"
)

// TestChromiumSignIn completes sign-ins in a real headless Chromium
// against the tokend binary over TLS: the server-rendered form, the
// redirect to a localhost redirect URI (query), a second sign-in answered
// from the browser session with response_mode=form_post (auto-submitted
// by the page's nonce'd script), and the same form_post without
// JavaScript (the page's visible button). Skips without Chromium unless
// TOKEND_REQUIRE_CHROMIUM=1.
func TestChromiumSignIn(t *testing.T) {
	t.Parallel()
	tk := Start(t)
	serverPEM, err := os.ReadFile(filepath.Join(tk.DataDir, "server.pem"))
	if err != nil {
		t.Fatal(err)
	}
	user := tk.CreateUser(t, "ada@contoso.example", "--display-name", "Ada Lovelace")
	app := tk.CreatePublicClient(t, "chromium-app", "http://localhost")
	cb := browsertest.NewCallback(t)

	authURL := func(verifier, mode string) string {
		q := url.Values{"client_id": {app.ClientID}, "response_type": {"code"}, "redirect_uri": {cb.URL},
			"scope": {ARMScope + " openid offline_access"}, "state": {"st-" + mode}, "response_mode": {mode},
			"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
		return tk.URL + "/" + tk.Boot.TenantID + "/oauth2/v2.0/authorize?" + q.Encode()
	}
	redeem := func(t *testing.T, code, verifier string) {
		t.Helper()
		resp, body := tk.PostToken(t, url.Values{"grant_type": {"authorization_code"}, "client_id": {app.ClientID},
			"code": {code}, "redirect_uri": {cb.URL}, "code_verifier": {verifier}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("redeem the browser's code: %d %s", resp.StatusCode, body)
		}
	}
	signIn := func(b *browsertest.Browser) {
		b.Fill(`input[name="username"]`, user.UserPrincipalName)
		b.Fill(`input[name="password"]`, user.Password)
		b.Click(`button[type="submit"]`)
	}

	b := browsertest.New(t, browsertest.TrustPEM(serverPEM))
	verifier := oauth2.GenerateVerifier()
	b.Navigate(authURL(verifier, "query"))
	signIn(b)
	got := b.WaitCallback(cb)
	if got.Method != http.MethodGet || got.Query.Get("state") != "st-query" || got.Query.Get("code") == "" {
		t.Fatalf("query answer: %s %v", got.Method, got.Query)
	}
	redeem(t, got.Query.Get("code"), verifier)

	// The session skips the form; the form_post page posts itself.
	verifier = oauth2.GenerateVerifier()
	b.Navigate(authURL(verifier, "form_post"))
	got = b.WaitCallback(cb)
	if got.Method != http.MethodPost || got.Form.Get("state") != "st-form_post" || got.Form.Get("code") == "" {
		t.Fatalf("form_post answer: %s %v", got.Method, got.Form)
	}
	redeem(t, got.Form.Get("code"), verifier)

	// Without JavaScript: the form, then the form_post page's button.
	nb := browsertest.New(t, browsertest.TrustPEM(serverPEM), browsertest.NoJavaScript())
	verifier = oauth2.GenerateVerifier()
	nb.Navigate(authURL(verifier, "form_post"))
	signIn(nb)
	nb.Click(`#continue`)
	got = nb.WaitCallback(cb)
	if got.Method != http.MethodPost || got.Form.Get("code") == "" {
		t.Fatalf("form_post answer without JavaScript: %s %v", got.Method, got.Form)
	}
	redeem(t, got.Form.Get("code"), verifier)
}
