package identity

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/wire"
)

// continueAuthorize finishes an authorization request once the sign-in
// form has signed the user in.
func (s *Service) continueAuthorize(w http.ResponseWriter, r *http.Request, tenantID string, user *tokend.User, authTime time.Time, params json.RawMessage) {
	var ar authorizeRequest
	if err := json.Unmarshal(params, &ar); err != nil || ar.Client == "" || ar.Redirect == "" {
		s.showMessage(w, r, http.StatusBadRequest, "Sign-in failed", "The sign-in request is not valid. Go back to the application and sign in again.", "AADSTS90014")
		return
	}
	// The application may have gone, or lost the redirect URI, while the
	// form was shown.
	client, ok := s.authorizeClient(w, r, tenantID, ar.Client)
	if !ok {
		return
	}
	if _, err := MatchRedirectURI(client, ar.Redirect); err != nil {
		s.showMessage(w, r, http.StatusBadRequest, "Sign-in failed", "AADSTS50011: "+err.Error()+".", "AADSTS50011")
		return
	}
	s.finishAuthorize(w, r, tenantID, client, user, authTime.Unix(), &ar)
}

// finishAuthorize answers a validated request for a signed-in user: a
// code (sealed; nothing stored), an ID token (with c_hash beside a code,
// at_hash beside an access token), an access token for the implicit
// "id_token token".
func (s *Service) finishAuthorize(w http.ResponseWriter, r *http.Request, tenantID string, client *tokend.Client, user *tokend.User, authTime int64, ar *authorizeRequest) {
	ctx := r.Context()
	now := s.cfg.Now()
	wire.TraceFrom(ctx).Caller = user.ObjectID
	out := url.Values{}
	var code string
	if ar.Code {
		var err error
		code, err = s.sealAuthCode(&authCode{
			ID: newAuthCodeID(), Tenant: tenantID, Client: client.ID, Redirect: ar.Redirect, RedirectGiven: ar.RedirectGiven,
			User: user.ObjectID, UPN: user.UserPrincipalName, Name: user.DisplayName, Scope: ar.Scope, Resource: ar.Resource, Nonce: ar.Nonce, AuthTime: authTime,
			Amr: []string{"pwd"}, Challenge: ar.Challenge, Exp: now.Add(authCodeLifetime).Unix(),
		})
		if err != nil {
			s.authorizeError(w, r, ar, unavailableGrant(err))
			return
		}
		out.Set("code", code)
	}
	if ar.IDToken || ar.Token {
		scopes, gerr := s.parseDelegatedScopes(r, tenantID, ar.Scope, ar.Resource)
		if gerr != nil {
			s.authorizeError(w, r, ar, gerr)
			return
		}
		req := &userTokenRequest{
			base: s.baseURL(r), tenantID: tenantID, client: client, user: user, scopes: scopes, acr: acrPublic,
			amr: []string{"pwd"}, nonce: ar.Nonce, authTime: time.Unix(authTime, 0),
		}
		var atHash, cHash string
		alg := s.signingAlg()
		if ar.Token {
			// The implicit access token: no ID or refresh token beside it
			// from issueUserTokens (the ID token is signed below, bound to it).
			only := *scopes
			only.openid, only.offline = false, false
			req.scopes = &only
			toks, err := s.issueUserTokens(ctx, req)
			if err != nil {
				s.authorizeError(w, r, ar, unavailableGrant(err))
				return
			}
			if err := s.record(ctx, r, s.issuedEvent(user.ObjectID, client.ID, grantImplicit, scopes.aud, toks.access)); err != nil {
				s.auditUnavailable(w, r, err)
				return
			}
			req.scopes = scopes
			out.Set("access_token", toks.response.AccessToken)
			out.Set("token_type", "Bearer")
			out.Set("expires_in", strconv.FormatInt(toks.response.ExpiresIn, 10))
			out.Set("scope", toks.response.Scope)
			atHash = leftHalfHash(alg, toks.response.AccessToken)
		}
		if code != "" {
			cHash = leftHalfHash(alg, code)
		}
		idt, err := s.signIDToken(ctx, req, now, s.pairwiseSubject(client.ID, user.ObjectID), cHash, atHash)
		if err != nil {
			s.authorizeError(w, r, ar, unavailableGrant(err))
			return
		}
		out.Set("id_token", idt)
	}
	if ar.State != "" {
		out.Set("state", ar.State)
	}
	s.redirectAnswer(w, r, ar, out)
}

// authorizeError sends an error back to the (validated) redirect URI as
// Entra does: error, error_description with the AADSTS code, state.
func (s *Service) authorizeError(w http.ResponseWriter, r *http.Request, ar *authorizeRequest, e *grantError) {
	if e.cause != nil {
		s.log.ErrorContext(r.Context(), "authorize", "request_id", wire.TraceFrom(r.Context()).RequestID, "err", e.cause.Error())
	}
	trace := wire.TraceFrom(r.Context()).RequestID
	out := url.Values{"error": {e.code}}
	desc := e.description
	if e.aadsts != 0 {
		desc = "AADSTS" + strconv.Itoa(e.aadsts) + ": " + desc
		out.Set("error_codes", strconv.Itoa(e.aadsts))
	}
	out.Set("error_description", desc+" Trace ID: "+trace+" Timestamp: "+s.cfg.Now().UTC().Format(time.DateTime)+"Z")
	if ar.State != "" {
		out.Set("state", ar.State)
	}
	s.redirectAnswer(w, r, ar, out)
}

// redirectAnswer sends the browser to the redirect URI with the answer, in
// the request's response mode.
func (s *Service) redirectAnswer(w http.ResponseWriter, r *http.Request, ar *authorizeRequest, out url.Values) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	switch ar.Mode {
	case modeFormPost:
		s.formPost(w, ar.Redirect, out)
		return
	case modeFragment:
		h.Set("Location", ar.Redirect+"#"+out.Encode())
	default:
		h.Set("Location", withQuery(ar.Redirect, out.Encode()))
	}
	w.WriteHeader(http.StatusFound)
}

// formPostPage is the data of formpost.html.
type formPostPage struct {
	Action template.URL
	Fields []formField
	Nonce  string
}

type formField struct{ Name, Value string }

// formPost answers response_mode=form_post: a page whose form posts the
// answer to the redirect URI. It works without script (a visible
// button); a script allowed by this answer's nonce alone submits it at
// once. The CSP lets the form post only to the redirect URI's origin.
func (s *Service) formPost(w http.ResponseWriter, redirect string, out url.Values) {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("identity: no randomness: " + err.Error())
	}
	nonce := base64.RawStdEncoding.EncodeToString(b[:])
	page := formPostPage{
		// The redirect URI is one the application registered (validated
		// then, matched now), so it may be a form action even when its
		// scheme is the app's own.
		Action: template.URL(redirect), Nonce: nonce,
	}
	for _, k := range []string{"code", "id_token", "access_token", "token_type", "expires_in", "scope", "state",
		"error", "error_description", "error_codes"} {
		if v := out.Get(k); v != "" {
			page.Fields = append(page.Fields, formField{Name: k, Value: v})
		}
	}
	csp := "default-src 'none'; script-src 'nonce-" + nonce + "'; style-src 'unsafe-inline'; base-uri 'none'; form-action " +
		redirectOrigin(redirect) + "; frame-ancestors 'none'"
	writePage(w, http.StatusOK, "formpost.html", csp, page)
}
