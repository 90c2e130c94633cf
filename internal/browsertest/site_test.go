package browsertest_test

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"html/template"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/tokend-dev/tokend/localca"
)

// signInSite is the shape tokend's sign-in page will have, served over TLS
// with a certificate from localca: a server-rendered form (username,
// password, a hidden CSRF token bound to the pending request) that posts
// back, and on success sends the browser to the redirect URI by the
// requested response_mode. It exists to prove the harness against that
// shape, not to test sign-in logic.
type signInSite struct {
	srv  *httptest.Server
	cert []byte // the leaf the server presents (DER)

	mu      sync.Mutex
	pending map[string]authRequest // by CSRF token
}

type authRequest struct {
	redirectURI, state, mode string
}

const sitePassword = "correct horse battery staple"

// The sign-in page's policy: no script at all, forms only to itself, never
// framed. form-action is deliberately absent: Chromium applies it to the
// redirects that follow a form submission, so 'self' would block the 302
// to the redirect URI (see TestFormActionSelfBlocksTheRedirect).
const signInCSP = "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'"

var signInPage = template.Must(template.New("signin").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Sign in</h1>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label>Username <input type="email" name="username" value="{{.Username}}" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit" name="action" value="signin">Sign in</button>
</form>
</body></html>
`))

var framerPage = template.Must(template.New("framer").Parse(`<!DOCTYPE html>
<html><head><title>Framer</title></head><body><iframe src="{{.}}"></iframe></body></html>
`))

// formPostScript auto-submits a form_post response when scripts run; its
// hash is the only script the page's CSP allows.
const formPostScript = `document.forms[0].submit();`

var formPostPage = template.Must(template.New("formpost").Parse(`<!DOCTYPE html>
<html><head><title>Working...</title></head><body>
<form method="POST" name="hiddenform" action="{{.Action}}">
{{range $k, $v := .Fields}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit"></noscript>
</form>
<script>` + formPostScript + `</script>
</body></html>
`))

func newSignInSite(t *testing.T) *signInSite {
	t.Helper()
	pair, err := localca.Ensure(localca.FilesIn(t.TempDir()), localca.DefaultHosts, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s := &signInSite{cert: pair.Certificate[0], pending: map[string]authRequest{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", s.authorize)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("GET /framer", func(w http.ResponseWriter, r *http.Request) {
		// A page that frames the sign-in form, as a clickjacking page would.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = framerPage.Execute(w, r.URL.Query().Get("src"))
	})
	mux.HandleFunc("GET /redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	})
	s.srv = httptest.NewUnstartedServer(mux)
	s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	// A browser that refuses the certificate (as one test wants) makes
	// the server log a handshake error; that is not news.
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	return s
}

// authorizeURL starts a sign-in that ends at redirectURI.
func (s *signInSite) authorizeURL(redirectURI, state, mode string) string {
	return s.srv.URL + "/authorize?" + url.Values{
		"redirect_uri": {redirectURI}, "state": {state}, "response_mode": {mode},
	}.Encode()
}

func (s *signInSite) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	csrf := randomHex()
	s.mu.Lock()
	s.pending[csrf] = authRequest{redirectURI: q.Get("redirect_uri"), state: q.Get("state"), mode: q.Get("response_mode")}
	s.mu.Unlock()
	if q.Get("csp") == "form-action-self" {
		w.Header().Set("Content-Security-Policy", signInCSP+"; form-action 'self'")
	}
	s.render(w, http.StatusOK, csrf, "", "")
}

func (s *signInSite) render(w http.ResponseWriter, status int, csrf, username, msg string) {
	if w.Header().Get("Content-Security-Policy") == "" {
		w.Header().Set("Content-Security-Policy", signInCSP)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = signInPage.Execute(w, map[string]string{"CSRF": csrf, "Username": username, "Error": msg})
}

func (s *signInSite) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	csrf := r.PostForm.Get("csrf")
	s.mu.Lock()
	req, ok := s.pending[csrf]
	s.mu.Unlock()
	if !ok || csrf == "" {
		http.Error(w, "The sign-in request has expired or was not started here.", http.StatusBadRequest)
		return
	}
	if r.PostForm.Get("password") != sitePassword || r.PostForm.Get("action") != "signin" {
		s.render(w, http.StatusOK, csrf, r.PostForm.Get("username"), "Your account or password is incorrect.")
		return
	}
	s.mu.Lock()
	delete(s.pending, csrf)
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "session", Value: randomHex(), Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	params := url.Values{"code": {"code-for-" + r.PostForm.Get("username")}, "state": {req.state}}
	switch req.mode {
	case "fragment":
		http.Redirect(w, r, req.redirectURI+"#"+params.Encode(), http.StatusFound)
	case "form_post":
		writeFormPost(w, req.redirectURI, params)
	case "query", "":
		http.Redirect(w, r, req.redirectURI+"?"+params.Encode(), http.StatusFound)
	}
}

// writeFormPost answers a form_post response as Entra does: a form of hidden
// fields that a script submits, with a noscript button for browsers without
// scripts. The CSP allows that one script by its hash and the form only to
// the redirect URI.
func writeFormPost(w http.ResponseWriter, redirectURI string, params url.Values) {
	sum := sha256.Sum256([]byte(formPostScript))
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'sha256-"+
		base64.StdEncoding.EncodeToString(sum[:])+"'; form-action "+redirectURI+"; frame-ancestors 'none'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fields := map[string]string{}
	for k := range params {
		fields[k] = params.Get(k)
	}
	_ = formPostPage.Execute(w, map[string]any{"Action": redirectURI, "Fields": fields})
}

func pemOf(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func randomHex() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// otherCert is a certificate from a different local CA: trusting it must not
// make the browser accept the site's.
func otherCert(t *testing.T) []byte {
	t.Helper()
	pair, err := localca.Ensure(localca.FilesIn(t.TempDir()), localca.DefaultHosts, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return pair.Certificate[0]
}
