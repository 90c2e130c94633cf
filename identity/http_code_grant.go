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
	user, gerr := s.grantUser(r.Context(), code.User)
	if gerr != nil {
		s.answerGrantError(w, r, gerr)
		return
	}
	req := &userTokenRequest{
		base: s.baseURL(r), tenantID: tenantID, client: client, user: user, scopes: scopes, acr: acr,
		amr: code.Amr, nonce: code.Nonce, authTime: time.Unix(code.AuthTime, 0), clientInfo: form.Get("client_info") == "1",
		tokenID: codeTokenID(code.ID), familyID: codeFamilyID(code.ID),
	}
	// Spending the code and issuing its tokens (which starts the refresh
	// family) each wait for a group commit; they run side by side, so an
	// exchange waits for one commit rather than two before its audit
	// record. Tokens issued for a code that turns out spent are never
	// sent (and carry the ids its replay revokes).
	spent := make(chan *grantError, 1)
	go func() { spent <- s.spendAuthCode(r, code) }()
	toks, err := s.issueUserTokens(r.Context(), req)
	if gerr := <-spent; gerr != nil {
		s.refuseGrant(w, r, client.ID, gerr)
		return
	}
	switch {
	case errors.Is(err, tokend.ErrAlreadyExists):
		// The family of this code exists: a concurrent redemption of the
		// same code got there first (and is being refused as a replay).
		s.refuseGrant(w, r, client.ID, invalidGrant(54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."))
		return
	case err != nil:
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

// spendAuthCode makes the code single-use through the replay log; a code
// used before revokes the tokens of its first redemption.
func (s *Service) spendAuthCode(r *http.Request, code *authCode) *grantError {
	ctx := r.Context()
	now := s.cfg.Now()
	err := s.replays.record(ctx, codeReplayPrefix+code.ID, time.Unix(code.Exp, 0), now)
	if err == nil {
		return nil
	}
	if !errors.Is(err, tokend.ErrAlreadyExists) {
		return unavailableGrant(err)
	}
	// The first redemption's access token was issued before now: it
	// expires within a token lifetime from now.
	if err := s.Revoke(ctx, codeTokenID(code.ID), now.Add(s.cfg.TokenLifetime+s.cfg.Skew)); err != nil {
		return unavailableGrant(err)
	}
	if err := s.cfg.Store.RevokeRefreshFamily(ctx, codeFamilyID(code.ID)); err != nil && !errors.Is(err, tokend.ErrNotFound) {
		return unavailableGrant(err)
	}
	s.log.WarnContext(ctx, "authorization code redeemed twice; the tokens of its first redemption are revoked", "client_id", code.Client, "user", code.User)
	return invalidGrant(54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token. The tokens issued for it have been revoked.")
}
