package console

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Scopes the console asks for: a management token (ARM, and the admin
// API), an ID token for who signed in, a refresh token for renewals and
// the Playwright audience.
const (
	managementScope = "https://management.core.windows.net//.default"
	playwrightScope = "https://playwright.microsoft.com/.default"
	signInScopes    = "openid profile offline_access " + managementScope
)

var (
	errCookieTooLarge = errors.New("console: the session does not fit in a cookie")
	// errSignedOut is a session whose refresh token no longer works
	// (signed out elsewhere, password reset, family revoked).
	errSignedOut = errors.New("console: the session's sign-in is no longer valid")
)

// signIn starts the authorization code flow: a fresh PKCE verifier,
// state and nonce kept sealed in the pending cookie, and the browser sent
// to the tenant's authorization endpoint.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	p := pendingSignIn{State: randomString(24), Verifier: randomString(48), Nonce: randomString(24),
		Return: safeReturn(r.URL.Query().Get("return")), Exp: c.cfg.Now().Add(pendingLifetime).Unix()}
	if err := c.setSealed(w, r, pendingCookie, pendingAAD, p, time.Unix(p.Exp, 0), http.SameSiteLaxMode); err != nil {
		c.fail(w, r, "start sign-in", err)
		return
	}
	sum := sha256.Sum256([]byte(p.Verifier))
	q := url.Values{
		"client_id": {c.cfg.ClientID}, "response_type": {"code"}, "response_mode": {"query"},
		"redirect_uri": {c.baseURL(r) + "/console/callback"}, "scope": {signInScopes},
		"state": {p.State}, "nonce": {p.Nonce},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
	}
	if r.URL.Query().Get("prompt") == "login" {
		q.Set("prompt", "login")
	}
	http.Redirect(w, r, "/"+url.PathEscape(c.cfg.TenantID)+"/oauth2/v2.0/authorize?"+q.Encode(), http.StatusSeeOther)
}

// safeReturn keeps a return path only when it is a console page: the
// console never sends a browser anywhere a query chose.
func safeReturn(p string) string {
	if !strings.HasPrefix(p, "/console/") || strings.HasPrefix(p, "/console//") || strings.ContainsAny(p, "\\\r\n") {
		return "/console/"
	}
	return p
}

// callback redeems the code at the token endpoint (with the verifier),
// checks the ID token's nonce and starts the session.
func (c *Console) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var p pendingSignIn
	ok := c.readSealed(r, pendingCookie, pendingAAD, &p)
	c.clearCookie(w, r, pendingCookie, http.SameSiteLaxMode)
	if !ok || c.cfg.Now().Unix() >= p.Exp || q.Get("state") == "" || q.Get("state") != p.State {
		c.renderMessage(w, r, http.StatusBadRequest, "Sign-in not completed",
			"This sign-in was not started here, or took too long. Sign in again.")
		return
	}
	if e := q.Get("error"); e != "" {
		c.renderMessage(w, r, http.StatusBadRequest, "Sign-in not completed", e+": "+q.Get("error_description"))
		return
	}
	ans, err := c.tokenRequest(r.Context(), r, c.cfg.TenantID, url.Values{
		"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "code_verifier": {p.Verifier},
		"redirect_uri": {c.baseURL(r) + "/console/callback"}, "scope": {signInScopes},
	})
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.Status < 500 {
			c.renderMessage(w, r, http.StatusBadRequest, "Sign-in not completed", ae.Code+": "+ae.Message)
			return
		}
		c.fail(w, r, "redeem code", err)
		return
	}
	id, err := idClaims(ans.IDToken)
	if err != nil || id.Nonce != p.Nonce || ans.RefreshToken == "" {
		c.renderMessage(w, r, http.StatusBadRequest, "Sign-in not completed", "The sign-in's answer did not match its request. Sign in again.")
		return
	}
	now := c.cfg.Now()
	s := &session{Tenant: c.cfg.TenantID, OID: id.OID, Name: firstOf(id.PreferredUsername, id.Name, id.OID),
		Mgmt: ans.AccessToken, MgmtExp: now.Unix() + ans.ExpiresIn, Refresh: ans.RefreshToken,
		CSRF: randomString(32), Exp: now.Add(c.cfg.SessionLifetime).Unix()}
	if err := c.saveSession(w, r, s); err != nil {
		c.fail(w, r, "start session", err)
		return
	}
	c.clearCookie(w, r, playwrightCookie, http.SameSiteStrictMode)
	// The SameSite=Strict session cookie is not sent on a redirect chain
	// that began on another site; a page that moves on by itself is a
	// same-site navigation, which carries it.
	c.render(w, r, http.StatusOK, "continue.html", &view{Title: "Signed in", Data: p.Return})
}

// idTokenClaims are the ID token claims the console reads. The ID token
// came straight from the token endpoint in process, so its signature
// needs no check (OpenID Connect Core §3.1.3.7); the nonce binds it to
// this browser's sign-in.
type idTokenClaims struct {
	OID               string `json:"oid"`
	Name              string `json:"name"`
	PreferredUsername string `json:"preferred_username"`
	Nonce             string `json:"nonce"`
}

func idClaims(jwt string) (*idTokenClaims, error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var c idTokenClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

func firstOf(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// signOut ends the console session (its refresh token revoked, its
// cookies cleared) and sends the browser to the tenant's logout endpoint,
// which ends the browser's tokend session and comes back to the
// signed-out page.
func (c *Console) signOut(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if s, ok := c.readSession(r); ok {
		if crossSite(r) || !checkCSRF(s, r) {
			c.renderMessage(w, r, http.StatusForbidden, "Refused", "This form did not come from your console session.")
			return
		}
		form := url.Values{"token": {s.Refresh}, "token_type_hint": {"refresh_token"}, "client_id": {c.cfg.ClientID}}
		if err := c.do(r.Context(), r, http.MethodPost, "/"+url.PathEscape(s.Tenant)+"/oauth2/v2.0/revoke",
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()), nil); err != nil {
			c.log.WarnContext(r.Context(), "console: revoke refresh token at sign-out", "err", err.Error())
		}
	}
	c.clearCookie(w, r, sessionCookie, http.SameSiteStrictMode)
	c.clearCookie(w, r, playwrightCookie, http.SameSiteStrictMode)
	q := url.Values{"client_id": {c.cfg.ClientID}, "post_logout_redirect_uri": {c.baseURL(r) + "/console/signedout"}}
	http.Redirect(w, r, "/"+url.PathEscape(c.cfg.TenantID)+"/oauth2/v2.0/logout?"+q.Encode(), http.StatusSeeOther)
}

func (c *Console) signedOut(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "signedout.html", &view{Title: "Signed out"})
}

// managementToken is the session's management token, renewed with the
// refresh token a minute before it expires.
func (c *Console) managementToken(ctx context.Context, v *view) (string, error) {
	s := v.s
	if c.cfg.Now().Unix() < s.MgmtExp-60 {
		return s.Mgmt, nil
	}
	ans, err := c.refresh(ctx, v, managementScope)
	if err != nil {
		return "", err
	}
	s.Mgmt, s.MgmtExp = ans.AccessToken, c.cfg.Now().Unix()+ans.ExpiresIn
	if err := c.saveSession(v.w, v.r, s); err != nil {
		return "", err
	}
	return s.Mgmt, nil
}

// playwrightToken is a Playwright-audience token for the session's user:
// the cookie's while it lasts, else one from the refresh token.
func (c *Console) playwrightToken(ctx context.Context, v *view) (string, error) {
	var t cachedToken
	if c.readSealed(v.r, playwrightCookie, playwrightAAD, &t) && t.OID == v.s.OID && c.cfg.Now().Unix() < t.Exp-60 {
		return t.Token, nil
	}
	ans, err := c.refresh(ctx, v, playwrightScope)
	if err != nil {
		return "", err
	}
	t = cachedToken{Token: ans.AccessToken, Exp: c.cfg.Now().Unix() + ans.ExpiresIn, OID: v.s.OID}
	if t.Exp > v.s.Exp {
		t.Exp = v.s.Exp
	}
	if err := c.setSealed(v.w, v.r, playwrightCookie, playwrightAAD, t, time.Unix(t.Exp, 0), http.SameSiteStrictMode); err != nil {
		return "", err
	}
	return t.Token, nil
}

// refresh redeems the session's refresh token for scope; the rotated
// refresh token replaces it in the session cookie.
func (c *Console) refresh(ctx context.Context, v *view, scope string) (*tokenAnswer, error) {
	ans, err := c.tokenRequest(ctx, v.r, v.s.Tenant, url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {v.s.Refresh}, "scope": {scope + " offline_access"}})
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusBadRequest {
		return nil, errSignedOut
	}
	if err != nil {
		return nil, fmt.Errorf("refresh the console's tokens: %w", err)
	}
	if ans.RefreshToken != "" {
		v.s.Refresh = ans.RefreshToken
		if err := c.saveSession(v.w, v.r, v.s); err != nil {
			return nil, err
		}
	}
	return ans, nil
}
