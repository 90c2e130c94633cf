package identity

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	tokend "github.com/tokend-dev/tokend"
)

// serveCodeGrant redeems an authorization code (RFC 6749 §4.1.3 with RFC
// 7636): the client it was issued to (a public client by client_id, a
// confidential one with its credentials), the same redirect URI, the
// PKCE verifier of its challenge, within its lifetime, once. A second
// redemption revokes what the first issued (RFC 6749 §4.1.2): the access
// token's jti and the refresh family's id derive from the code's id.
func (s *Service) serveCodeGrant(w http.ResponseWriter, r *http.Request, tenantID string, form url.Values) {
	if !s.requireFormParams(w, r, form, "code") {
		return
	}
	client, acr, ok := s.authenticateGrantClient(w, r, tenantID, form)
	if !ok {
		return
	}
	code, gerr := s.checkAuthCode(form.Get("code"), tenantID, client, form)
	if gerr != nil {
		s.refuseGrant(w, r, client.ID, gerr)
		return
	}
	// The scopes of the token request when it names any (a code is good
	// for any resource, as Entra's), else those of the authorization.
	var scopes *delegatedScopes
	if form.Get("scope") != "" || (isV1TokenPath(r) && form.Get("resource") != "") {
		if scopes, ok = s.scopesOf(w, r, tenantID, form.Get("scope"), form); !ok {
			return
		}
	} else if scopes, gerr = s.parseDelegatedScopes(r, tenantID, code.Scope, code.Resource); gerr != nil {
		s.answerGrantError(w, r, gerr)
		return
	}
	user := &tokend.User{ObjectID: code.User, TenantID: code.Tenant, UserPrincipalName: code.UPN, DisplayName: code.Name}
	if code.UPN == "" {
		if user, gerr = s.grantUser(r.Context(), code.User); gerr != nil {
			s.answerGrantError(w, r, gerr)
			return
		}
	}
	req := &userTokenRequest{
		base: s.baseURL(r), tenantID: tenantID, client: client, user: user, scopes: scopes, acr: acr,
		amr: code.Amr, nonce: code.Nonce, authTime: time.Unix(code.AuthTime, 0), clientInfo: form.Get("client_info") == "1",
		tokenID: codeTokenID(code.ID),
	}
	// The code is spent by starting its refresh family, whether or not
	// this exchange issues a refresh token: one insert, batched with the
	// concurrent sign-ins', which fails for a code spent before and for a
	// user deleted since. It runs beside the signing, so an exchange waits
	// for one commit; tokens issued for a code that turns out spent are
	// never sent (and carry the ids its replay revokes).
	now := s.cfg.Now()
	family := s.newRefreshFamily(req, codeFamilyID(code.ID), now)
	req.family = firstRefreshClaims(family, req)
	spent := make(chan *grantError, 1)
	go func() { spent <- s.spendAuthCode(r, code, *family, scopes.offline, now) }()
	toks, err := s.issueUserTokens(r.Context(), req)
	if gerr := <-spent; gerr != nil {
		s.refuseGrant(w, r, client.ID, gerr)
		return
	}
	if err != nil {
		s.oauthError(w, r, s.troubleStatus(w, r, "issue user tokens", err), "temporarily_unavailable", 0, "The token could not be issued; retry later.")
		return
	}
	s.answerUserTokens(w, r, req, grantAuthorizationCode, toks)
}

// checkAuthCode opens the code and checks it against the request; it is
// not spent yet.
func (s *Service) checkAuthCode(raw, tenantID string, client *tokend.Client, form url.Values) (*authCode, *grantError) {
	code, err := s.openAuthCode(raw)
	if err != nil {
		return nil, invalidGrant(9002313, "Invalid request. Request is malformed or invalid: the provided value for the 'code' parameter is not valid: %s.", err.Error())
	}
	switch {
	case !strings.EqualFold(code.Tenant, tenantID):
		return nil, invalidGrant(70000, "The provided authorization code was issued in another tenant than '%s'.", tenantID)
	case !strings.EqualFold(code.Client, client.ID):
		return nil, invalidGrant(70000, "The provided authorization code was issued to another application than '%s'.", client.ID)
	case s.cfg.Now().Unix() >= code.Exp:
		return nil, invalidGrant(70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.")
	}
	redirect := form.Get("redirect_uri")
	if (redirect != "" || code.RedirectGiven) && redirect != code.Redirect {
		return nil, invalidGrant(500112, "The reply address '%s' does not match the reply address '%s' provided when requesting Authorization code.",
			sanitize(redirect), sanitize(code.Redirect))
	}
	verifier := form.Get("code_verifier")
	switch {
	case code.Challenge == "" && verifier != "":
		// A code obtained without PKCE injected into a client using it.
		return nil, invalidGrant(50148, "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE: the authorization request had no code_challenge.")
	case code.Challenge == "":
	case verifier == "":
		return nil, newGrantError(http.StatusBadRequest, "invalid_request", 900144,
			"The request body must contain the following parameter: 'code_verifier'.")
	case !validPKCEValue(verifier) || !pkceMatches(verifier, code.Challenge):
		return nil, invalidGrant(50148, "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.")
	}
	return code, nil
}

// spendAuthCode makes the code single-use by storing family, the refresh
// token family it starts (its id is the code's): a code redeemed before
// finds its family there, and its replay revokes the first redemption's
// tokens. The family is stored even when the exchange issues no refresh
// token (offline false), as the record of the code's spending; its row
// lives at least as long as the code could be redeemed (exactly as long
// when there is no refresh token), so the code stays spent until then.
func (s *Service) spendAuthCode(r *http.Request, code *authCode, family tokend.RefreshFamily, offline bool, now time.Time) *grantError {
	ctx := r.Context()
	codeEnd := time.Unix(code.Exp, 0).UTC()
	if !offline || family.ExpiresAt.Before(codeEnd) {
		family.ExpiresAt = codeEnd
	}
	err := s.startRefreshFamily(ctx, &family, now)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, tokend.ErrNotFound):
		return invalidGrant(50173, "The provided grant has been revoked: the user no longer exists.")
	case !errors.Is(err, tokend.ErrAlreadyExists):
		return unavailableGrant(err)
	}
	// The first redemption's access token was issued before now: it
	// expires within a token lifetime from now. Its family exists: it is
	// what made this redemption a replay.
	if err := s.Revoke(ctx, codeTokenID(code.ID), now.Add(s.cfg.TokenLifetime+s.cfg.Skew)); err != nil {
		return unavailableGrant(err)
	}
	if err := s.cfg.Store.RevokeRefreshFamily(ctx, family.ID); err != nil && !errors.Is(err, tokend.ErrNotFound) {
		return unavailableGrant(err)
	}
	s.log.WarnContext(ctx, "authorization code redeemed twice; the tokens of its first redemption are revoked", "client_id", code.Client, "user", code.User)
	return invalidGrant(54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token. The tokens issued for it have been revoked.")
}
