package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/wire"
)

// Interactive sign-in: the authorization endpoint and the device-code
// verification page show one sign-in form; it posts to
// /{tenant}/login, which checks the password, starts a browser session
// and hands the signed-in user to the flow that asked (a continuation,
// registered by kind). Nothing is stored while the form is shown: the
// pending request travels in the form, sealed, with its CSRF token, which
// must also match a cookie set with the form — so a form is good only in
// the browser it was shown to, and only for the request it was shown for.
const (
	signInPathSegment  = "login"
	signInContextAAD   = "tokend sign-in context v1"
	csrfCookieName     = "tokend_csrf"
	signInFormLifetime = 15 * time.Minute
	maxSignInFormBytes = 32 << 10
)

// signInContinuation completes a sign-in for the flow that asked for it,
// with the flow's own parameters (as it passed them to promptSignIn).
type signInContinuation func(w http.ResponseWriter, r *http.Request, tenantID string, user *tokend.User, authTime time.Time, params json.RawMessage)

// signInContext is the pending request a sign-in form carries, sealed.
type signInContext struct {
	Kind   string          `json:"k"`
	Params json.RawMessage `json:"p"`
	CSRF   string          `json:"x"`
	Exp    int64           `json:"e"`
	Tenant string          `json:"t"`
	App    string          `json:"a,omitempty"`
	// Targets are the origins the continuation may send the browser on
	// to (the form's form-action).
	Targets []string `json:"o,omitempty"`
}

// signInPrompt is what promptSignIn shows.
type signInPrompt struct {
	Kind   string // a registered continuation
	Params any    // the continuation's parameters (JSON-encoded)
	// App is the display name of the application asking.
	App       string
	LoginHint string
	Error     string
	// Targets are the origins the continuation may redirect to.
	Targets []string
	Status  int // default 200
}

// signInPage is the data of signin.html.
type signInPage struct {
	App, Error, Action, Context, CSRF, Username, Tenant string
}

// promptSignIn shows the sign-in form for a pending flow.
func (s *Service) promptSignIn(w http.ResponseWriter, r *http.Request, tenantID string, p signInPrompt) {
	params, err := json.Marshal(p.Params)
	if err != nil {
		s.showMessage(w, r, http.StatusInternalServerError, "Sign-in failed", "The sign-in request could not be prepared.", "")
		return
	}
	csrf := s.csrfToken(w, r)
	sealed, err := json.Marshal(signInContext{
		Kind: p.Kind, Params: params, CSRF: csrf, Exp: s.cfg.Now().Add(signInFormLifetime).Unix(),
		Tenant: tenantID, App: p.App, Targets: p.Targets,
	})
	if err != nil {
		s.showMessage(w, r, http.StatusInternalServerError, "Sign-in failed", "The sign-in request could not be prepared.", "")
		return
	}
	status := p.Status
	if status == 0 {
		status = http.StatusOK
	}
	writePage(w, status, "signin.html", pageCSP(p.Targets...), signInPage{
		App: p.App, Error: p.Error, Action: s.basePath() + "/" + tenantID + "/" + signInPathSegment,
		Context: base64.RawURLEncoding.EncodeToString(s.cfg.Box.Seal(sealed, []byte(signInContextAAD))),
		CSRF:    csrf, Username: p.LoginHint, Tenant: tenantID,
	})
}

// csrfToken is the browser's CSRF token: the one its cookie holds, or a
// new one set now (SameSite=Strict, HttpOnly: only tokend's own pages
// send it, and no script reads it).
func (s *Service) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookieName); err == nil && validCSRF(c.Value) {
		return c.Value
	}
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("identity: no randomness: " + err.Error())
	}
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{
		Name: csrfCookieName, Value: tok, Path: s.basePath() + "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteStrictMode, MaxAge: int((signInFormLifetime + time.Hour).Seconds()),
	})
	return tok
}

func validCSRF(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == 24
}

// serveSignIn takes the sign-in form: CSRF and the pending request
// checked, then the password; a good sign-in starts the browser session
// and continues the flow, a bad one shows the form again with the reason.
func (s *Service) serveSignIn(w http.ResponseWriter, r *http.Request, tenantID string) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		s.showMessage(w, r, http.StatusBadRequest, "Sign-in failed", "The sign-in form must be posted as application/x-www-form-urlencoded.", "")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxSignInFormBytes)
	if err := r.ParseForm(); err != nil {
		s.showMessage(w, r, http.StatusBadRequest, "Sign-in failed", "The sign-in form could not be read (too large or malformed).", "")
		return
	}
	ctx, ok := s.openSignInContext(r.PostForm.Get("ctx"))
	if !ok || !strings.EqualFold(ctx.Tenant, tenantID) {
		s.showMessage(w, r, http.StatusBadRequest, "Sign-in failed",
			"The sign-in request is not valid. Go back to the application and sign in again.", "AADSTS90014")
		return
	}
	cookie, _ := r.Cookie(csrfCookieName)
	if cookie == nil || !sameToken(cookie.Value, ctx.CSRF) || !sameToken(r.PostForm.Get("csrf"), ctx.CSRF) {
		s.showMessage(w, r, http.StatusForbidden, "Sign-in refused",
			"The sign-in form was not posted from the sign-in page shown to this browser (its CSRF token is missing or wrong). Go back to the application and sign in again.", "")
		return
	}
	if s.cfg.Now().Unix() > ctx.Exp {
		s.showMessage(w, r, http.StatusBadRequest, "Sign-in expired",
			"The sign-in page was open too long. Go back to the application and sign in again.", "AADSTS50058")
		return
	}
	cont := s.continuations[ctx.Kind]
	if cont == nil {
		s.showMessage(w, r, http.StatusBadRequest, "Sign-in failed", "The sign-in request is not valid.", "")
		return
	}
	username, password := strings.TrimSpace(r.PostForm.Get("username")), r.PostForm.Get("password")
	again := func(status int, msg string) {
		s.promptSignIn(w, r, tenantID, signInPrompt{Kind: ctx.Kind, Params: ctx.Params, App: ctx.App,
			LoginHint: username, Error: msg, Targets: ctx.Targets, Status: status})
	}
	if username == "" || password == "" {
		again(http.StatusBadRequest, "Enter your user name and password.")
		return
	}
	user, err := s.Users.SignIn(r.Context(), tenantID, username, password)
	if err != nil {
		gerr := s.userSignInError(err)
		if gerr.cause != nil {
			s.showMessage(w, r, s.troubleStatus(w, r, "interactive sign-in", gerr.cause), "Sign-in failed",
				"The sign-in could not be completed; try again in a moment.", "")
			return
		}
		if aerr := s.recordUserFailure(r, username, gerr); aerr != nil {
			s.auditUnavailable(w, r, aerr)
			return
		}
		var locked *LockedError
		if errors.As(err, &locked) {
			w.Header().Set("Retry-After", wire.RetryAfterValue(locked.RetryAfter))
			again(http.StatusTooManyRequests, "Your account is temporarily locked to prevent unauthorized use: there were too many failed sign-ins. Try again later. ("+gerr.description+")")
			return
		}
		again(http.StatusOK, "Your account or password is incorrect. If you don't remember your password, ask an administrator to reset it (tokend users reset-password).")
		return
	}
	authTime := s.cfg.Now()
	if err := s.startSession(w, r, tenantID, user, authTime); err != nil {
		s.showMessage(w, r, http.StatusInternalServerError, "Sign-in failed", "The sign-in session could not be started.", "")
		return
	}
	wire.TraceFrom(r.Context()).Caller = user.ObjectID
	cont(w, r, tenantID, user, authTime, ctx.Params)
}

func (s *Service) openSignInContext(v string) (*signInContext, bool) {
	if v == "" || len(v) > maxSignInFormBytes {
		return nil, false
	}
	sealed, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil, false
	}
	plain, err := s.cfg.Box.Open(sealed, []byte(signInContextAAD))
	if err != nil {
		return nil, false
	}
	var c signInContext
	if json.Unmarshal(plain, &c) != nil || c.Kind == "" || !validCSRF(c.CSRF) {
		return nil, false
	}
	return &c, true
}

func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// basePath is the path prefix of the public URL ("" at the root).
func (s *Service) basePath() string { return s.verifier.basePath }
