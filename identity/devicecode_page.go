package identity

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/audit"
	"github.com/tokend-dev/tokend/wire"
)

// The device-code verification page: the user enters the code their
// device shows, signs in with the shared sign-in form (or is already
// signed in), and confirms the application. Every form carries the
// browser's CSRF token, which must match its SameSite=Strict cookie; the
// confirmation also carries, sealed, who signed in and for which code, so
// only the browser that signed in can approve, and only that code.
const (
	deviceContinuation   = "device"
	deviceConfirmAAD     = "tokend device-code confirmation v1"
	deviceConfirmSegment = "/confirm"
	// Audit actions of a decision on the verification page (tokend
	// device approve|deny record the same in the CLI's table).
	actionDeviceApprove = "deviceCode.approve"
	actionDeviceDecline = "deviceCode.decline"
	wrongUserCode       = "That code didn't work. Check the code and try again."
)

// deviceCodePage is the data of devicecode.html.
type deviceCodePage struct{ Action, CSRF, Error, UserCode, Tenant string }

// deviceConfirmPage is the data of devicecode_confirm.html.
type deviceConfirmPage struct{ App, User, Action, Context, CSRF, UserCode, Tenant string }

// deviceSignInParams are the device continuation's parameters.
type deviceSignInParams struct {
	UserCode string `json:"c"`
}

// deviceConfirmContext is what the confirmation form carries, sealed.
type deviceConfirmContext struct {
	UserCode string `json:"c"`
	User     string `json:"u"`
	AuthTime int64  `json:"a"`
	CSRF     string `json:"x"`
	Exp      int64  `json:"e"`
	Tenant   string `json:"t"`
}

func (s *Service) deviceAuthURL(tenantID string) string {
	return s.basePath() + "/" + tenantID + "/" + deviceAuthPath
}

// serveDeviceAuthPage shows the code form.
func (s *Service) serveDeviceAuthPage(w http.ResponseWriter, r *http.Request, tenantID string) {
	s.showDeviceCodeForm(w, r, tenantID, http.StatusOK, "", "")
}

func (s *Service) showDeviceCodeForm(w http.ResponseWriter, r *http.Request, tenantID string, status int, userCode, msg string) {
	writePage(w, status, "devicecode.html", pageCSP(), deviceCodePage{
		Action: s.deviceAuthURL(tenantID), CSRF: s.csrfToken(w, r), Error: msg, UserCode: userCode, Tenant: tenantID,
	})
}

// serveDeviceAuthCode takes the code form: a pending code of this tenant
// leads to the sign-in form, or straight to the confirmation when the
// browser is signed in.
func (s *Service) serveDeviceAuthCode(w http.ResponseWriter, r *http.Request, tenantID string) {
	form, ok := s.readPageForm(w, r)
	if !ok {
		return
	}
	cookie, _ := r.Cookie(csrfCookieName)
	if cookie == nil || !sameToken(form.Get("csrf"), cookie.Value) {
		s.showMessage(w, r, http.StatusForbidden, "Sign-in refused",
			"The code was not entered on the page shown to this browser (its CSRF token is missing or wrong). Open the page again and enter the code.", "")
		return
	}
	typed := form.Get("user_code")
	if len(typed) > 64 {
		typed = typed[:64]
	}
	ctx := r.Context()
	d, err := pendingDeviceCode(ctx, s.cfg.Store, typed, tenantID, s.cfg.Now())
	if errors.Is(err, ErrDeviceCodeNotPending) {
		s.showDeviceCodeForm(w, r, tenantID, http.StatusBadRequest, typed, wrongUserCode)
		return
	}
	if err != nil {
		s.showMessage(w, r, s.troubleStatus(w, r, "device code lookup", err), "Sign-in failed",
			"The code could not be checked; try again in a moment.", "")
		return
	}
	app := s.deviceAppName(r, tenantID, d.ClientID)
	user, authTime, signedIn, err := s.sessionUser(ctx, r, tenantID)
	if err != nil {
		s.showMessage(w, r, s.troubleStatus(w, r, "browser session", err), "Sign-in failed",
			"The sign-in could not be completed; try again in a moment.", "")
		return
	}
	if signedIn {
		s.showDeviceConfirm(w, r, tenantID, d, app, user, authTime)
		return
	}
	s.promptSignIn(w, r, tenantID, signInPrompt{Kind: deviceContinuation, Params: deviceSignInParams{UserCode: d.UserCode}, App: app})
}

// continueDeviceSignIn is the device continuation of the sign-in form.
func (s *Service) continueDeviceSignIn(w http.ResponseWriter, r *http.Request, tenantID string, user *tokend.User, authTime time.Time, raw json.RawMessage) {
	var p deviceSignInParams
	if json.Unmarshal(raw, &p) != nil {
		s.showMessage(w, r, http.StatusBadRequest, "Sign-in failed", "The sign-in request is not valid.", "")
		return
	}
	d, err := pendingDeviceCode(r.Context(), s.cfg.Store, p.UserCode, tenantID, s.cfg.Now())
	if errors.Is(err, ErrDeviceCodeNotPending) {
		s.deviceCodeGone(w, r)
		return
	}
	if err != nil {
		s.showMessage(w, r, s.troubleStatus(w, r, "device code lookup", err), "Sign-in failed",
			"The code could not be checked; try again in a moment.", "")
		return
	}
	s.showDeviceConfirm(w, r, tenantID, d, s.deviceAppName(r, tenantID, d.ClientID), user, authTime)
}

func (s *Service) deviceCodeGone(w http.ResponseWriter, r *http.Request) {
	s.showMessage(w, r, http.StatusBadRequest, "Sign-in failed",
		"The code has expired or was already used. Start the sign-in on your device again.", "AADSTS70019")
}

// showDeviceConfirm asks the signed-in user to confirm the application.
func (s *Service) showDeviceConfirm(w http.ResponseWriter, r *http.Request, tenantID string, d *tokend.DeviceCode, app string, user *tokend.User, authTime time.Time) {
	csrf := s.csrfToken(w, r)
	exp := s.cfg.Now().Add(signInFormLifetime)
	if d.ExpiresAt.Before(exp) {
		exp = d.ExpiresAt
	}
	plain, err := json.Marshal(deviceConfirmContext{UserCode: d.UserCode, User: user.ObjectID, AuthTime: authTime.Unix(),
		CSRF: csrf, Exp: exp.Unix(), Tenant: tenantID})
	if err != nil {
		s.showMessage(w, r, http.StatusInternalServerError, "Sign-in failed", "The confirmation could not be prepared.", "")
		return
	}
	writePage(w, http.StatusOK, "devicecode_confirm.html", pageCSP(), deviceConfirmPage{
		App: app, User: user.UserPrincipalName, Action: s.deviceAuthURL(tenantID) + deviceConfirmSegment,
		Context: base64.RawURLEncoding.EncodeToString(s.cfg.Box.Seal(plain, []byte(deviceConfirmAAD))),
		CSRF:    csrf, UserCode: d.UserCode, Tenant: tenantID,
	})
}

// serveDeviceAuthConfirm takes the confirmation: Continue approves the
// device's sign-in, Cancel declines it.
func (s *Service) serveDeviceAuthConfirm(w http.ResponseWriter, r *http.Request, tenantID string) {
	form, ok := s.readPageForm(w, r)
	if !ok {
		return
	}
	c, ok := s.openDeviceConfirm(form.Get("ctx"))
	if !ok || !strings.EqualFold(c.Tenant, tenantID) {
		s.showMessage(w, r, http.StatusBadRequest, "Sign-in failed",
			"The confirmation is not valid. Open the page again and enter the code.", "AADSTS90014")
		return
	}
	cookie, _ := r.Cookie(csrfCookieName)
	if cookie == nil || !sameToken(cookie.Value, c.CSRF) || !sameToken(form.Get("csrf"), c.CSRF) {
		s.showMessage(w, r, http.StatusForbidden, "Sign-in refused",
			"The confirmation was not posted from the page shown to this browser (its CSRF token is missing or wrong). Open the page again and enter the code.", "")
		return
	}
	if s.cfg.Now().Unix() >= c.Exp {
		s.deviceCodeGone(w, r)
		return
	}
	var approve bool
	switch form.Get("action") {
	case "continue":
		approve = true
	case "cancel":
	default:
		s.showMessage(w, r, http.StatusBadRequest, "Sign-in failed", "Choose Continue or Cancel.", "")
		return
	}
	ctx := r.Context()
	user, err := s.cfg.Store.GetUser(ctx, c.User)
	if errors.Is(err, tokend.ErrNotFound) {
		s.showMessage(w, r, http.StatusBadRequest, "Sign-in failed", "The signed-in user no longer exists.", "")
		return
	}
	if err != nil {
		s.showMessage(w, r, s.troubleStatus(w, r, "user lookup", err), "Sign-in failed", "The sign-in could not be completed; try again in a moment.", "")
		return
	}
	wire.TraceFrom(ctx).Caller = user.ObjectID
	signIn, err := DecideDeviceCode(ctx, s.cfg.Store, c.UserCode, user, approve, time.Unix(c.AuthTime, 0), s.cfg.Now())
	if errors.Is(err, ErrDeviceCodeNotPending) {
		s.deviceCodeGone(w, r)
		return
	}
	if err != nil {
		s.showMessage(w, r, s.troubleStatus(w, r, "device code decision", err), "Sign-in failed", "The sign-in could not be completed; try again in a moment.", "")
		return
	}
	action := actionDeviceDecline
	if approve {
		action = actionDeviceApprove
	}
	if err := s.record(ctx, r, &audit.Event{Principal: user.ObjectID, Action: action, Target: "client:" + signIn.ClientID,
		Result: audit.Success, Status: http.StatusOK}); err != nil {
		s.log.ErrorContext(ctx, "audit event not recorded", "request_id", wire.TraceFrom(ctx).RequestID, "err", err.Error())
		s.showMessage(w, r, http.StatusServiceUnavailable, "Sign-in not recorded",
			"The decision was made but could not be recorded in the audit log.", "")
		return
	}
	app := s.deviceAppName(r, tenantID, signIn.ClientID)
	if approve {
		s.showMessage(w, r, http.StatusOK, app,
			"You have signed in to the "+app+" application on your device. You may now close this window.", "")
		return
	}
	s.showMessage(w, r, http.StatusOK, "Sign-in canceled",
		"You have declined to sign in to "+app+" on your device. You may now close this window.", "")
}

func (s *Service) openDeviceConfirm(v string) (*deviceConfirmContext, bool) {
	if v == "" || len(v) > maxSignInFormBytes {
		return nil, false
	}
	sealed, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil, false
	}
	plain, err := s.cfg.Box.Open(sealed, []byte(deviceConfirmAAD))
	if err != nil {
		return nil, false
	}
	var c deviceConfirmContext
	if json.Unmarshal(plain, &c) != nil || c.UserCode == "" || c.User == "" || !validCSRF(c.CSRF) {
		return nil, false
	}
	return &c, true
}

// readPageForm reads a form posted from one of tokend's pages; on failure
// it has answered with a message page.
func (s *Service) readPageForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		s.showMessage(w, r, http.StatusBadRequest, "Sign-in failed", "The form must be posted as application/x-www-form-urlencoded.", "")
		return nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxSignInFormBytes)
	if err := r.ParseForm(); err != nil {
		s.showMessage(w, r, http.StatusBadRequest, "Sign-in failed", "The form could not be read (too large or malformed).", "")
		return nil, false
	}
	return r.PostForm, true
}

// deviceAppName is the display name of the application signing in.
func (s *Service) deviceAppName(r *http.Request, tenantID, clientID string) string {
	if c, err := s.Clients.lookup(r.Context(), tenantID, clientID); err == nil && c.DisplayName != "" {
		return c.DisplayName
	}
	return clientID
}
