package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// The console keeps no server-side state: a signed-in person's tokens
// travel sealed (AES-256-GCM under the key-encryption key) in cookies
// scoped to /console, HttpOnly and SameSite=Strict, so no other site can
// make the browser send them and no script can read them. Each cookie's
// associated data names its purpose: one cannot be replayed as another.
const (
	sessionCookie = "tokend_console"
	sessionAAD    = "tokend console session v1"
	// The Playwright data plane takes only Playwright-audience tokens;
	// that token rides in a cookie of its own, obtained with the refresh
	// token the first time a page needs it (a cookie is 4 KB at most; the
	// session's is about 2.6 KB, and a second access token would not fit).
	playwrightCookie = "tokend_console_pw"
	playwrightAAD    = "tokend console playwright token v1"
	// A sign-in under way: the PKCE verifier, state and nonce, from the
	// redirect to the authorization endpoint until the callback. Lax, so
	// that it survives a sign-in started from another site's link.
	pendingCookie = "tokend_console_auth"
	pendingAAD    = "tokend console sign-in v1"
	cookiePath    = "/console"
	// maxCookie is the most a browser keeps of one cookie.
	maxCookie = 4096
)

// session is a signed-in person's console session.
type session struct {
	Tenant string `json:"t"`
	OID    string `json:"o"`
	Name   string `json:"n"`
	// Mgmt is the management-audience access token, MgmtExp its expiry;
	// Refresh the refresh token that renews it and gets other audiences.
	Mgmt    string `json:"m"`
	MgmtExp int64  `json:"x"`
	Refresh string `json:"r"`
	// CSRF is the token every form carries; bound to this session.
	CSRF string `json:"c"`
	// Exp is when the session ends, whatever the tokens allow.
	Exp int64 `json:"e"`
}

// pendingSignIn is a sign-in between the redirect and the callback.
type pendingSignIn struct {
	State    string `json:"s"`
	Verifier string `json:"v"`
	Nonce    string `json:"n"`
	Return   string `json:"r"`
	Exp      int64  `json:"e"`
}

// cachedToken is an access token for another audience.
type cachedToken struct {
	Token string `json:"t"`
	Exp   int64  `json:"e"`
	OID   string `json:"o"`
}

// pendingLifetime bounds a sign-in: identity's sign-in form is good for
// 15 minutes.
const pendingLifetime = 15 * time.Minute

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("console: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// setSealed writes v sealed into cookie name; maxAge 0 makes it a
// browser-session cookie.
func (c *Console) setSealed(w http.ResponseWriter, r *http.Request, name, aad string, v any, exp time.Time, mode http.SameSite) error {
	plain, err := json.Marshal(v)
	if err != nil {
		return err
	}
	value := base64.RawURLEncoding.EncodeToString(c.cfg.Sealer.Seal(plain, []byte(aad)))
	if len(value)+len(name) > maxCookie-100 {
		return errCookieTooLarge
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: cookiePath, HttpOnly: true,
		Secure: c.secure(r), SameSite: mode, Expires: exp, MaxAge: int(exp.Sub(c.cfg.Now()).Seconds()) + 1})
	return nil
}

// secure is whether cookies carry Secure: over TLS, or when the public
// URL is https (a TLS-terminating proxy in front).
func (c *Console) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(c.cfg.PublicURL, "https://")
}

func (c *Console) readSealed(r *http.Request, name, aad string, v any) bool {
	ck, err := r.Cookie(name)
	if err != nil || ck.Value == "" || len(ck.Value) > maxCookie {
		return false
	}
	sealed, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil {
		return false
	}
	plain, err := c.cfg.Sealer.Open(sealed, []byte(aad))
	if err != nil {
		return false
	}
	return json.Unmarshal(plain, v) == nil
}

func (c *Console) clearCookie(w http.ResponseWriter, r *http.Request, name string, mode http.SameSite) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: cookiePath, HttpOnly: true,
		Secure: c.secure(r), SameSite: mode, MaxAge: -1})
}

// readSession is the request's session: present, sealed by this
// deployment and not expired.
func (c *Console) readSession(r *http.Request) (*session, bool) {
	var s session
	if !c.readSealed(r, sessionCookie, sessionAAD, &s) || s.Refresh == "" || s.CSRF == "" {
		return nil, false
	}
	if c.cfg.Now().Unix() >= s.Exp {
		return nil, false
	}
	return &s, true
}

func (c *Console) saveSession(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.setSealed(w, r, sessionCookie, sessionAAD, s, time.Unix(s.Exp, 0), http.SameSiteStrictMode)
}

// checkCSRF is whether a form's csrf field is the session's token.
func checkCSRF(s *session, r *http.Request) bool {
	got := r.PostFormValue("csrf")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) == 1
}

// crossSite is whether the browser says the request came from another
// site (Fetch Metadata): such a request may not change anything, whatever
// it carries.
func crossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return false
	}
	return true
}
