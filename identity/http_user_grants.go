package identity

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	tokend "github.com/tokend-dev/tokend"
	"github.com/tokend-dev/tokend/audit"
	"github.com/tokend-dev/tokend/wire"
)

// Grant types of user tokens at the token endpoint.
const (
	grantTypePassword     = "password"
	grantTypeRefreshToken = "refresh_token"
	grantTypeCode         = "authorization_code"
	grantTypeDeviceCode   = "urn:ietf:params:oauth:grant-type:device_code"
	grantTypeJWTBearer    = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// writeUserTokens issues a user grant's tokens, records them, and
// answers (with the v1 endpoint's fields on its path).
func (s *Service) writeUserTokens(w http.ResponseWriter, r *http.Request, req *userTokenRequest, grant string) {
	toks, err := s.issueUserTokens(r.Context(), req)
	if err != nil {
		s.oauthError(w, r, s.troubleStatus(w, r, "issue user tokens", err), "temporarily_unavailable", 0, "The token could not be issued; retry later.")
		return
	}
	s.answerUserTokens(w, r, req, grant, toks)
}

// answerUserTokens records issued user tokens and answers with them.
func (s *Service) answerUserTokens(w http.ResponseWriter, r *http.Request, req *userTokenRequest, grant string, toks *userTokens) {
	if err := s.record(r.Context(), r, s.issuedEvent(req.user.ObjectID, req.client.ID, grant, req.scopes.aud, toks.access)); err != nil {
		s.auditUnavailable(w, r, err)
		return
	}
	if isV1TokenPath(r) {
		v1Response(&toks.response, toks.access, req.scopes.aud)
	}
	writeJSON(w, http.StatusOK, toks.response)
}

// requireFormParams answers invalid_request (AADSTS900144, naming it)
// for the first of names the form lacks.
func (s *Service) requireFormParams(w http.ResponseWriter, r *http.Request, form url.Values, names ...string) bool {
	for _, name := range names {
		if form.Get(name) == "" {
			s.oauthError(w, r, http.StatusBadRequest, "invalid_request", 900144,
				"The request body must contain the following parameter: '"+name+"'.")
			return false
		}
	}
	return true
}

// refuseGrant records a refused grant of an authenticated client in the
// audit log (storage trouble is no refusal) and answers it.
func (s *Service) refuseGrant(w http.ResponseWriter, r *http.Request, clientID string, gerr *grantError) {
	if gerr.cause == nil {
		if aerr := s.recordAuthnFailure(r, clientID, gerr.Error()); aerr != nil {
			s.auditUnavailable(w, r, aerr)
			return
		}
	}
	s.answerGrantError(w, r, gerr)
}

// scopesOf reads a user grant's scope (and, on the v1 path, resource)
// parameters; on failure it has answered.
func (s *Service) scopesOf(w http.ResponseWriter, r *http.Request, tenantID, scope string, form url.Values) (*delegatedScopes, bool) {
	var resource string
	if isV1TokenPath(r) {
		resource = form.Get("resource")
	}
	d, gerr := s.parseDelegatedScopes(r, tenantID, scope, resource)
	if gerr != nil {
		s.answerGrantError(w, r, gerr)
		return nil, false
	}
	return d, true
}

// servePasswordGrant is the resource owner password credentials grant
// (ROPC): a user's name and password for tokens, from a public client or
// an authenticated confidential one.
func (s *Service) servePasswordGrant(w http.ResponseWriter, r *http.Request, tenantID string, form url.Values) {
	if !s.requireFormParams(w, r, form, "username", "password") {
		return
	}
	username, password := form.Get("username"), form.Get("password")
	client, acr, ok := s.authenticateGrantClient(w, r, tenantID, form)
	if !ok {
		return
	}
	scopes, ok := s.scopesOf(w, r, tenantID, form.Get("scope"), form)
	if !ok {
		return
	}
	user, ok := s.signInUser(w, r, tenantID, username, password)
	if !ok {
		return
	}
	s.writeUserTokens(w, r, &userTokenRequest{
		base: s.baseURL(r), tenantID: tenantID, client: client, user: user, scopes: scopes, acr: acr,
		amr: []string{"pwd"}, authTime: s.cfg.Now(), clientInfo: form.Get("client_info") == "1",
	}, grantPassword)
}

// signInUser checks a user's password and answers the failure as Entra
// does (the same answer for an unknown name and a wrong password).
func (s *Service) signInUser(w http.ResponseWriter, r *http.Request, tenantID, username, password string) (*tokend.User, bool) {
	user, err := s.Users.SignIn(r.Context(), tenantID, username, password)
	if err == nil {
		wire.TraceFrom(r.Context()).Caller = user.ObjectID
		return user, true
	}
	var locked *LockedError
	gerr := s.userSignInError(err)
	if errors.As(err, &locked) {
		w.Header().Set("Retry-After", wire.RetryAfterValue(locked.RetryAfter))
	}
	if gerr.cause == nil {
		if aerr := s.recordUserFailure(r, username, gerr); aerr != nil {
			s.auditUnavailable(w, r, aerr)
			return nil, false
		}
	}
	s.answerGrantError(w, r, gerr)
	return nil, false
}

// userSignInError maps a Users.SignIn error to Entra's answer.
func (s *Service) userSignInError(err error) *grantError {
	var locked *LockedError
	switch {
	case errors.Is(err, ErrInvalidUserCredentials):
		return invalidGrant(50126, "Error validating credentials due to invalid username or password.")
	case errors.As(err, &locked):
		return invalidGrant(50053, "Your account is locked because you've tried to sign in too many times with an incorrect user ID or password. Retry in %d seconds.",
			int(locked.RetryAfter.Round(time.Second)/time.Second)+1)
	}
	return unavailableGrant(err)
}

// recordUserFailure records a failed user sign-in.
func (s *Service) recordUserFailure(r *http.Request, username string, gerr *grantError) error {
	return s.record(r.Context(), r, &audit.Event{
		Principal: "user:" + strings.ToLower(sanitize(username)), Action: audit.ActionAuthnFailure, Target: r.URL.Path,
		Result: audit.Failure, Status: gerr.status, Reason: gerr.Error(),
	})
}

// serveRefreshGrant redeems a refresh token: a new access token (for any
// resource the scope names: Entra's refresh tokens are multi-resource),
// and the family's next refresh token.
func (s *Service) serveRefreshGrant(w http.ResponseWriter, r *http.Request, tenantID string, form url.Values) {
	if !s.requireFormParams(w, r, form, "refresh_token") {
		return
	}
	client, acr, ok := s.authenticateGrantClient(w, r, tenantID, form)
	if !ok {
		return
	}
	next, gerr := s.redeemRefreshToken(r.Context(), form.Get("refresh_token"), tenantID, client)
	if gerr != nil {
		s.refuseGrant(w, r, client.ID, gerr)
		return
	}
	scope := form.Get("scope")
	if scope == "" {
		scope = next.Scope
	}
	scopes, ok := s.scopesOf(w, r, tenantID, scope, form)
	if !ok {
		return
	}
	// The used token is spent: the answer always carries its successor.
	scopes.offline = true
	user := &tokend.User{ObjectID: next.User, TenantID: next.Tenant, UserPrincipalName: next.UPN, DisplayName: next.Name}
	s.writeUserTokens(w, r, &userTokenRequest{
		base: s.baseURL(r), tenantID: tenantID, client: client, user: user, scopes: scopes, acr: acr,
		amr: next.Amr, authTime: time.Unix(next.AuthTime, 0), family: next, clientInfo: form.Get("client_info") == "1",
	}, grantRefreshToken)
}
