package identity

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	tokend "github.com/tokend-dev/tokend"
)

// The authorization endpoint (/{tenant}/oauth2/v2.0/authorize and v1's
// /{tenant}/oauth2/authorize), validated in Entra's order: the client and
// its redirect URI first, refused on a page (sending an error to an
// unverified address would make tokend an open redirector); every later
// error goes back to the redirect URI, in the response mode, with state.
// A signed-in browser skips the form unless prompt=login or
// select_account; otherwise the sign-in form continues the request
// (continueAuthorize) once the password is checked.

// authorizeFlow is the sign-in continuation of the authorization endpoint.
const authorizeFlow = "authorize"

// Response modes (OAuth 2.0 Multiple Response Type Encoding Practices,
// Form Post Response Mode).
const (
	modeQuery    = "query"
	modeFragment = "fragment"
	modeFormPost = "form_post"
)

// maxAuthorizeParamLen bounds state, nonce and login_hint: they travel in
// the sealed sign-in form and back in the redirect.
const maxAuthorizeParamLen = 2048

// authorizeRequest is a validated authorization request: what the
// sign-in continuation gets (JSON, sealed in the form) to finish it.
type authorizeRequest struct {
	Client string `json:"c"`
	// Redirect is where the answer goes; RedirectGiven whether the request
	// named it (then the token request must name the same).
	Redirect      string `json:"r"`
	RedirectGiven bool   `json:"rg,omitempty"`
	// Code, IDToken and Token are the response types asked for.
	Code      bool   `json:"rc,omitempty"`
	IDToken   bool   `json:"ri,omitempty"`
	Token     bool   `json:"rt,omitempty"`
	Mode      string `json:"m"`
	State     string `json:"s,omitempty"`
	Nonce     string `json:"n,omitempty"`
	Scope     string `json:"sc,omitempty"`
	Resource  string `json:"res,omitempty"`
	Challenge string `json:"p,omitempty"`
}

// authorizeParams reads the request's parameters: the query of a GET, the
// form body of a POST. ok false when it has answered.
func (s *Service) authorizeParams(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	if r.Method != http.MethodPost {
		return r.URL.Query(), true
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		s.showMessage(w, r, http.StatusBadRequest, "Sign-in failed", "A POST to this endpoint must be application/x-www-form-urlencoded.", "AADSTS900144")
		return nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.showMessage(w, r, http.StatusBadRequest, "Sign-in failed", "The request body could not be read (too large or malformed).", "AADSTS900144")
		return nil, false
	}
	return r.PostForm, true
}

// serveAuthorize is the authorization endpoint.
func (s *Service) serveAuthorize(w http.ResponseWriter, r *http.Request, tenantID string) {
	q, ok := s.authorizeParams(w, r)
	if !ok {
		return
	}
	client, ok := s.authorizeClient(w, r, tenantID, q.Get("client_id"))
	if !ok {
		return
	}
	requested := q.Get("redirect_uri")
	redirect, err := MatchRedirectURI(client, requested)
	if err != nil {
		s.showMessage(w, r, http.StatusBadRequest, "Sign-in failed", "AADSTS50011: "+err.Error()+
			". Make sure the redirect URI sent in the request matches one added to your application (tokend clients create --redirect-uri).", "AADSTS50011")
		return
	}
	// From here on the redirect URI is trusted: errors go back to it.
	ar := &authorizeRequest{Client: client.ID, Redirect: redirect, RedirectGiven: requested != "", State: q.Get("state")}
	if gerr := s.readAuthorizeRequest(r, tenantID, client, q, ar); gerr != nil {
		s.authorizeError(w, r, ar, gerr)
		return
	}
	hint, prompt := q.Get("login_hint"), q.Get("prompt")
	if prompt != "login" && prompt != "select_account" {
		user, authTime, signedIn, err := s.sessionUser(r.Context(), r, tenantID)
		if err != nil {
			s.authorizeError(w, r, ar, unavailableGrant(err))
			return
		}
		if signedIn && (hint == "" || strings.EqualFold(hint, user.UserPrincipalName)) {
			s.finishAuthorize(w, r, tenantID, client, user, authTime.Unix(), ar)
			return
		}
		if prompt == "none" {
			if signedIn {
				s.authorizeError(w, r, ar, newGrantError(http.StatusBadRequest, "interaction_required", 16000,
					"The signed-in user is not the user named by login_hint; an interactive sign-in is required."))
				return
			}
			s.authorizeError(w, r, ar, newGrantError(http.StatusBadRequest, "login_required", 50058,
				"A silent sign-in request was sent but no user is signed in."))
			return
		}
	}
	if hint == "" && prompt == "select_account" {
		if user, _, signedIn, _ := s.sessionUser(r.Context(), r, tenantID); signedIn {
			hint = user.UserPrincipalName
		}
	}
	s.promptSignIn(w, r, tenantID, signInPrompt{
		Kind: authorizeFlow, Params: ar, App: client.DisplayName, LoginHint: hint,
		Targets: []string{redirectOrigin(ar.Redirect)},
	})
}

// authorizeClient finds the client an authorization request names; when
// there is none it has shown the page.
func (s *Service) authorizeClient(w http.ResponseWriter, r *http.Request, tenantID, clientID string) (*tokend.Client, bool) {
	if clientID == "" {
		s.showMessage(w, r, http.StatusBadRequest, "Sign-in failed",
			"AADSTS900144: The request body must contain the following parameter: 'client_id'.", "AADSTS900144")
		return nil, false
	}
	client, err := s.Clients.lookup(r.Context(), tenantID, clientID)
	switch {
	case errors.Is(err, ErrClientNotFound):
		s.showMessage(w, r, http.StatusBadRequest, "Sign-in failed", "AADSTS700016: Application with identifier '"+sanitize(clientID)+
			"' was not found in the directory '"+tenantID+"'. This can happen if the application has not been installed by the administrator of the tenant. You may have sent your authentication request to the wrong tenant.", "AADSTS700016")
		return nil, false
	case err != nil:
		s.showMessage(w, r, s.troubleStatus(w, r, "authorize: client lookup", err), "Sign-in failed",
			"The application could not be looked up; try again in a moment.", "")
		return nil, false
	}
	return s.withConsoleRedirects(client, r), true
}

// readAuthorizeRequest checks everything after the redirect URI, filling
// ar; the error goes to the redirect URI.
func (s *Service) readAuthorizeRequest(r *http.Request, tenantID string, client *tokend.Client, q url.Values, ar *authorizeRequest) *grantError {
	invalid := func(aadsts int, format string, args ...any) *grantError {
		return newGrantError(http.StatusBadRequest, "invalid_request", aadsts, format, args...)
	}
	rt := q.Get("response_type")
	for _, t := range strings.Fields(rt) {
		switch t {
		case "code":
			ar.Code = true
		case "id_token":
			ar.IDToken = true
		case "token":
			ar.Token = true
		default:
			ar.Mode = modeQuery
			return newGrantError(http.StatusBadRequest, "unsupported_response_type", 70005,
				"response_type '%s' is not supported: use code, id_token, 'code id_token' or 'id_token token'.", sanitize(rt))
		}
	}
	// The default mode, in which the errors below travel: tokens never in
	// a query (OAuth 2.0 Multiple Response Type Encoding Practices §3.0).
	ar.Mode = modeQuery
	if ar.IDToken || ar.Token {
		ar.Mode = modeFragment
	}
	switch m := q.Get("response_mode"); m {
	case "":
	case modeQuery, modeFragment, modeFormPost:
		if m == modeQuery && (ar.IDToken || ar.Token) {
			return invalid(9002313, "Invalid request: response_mode 'query' cannot carry tokens; use fragment or form_post.")
		}
		ar.Mode = m
	default:
		return invalid(9002313, "Invalid request: response_mode '%s' is not supported: use query, fragment or form_post.", sanitize(m))
	}
	switch {
	case rt == "":
		return invalid(900144, "The request body must contain the following parameter: 'response_type'.")
	case ar.Token && !ar.IDToken, ar.Token && ar.Code:
		return newGrantError(http.StatusBadRequest, "unsupported_response_type", 70005,
			"response_type '%s' is not supported: use code, id_token, 'code id_token' or 'id_token token'.", sanitize(rt))
	}
	for _, p := range []string{"state", "nonce", "login_hint"} {
		if len(q.Get(p)) > maxAuthorizeParamLen {
			return invalid(9002313, "Invalid request: the parameter '%s' is longer than %d characters.", p, maxAuthorizeParamLen)
		}
	}
	ar.Nonce = q.Get("nonce")
	switch p := q.Get("prompt"); p {
	case "", "login", "none", "select_account", "consent":
	default:
		return invalid(9002313, "Invalid request: prompt '%s' is not supported: use login, none, select_account or consent.", sanitize(p))
	}
	ar.Scope = q.Get("scope")
	if isV1AuthorizePath(r) {
		ar.Resource = q.Get("resource")
	}
	scopes, gerr := s.parseDelegatedScopes(r, tenantID, ar.Scope, ar.Resource)
	if gerr != nil {
		return gerr
	}
	if ar.IDToken {
		if !scopes.openid && !isV1AuthorizePath(r) {
			return newGrantError(http.StatusBadRequest, "invalid_scope", 9002313,
				"Invalid request: an id_token is issued only for the 'openid' scope.")
		}
		if ar.Nonce == "" {
			return invalid(900144, "The request body must contain the following parameter: 'nonce'.")
		}
	}
	return s.readPKCE(client, q, ar)
}

// readPKCE checks the code challenge: S256 only, required of a public
// client asking for a code.
func (s *Service) readPKCE(client *tokend.Client, q url.Values, ar *authorizeRequest) *grantError {
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	if !ar.Code {
		return nil
	}
	if challenge == "" {
		if method != "" {
			return newGrantError(http.StatusBadRequest, "invalid_request", 900144,
				"The request body must contain the following parameter: 'code_challenge'.")
		}
		if client.Public {
			return newGrantError(http.StatusBadRequest, "invalid_request", 9002325,
				"Proof Key for Code Exchange is required: a public client must send a code_challenge (method S256).")
		}
		return nil
	}
	switch method {
	case pkceS256:
	case "", pkcePlain:
		// RFC 7636 makes plain the default; Entra's v2 endpoint and tokend
		// refuse it, since it protects nothing from whoever sees the request.
		return newGrantError(http.StatusBadRequest, "invalid_request", 9002313,
			"Invalid request: code_challenge_method must be S256; plain is not accepted.")
	default:
		return newGrantError(http.StatusBadRequest, "invalid_request", 9002313,
			"Invalid request: code_challenge_method '%s' is not supported; use S256.", sanitize(method))
	}
	if !validPKCEValue(challenge) || len(challenge) != 43 {
		return newGrantError(http.StatusBadRequest, "invalid_request", 501491,
			"Invalid size of code_challenge parameter: an S256 challenge is 43 base64url characters.")
	}
	ar.Challenge = challenge
	return nil
}

// isV1AuthorizePath is the v1 endpoint (/{tenant}/oauth2/authorize),
// which names a resource instead of scopes.
func isV1AuthorizePath(r *http.Request) bool {
	return strings.HasSuffix(strings.ToLower(r.URL.Path), "/oauth2/authorize")
}

// redirectOrigin is the CSP source a redirect URI is reached at: its
// origin, or its scheme for an app's own scheme (myapp://auth).
func redirectOrigin(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	if (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return u.Scheme + "://" + u.Host
	}
	return u.Scheme + ":"
}
